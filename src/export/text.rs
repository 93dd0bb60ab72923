//! Plain text output: `type<TAB>value` per line; control characters and bidirectional
//! overrides in values are visible escapes ([`crate::escape::terminal::field`]).

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
        let value = shown_value(ioc, options);
        writeln!(
            out,
            "{}\t{}",
            ioc.kind,
            crate::escape::terminal::field(&value)
        )?;
    }
    Ok(())
}
