//! The `spoor` command: parses arguments and hands over to the library's CLI layer.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    spoor::cli::run(spoor::cli::Cli::parse())
}
