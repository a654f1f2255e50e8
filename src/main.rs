//! The `whatif` binary: parse the command line, run, print errors, exit.

mod cli;
mod console;

use std::process::ExitCode;

/// mimalloc instead of the system allocator: the solver and the loader
/// allocate many short-lived buffers, and glibc's returns the large ones to
/// the kernel between solves, which then faults every page back in. Its
/// version 2, without transparent huge pages: version 3 and huge pages
/// were as fast but kept 10–30 % more memory at the peak
/// (docs/performance.md). The library itself leaves the allocator alone.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
