//! The `whatif` binary: parse the command line, run, print errors, exit.

mod cli;
mod console;

use std::process::ExitCode;

/// mimalloc instead of the system allocator: the solver and the loader
/// allocate many short-lived buffers, and glibc's returns the large ones to
/// the kernel between solves, which then faults every page back in. Its
/// version 2, without transparent huge pages: version 3 was as fast but
/// loading the 100k model peaked about 15 % higher, and huge pages made
/// every peak 10–30 % larger and the system time erratic
/// (docs/performance.md). It is the default feature `mimalloc`; the
/// library itself leaves the allocator alone.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
