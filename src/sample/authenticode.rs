//! Authenticode signatures of a PE file and its version information, read through yara-x's
//! `pe` module (the same parser YARA rules see).
//!
//! A signature says who signed the file and which digest of the file they signed. Comparing
//! that digest with the digest of the file as it is now tells whether the file was changed
//! after signing: this is integrity, not trust. Nothing here checks that a certificate
//! chains to a trusted root, is unrevoked or was valid at signing time.

#[cfg(feature = "yara")]
use crate::dates::utc;
pub use crate::findings::executable::Signature;
use std::collections::BTreeMap;

/// What yara-x's `pe` module adds to a PE report.
#[derive(Debug, Default)]
pub struct PeExtras {
    /// Signatures found in the certificate table.
    pub signatures: Vec<Signature>,
    /// Version-information strings (`CompanyName`, `OriginalFilename`, ...).
    pub version_info: BTreeMap<String, String>,
}

/// Without the `yara` feature (the fuzz builds) there is no `pe` module to ask.
#[cfg(not(feature = "yara"))]
pub fn extras(_data: &[u8]) -> Option<PeExtras> {
    None
}

/// Signatures and version information of the PE in `data`; `None` when yara-x does not
/// see a PE (or fails on it).
#[cfg(feature = "yara")]
pub fn extras(data: &[u8]) -> Option<PeExtras> {
    let pe = std::panic::catch_unwind(|| yara_x::mods::invoke::<yara_x::mods::PE>(data))
        .ok()
        .flatten()?;
    if !pe.is_pe() {
        return None;
    }
    let version_info = pe
        .version_info_list
        .iter()
        .map(|kv| (kv.key().to_string(), kv.value().to_string()))
        .collect();
    let signatures = pe
        .signatures
        .iter()
        .map(|s| {
            let signed_digest = s.digest().to_ascii_lowercase();
            let file_digest = s.file_digest().to_ascii_lowercase();
            Signature {
                signer: s.subject().to_string(),
                issuer: s.issuer().to_string(),
                serial: s.serial().to_string(),
                not_before: utc(s.not_before()),
                not_after: utc(s.not_after()),
                program_name: s
                    .signer_info
                    .as_ref()
                    .and_then(|i| i.program_name.clone())
                    .filter(|p| !p.is_empty()),
                digest_algorithm: s.digest_alg().to_string(),
                digest_matches: !signed_digest.is_empty() && signed_digest == file_digest,
                signed_digest,
                file_digest,
                verified: s.verified(),
                certificates: s.certificates.len(),
            }
        })
        .collect();
    Some(PeExtras {
        signatures,
        version_info,
    })
}
