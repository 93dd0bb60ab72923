//! The `spoor` command: parses arguments and hands over to the library's CLI layer.

use clap::Parser;
use std::process::ExitCode;

/// Extraction allocates many small strings; mimalloc handles that pattern best.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    spoor::cli::run(spoor::cli::Cli::parse())
}
