//! The `whatif` binary: parse the command line, run, print errors, exit.

mod cli;
mod console;

use std::process::ExitCode;

/// mimalloc instead of the system allocator: the solver and the loader
/// allocate many short-lived buffers, and glibc's returns the large ones to
/// the kernel between solves, which then faults every page back in
/// (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
