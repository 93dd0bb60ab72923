//! The `spoor` command: parses arguments and hands over to the library's CLI layer.

use clap::Parser;
use std::process::ExitCode;

/// Extraction allocates many small strings (mimalloc handles that pattern best) and, on
/// logs with millions of distinct values, large arrays read in no order (mapped with huge
/// pages): [`spoor::alloc::Allocator`].
#[global_allocator]
static GLOBAL: spoor::alloc::Allocator<mimalloc::MiMalloc> =
    spoor::alloc::Allocator(mimalloc::MiMalloc);

fn main() -> ExitCode {
    // Ctrl-C and termination requests remove temporary files before exiting.
    spoor::cleanup::install_signal_handler();
    spoor::cli::run(spoor::cli::Cli::parse())
}
