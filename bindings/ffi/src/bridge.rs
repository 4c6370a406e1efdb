//! Async calls for Kotlin coroutines and Swift concurrency without an
//! async runtime in the host's threads: the work runs on a short-lived
//! thread of its own, and the caller awaits a oneshot channel, which any
//! executor can poll. The foreign executor's threads never block on
//! SQLite, RSA or the network.
//!
//! Dropping the returned future (a cancelled coroutine) closes the channel;
//! the thread sees that and drops the work at its next await point, so a
//! fetch in flight stops early. Work that is not at an await point (a
//! SQLite read, PBKDF2) finishes first; it is bounded by the deadline.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use tokio::sync::oneshot;

use crate::error::PushsealError;

/// Stack of the work thread: ample for rustls, serde_json and RSA, and
/// small next to the iOS extension's 24 MB limit. The core's own network
/// threads use the same size.
const STACK_BYTES: usize = 1024 * 1024;

/// Runs `work` on a new thread and resolves to its output.
pub(crate) async fn on_own_thread<F>(work: F) -> Result<F::Output, PushsealError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (mut tx, rx) = oneshot::channel();
    thread::Builder::new()
        .name("pushseal-ffi".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let mut work = pin!(work);
            let output = block_on(std::future::poll_fn(|cx| {
                if tx.poll_closed(cx).is_ready() {
                    return Poll::Ready(None);
                }
                work.as_mut().poll(cx).map(Some)
            }));
            if let Some(output) = output {
                // The caller may have gone meanwhile; nothing to do then.
                let _ = tx.send(output);
            }
        })
        .map_err(|e| PushsealError::Internal(format!("cannot start a thread: {e}")))?;
    // An error here means the thread died without answering: a panic.
    rx.await.map_err(|_| crate::guard::panicked("async call"))
}

/// Drives `future` on the current thread, parking between wake-ups.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn output_reaches_the_awaiting_caller() {
        let got = block_on(on_own_thread(async {
            thread::current().name().map(str::to_owned)
        }));
        assert_eq!(got.unwrap().as_deref(), Some("pushseal-ffi"));
    }

    #[test]
    fn dropping_the_caller_stops_the_work_at_its_next_await() {
        let (hold_tx, hold_rx) = oneshot::channel::<()>();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (dropped_tx, dropped_rx) = std::sync::mpsc::channel();
        let finished = Arc::new(AtomicBool::new(false));
        let (flag, signal) = (Arc::clone(&finished), Signal(dropped_tx));
        let work = async move {
            let _signal = signal;
            let _ = started_tx.send(());
            let _ = hold_rx.await; // never answered while the caller waits
            flag.store(true, Ordering::SeqCst);
        };
        let mut call = Box::pin(on_own_thread(work));
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        assert!(call
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        started_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the work started");
        drop(call);
        dropped_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the work was dropped");
        assert!(!finished.load(Ordering::SeqCst));
        drop(hold_tx);
    }

    /// Sends on drop, so the test sees the work future go away.
    struct Signal(std::sync::mpsc::Sender<()>);

    impl Drop for Signal {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    #[test]
    fn a_panic_in_the_work_is_an_error_not_an_unwind() {
        let got = block_on(on_own_thread(async { panic!("boom") }));
        assert!(matches!(got, Err(PushsealError::Internal(_))));
    }
}
