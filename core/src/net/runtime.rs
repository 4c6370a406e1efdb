//! The one small Tokio runtime the network layer runs on: current-thread,
//! created on first use, never for offline decryption. Its only extra
//! threads are for DNS lookups (getaddrinfo blocks), at most two, with
//! small stacks, gone after two idle seconds.

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::Poll;
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};

use super::deadline::Deadline;
use crate::error::{Error, Result};

/// Stack of the DNS threads and of a helper thread (see [`run`]): ample for
/// rustls, serde_json and RSA, small next to the 24 MB NSE limit.
const STACK_BYTES: usize = 1024 * 1024;

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .thread_name("pushseal-dns")
                .thread_stack_size(STACK_BYTES)
                .max_blocking_threads(2)
                .thread_keep_alive(Duration::from_secs(2))
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Network(format!("cannot start the network runtime: {e}")))
}

/// Runs `future` to completion on the calling thread, on the network
/// runtime (the blocking API). Every [`super::Session`] request must run
/// inside this or [`run`].
/// Inside someone else's runtime, where blocking would panic, a scoped
/// helper thread does the blocking instead.
pub fn block_on<F>(future: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let rt = runtime()?;
    if Handle::try_current().is_err() {
        return Ok(rt.block_on(future));
    }
    std::thread::scope(|scope| {
        helper()
            .spawn_scoped(scope, || rt.block_on(future))
            .map_err(|e| Error::Network(format!("cannot start a network thread: {e}")))?
            .join()
            .map_err(|_| Error::Internal("the network thread panicked".into()))
    })
}

/// Runs `future` for an async caller on any executor (Swift, Kotlin, a
/// Tokio runtime or none): a helper thread drives it on the runtime and
/// hands the result back. Dropping the returned future stops the work at
/// its next await point.
pub async fn run<F>(future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = runtime()?;
    let (mut tx, rx) = tokio::sync::oneshot::channel();
    helper()
        .spawn(move || {
            rt.block_on(async move {
                let mut future = pin!(future);
                let output = std::future::poll_fn(|cx| {
                    if tx.poll_closed(cx).is_ready() {
                        return Poll::Ready(None);
                    }
                    future.as_mut().poll(cx).map(Some)
                })
                .await;
                if let Some(output) = output {
                    // The caller may have gone in the meantime; nothing to do then.
                    let _ = tx.send(output);
                }
            })
        })
        .map_err(|e| Error::Network(format!("cannot start a network thread: {e}")))?;
    // The thread sends unless the future panicked (the caller is still
    // waiting here, so it did not give up).
    rx.await
        .map_err(|_| Error::Internal("the network thread panicked".into()))
}

/// Cuts `work` off at `deadline`, whatever it is doing, with a typed
/// [`Error::Timeout`]. Runs inside [`run`] or [`block_on`].
pub async fn within<T>(deadline: Deadline, work: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout_at(deadline.instant().into(), work)
        .await
        .unwrap_or_else(|_| Err(Error::Timeout("no answer within the deadline".into())))
}

/// Runs CPU work (RSA, PBKDF2, unpickling) on the runtime's blocking
/// threads, so the deadline's timer keeps firing meanwhile. The work
/// itself is not interrupted: it should check the deadline as it goes.
pub async fn off_poll<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        Error::Internal(if e.is_panic() {
            "the blocking work panicked".into()
        } else {
            "the blocking work was cancelled".into()
        })
    })
}

fn helper() -> std::thread::Builder {
    std::thread::Builder::new()
        .name("pushseal-net".into())
        .stack_size(STACK_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> tokio::runtime::Runtime {
        Builder::new_current_thread().build().unwrap()
    }

    #[test]
    fn a_panic_on_the_network_thread_is_internal() {
        let out = caller().block_on(run(async { panic!("test panic") }));
        assert!(matches!(out, Err(Error::Internal(_))), "{out:?}");
        // Blocking from inside another runtime goes through a helper thread.
        let out = caller().block_on(async { block_on(async { panic!("test panic") }) });
        assert!(matches!(out, Err(Error::Internal(_))), "{out:?}");
    }

    #[test]
    fn work_that_finishes_is_returned() {
        assert_eq!(caller().block_on(run(async { 7 })).unwrap(), 7);
        assert_eq!(block_on(async { 8 }).unwrap(), 8);
    }
}
