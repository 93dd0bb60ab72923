//! The `spoor` command: parses arguments and hands over to the library's CLI layer.

use clap::Parser;
use std::process::ExitCode;

/// Extraction allocates many small strings; mimalloc handles that pattern best.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Ctrl-C and termination requests remove temporary files before exiting.
    spoor::cleanup::install_signal_handler();
    spoor::cli::run(spoor::cli::Cli::parse())
}
