//! A closed stdout (`xcs rules | head -1`, `| less` quit early, `| grep -q`) ends the program
//! quietly, the way Unix tools end: as if killed by SIGPIPE (the shell shows status 141).
//!
//! Rust ignores SIGPIPE so that a peer closing a socket is an error rather than death (which
//! `site serve` and the XNAT client rely on); writing to a closed pipe then fails with EPIPE.
//! `print!` turns that into a panic, and a `write!` into an error. Both are caught here, for
//! every subcommand at once, so none needs its own handling: the panic hook below, and
//! [`is_closed_stdout`] for errors that reach `main`.

use std::io::ErrorKind;

/// Install the hook that turns the panic of `print!` on a closed stdout into a quiet exit.
pub fn install_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        // std's own text for this failure (library/std/src/io/stdio.rs, `print_to`).
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            exit_closed();
        }
        default(info);
    }));
}

/// Whether an error is (caused by) writing to a closed stdout.
pub fn is_closed_stdout(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
    })
}

/// End as a Unix tool does when its reader goes away: killed by SIGPIPE, with no message.
pub fn exit_closed() -> ! {
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE and raising it ends the process; no
    // other thread's state matters past this point.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    // Not reached on Unix; elsewhere, the status a shell reports for it.
    std::process::exit(128 + 13)
}
