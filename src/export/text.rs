//! Plain text output: `type<TAB>value` per line; control characters and bidirectional
//! overrides in values are visible escapes ([`crate::escape::terminal::field`]).

use super::{shown_value, OutputOptions};
use crate::extract::Extraction;
use crate::ioc::Ioc;
use std::borrow::Borrow;
use std::io::{self, Write};

/// Writes one indicator per line.
pub fn write(
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_iocs(&extraction.iocs, options, out)
}

/// Writes one indicator per line, from any sequence of them.
pub fn write_iocs<I>(iocs: I, options: OutputOptions, out: &mut dyn Write) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: Borrow<Ioc>,
{
    for ioc in iocs {
        let ioc = ioc.borrow();
        let value = shown_value(ioc, options);
        write!(
            out,
            "{}\t{}",
            ioc.kind,
            crate::escape::terminal::field(&value)
        )?;
        // What the `--intel` feeds know, a column only when they know something.
        for h in &ioc.intel {
            write!(
                out,
                "\tknown to {}",
                crate::escape::terminal::field(&h.describe())
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
