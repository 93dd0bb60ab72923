//! The application manifest of a PE (the `MANIFEST` resource): the privilege it asks for
//! (`requestedExecutionLevel`, `uiAccess`, `autoElevate`), its own name and the assemblies
//! it depends on.

use crate::error::{Warning, WarningCode};
pub use crate::findings::executable::Manifest;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Manifests larger than this are not read (real ones are a few KiB).
const MAX_MANIFEST: usize = 256 * 1024;

fn attribute(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.trim().to_string())
        })
}

/// Parses a manifest; a broken one gives what was read before the break and a warning.
pub fn parse(bytes: &[u8]) -> (Manifest, Option<Warning>) {
    let mut m = Manifest::default();
    if bytes.len() > MAX_MANIFEST {
        return (
            m,
            Some(Warning::new(
                WarningCode::SizeLimit,
                format!("manifest of {} bytes not read", bytes.len()),
            )),
        );
    }
    // Manifests are UTF-8, sometimes with a byte-order mark or NUL padding.
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}').trim_end_matches('\0');
    let mut reader = Reader::from_str(text);
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut in_auto_elevate = false;
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                return (
                    m,
                    Some(Warning::new(
                        WarningCode::ParseError,
                        format!("manifest: {e}"),
                    )),
                )
            }
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let local = e.local_name().as_ref().to_vec();
                match local.as_slice() {
                    b"requestedExecutionLevel" => {
                        m.execution_level = attribute(e, b"level");
                        m.ui_access =
                            attribute(e, b"uiAccess").map(|v| v.eq_ignore_ascii_case("true"));
                    }
                    b"assemblyIdentity" => {
                        let name = attribute(e, b"name");
                        if path.iter().any(|p| p == b"dependentAssembly") {
                            m.dependencies.extend(name);
                        } else if m.name.is_none() {
                            m.name = name;
                        }
                    }
                    b"autoElevate" => in_auto_elevate = matches!(event, Event::Start(_)),
                    _ => {}
                }
                if matches!(event, Event::Start(_)) {
                    path.push(local);
                }
            }
            Event::Text(ref t)
                if in_auto_elevate
                    && t.decode()
                        .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true")) =>
            {
                m.auto_elevate = true;
            }
            Event::End(_) => {
                path.pop();
                in_auto_elevate = false;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    m.dependencies.sort();
    m.dependencies.dedup();
    (m, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_level_and_dependencies() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="Example.Tool" version="1.0.0.0"/>
  <dependency><dependentAssembly>
    <assemblyIdentity type="win32" name="Microsoft.Windows.Common-Controls" version="6.0.0.0"/>
  </dependentAssembly></dependency>
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3"><security><requestedPrivileges>
    <requestedExecutionLevel level="requireAdministrator" uiAccess="false"/>
  </requestedPrivileges></security></trustInfo>
  <asmv3:application xmlns:asmv3="urn:schemas-microsoft-com:asm.v3">
    <asmv3:windowsSettings><autoElevate>true</autoElevate></asmv3:windowsSettings>
  </asmv3:application>
</assembly>"#;
        let (m, warning) = parse(xml);
        assert_eq!(warning, None);
        assert_eq!(m.execution_level.as_deref(), Some("requireAdministrator"));
        assert_eq!(m.ui_access, Some(false));
        assert!(m.auto_elevate);
        assert_eq!(m.name.as_deref(), Some("Example.Tool"));
        assert_eq!(m.dependencies, ["Microsoft.Windows.Common-Controls"]);
    }

    #[test]
    fn broken_manifest_keeps_what_was_read() {
        let (m, warning) =
            parse(b"<assembly><trustInfo><requestedExecutionLevel level=\"asInvoker\"/></oops>");
        assert_eq!(m.execution_level.as_deref(), Some("asInvoker"));
        assert!(warning.is_some());
        let (m, _) = parse(&[0xff, 0xfe, 0, 0, b'<']);
        assert_eq!(m, Manifest::default());
    }
}
