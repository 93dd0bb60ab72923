//! Plain text output: `type<TAB>value` per line.

use super::{shown_value, OutputOptions};
use crate::extract::Extraction;
use std::io::{self, Write};

/// Writes one indicator per line.
pub fn write(
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    for ioc in &extraction.iocs {
        writeln!(out, "{}\t{}", ioc.kind, shown_value(ioc, options))?;
    }
    Ok(())
}
