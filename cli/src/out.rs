//! Standard output and error that a closed pipe cannot turn into a panic.
//!
//! `println!` panics when stdout is gone (`pushseal demo | head -1`). Here a
//! reader that went away ends the program quietly with 141, the status a
//! shell reports for a program that SIGPIPE ended (as `yes | head -1` does),
//! so pipelines and `set -o pipefail` see what they expect.

use std::io::Write;

/// 128 + SIGPIPE (13).
pub const EXIT_CLOSED_PIPE: u8 = 141;
/// Standard output failed for another reason (a full disk, `>/dev/full`).
pub const EXIT_OUTPUT_FAILED: u8 = 2;

/// Writes to stdout; exits if it cannot be written.
pub fn stdout(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        drop(out);
        std::process::exit(i32::from(failed(&e)));
    }
}

/// Writes to stderr; there is nowhere left to report a failure, so none is.
pub fn stderr(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// The exit status for a failed write, after saying why when it is not
/// just a reader that left.
fn failed(e: &std::io::Error) -> u8 {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return EXIT_CLOSED_PIPE;
    }
    stderr(format_args!(
        "pushseal: cannot write to standard output: {e}\n"
    ));
    EXIT_OUTPUT_FAILED
}

/// `print!` to stdout without the panic.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::out::stdout(format_args!($($t)*)) };
}

/// `println!` to stdout without the panic.
#[macro_export]
macro_rules! outln {
    () => { $crate::out::stdout(format_args!("\n")) };
    ($($t:tt)*) => { $crate::out::stdout(format_args!("{}\n", format_args!($($t)*))) };
}

/// `eprintln!` without the panic.
#[macro_export]
macro_rules! errln {
    ($($t:tt)*) => { $crate::out::stderr(format_args!("{}\n", format_args!($($t)*))) };
}
