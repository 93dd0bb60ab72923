//! Authenticode signatures of a PE file and its version information, read through yara-x's
//! `pe` module (the same parser YARA rules see).
//!
//! A signature says who signed the file and which digest of the file they signed. Comparing
//! that digest with the digest of the file as it is now tells whether the file was changed
//! after signing: this is integrity, not trust. Nothing here checks that a certificate
//! chains to a trusted root, is unrevoked or was valid at signing time.

#[cfg(feature = "yara")]
use crate::dates::utc;
use serde::Serialize;
use std::collections::BTreeMap;

/// One Authenticode signature (nested signatures come as further entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// Subject of the signing certificate.
    pub signer: String,
    /// Issuer of the signing certificate.
    pub issuer: String,
    /// Serial number of the signing certificate.
    pub serial: String,
    /// Start of the signing certificate's validity, UTC.
    pub not_before: String,
    /// End of the signing certificate's validity, UTC.
    pub not_after: String,
    /// Program name from the signed attributes, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_name: Option<String>,
    /// Digest algorithm of the signed file digest (`sha1`, `sha256`, ...).
    pub digest_algorithm: String,
    /// The file digest recorded in the signature, hex.
    pub signed_digest: String,
    /// The Authenticode digest of the file as it is, hex.
    pub file_digest: String,
    /// The file still hashes to the signed digest (integrity, not trust).
    pub digest_matches: bool,
    /// The digest matches and the signature over it checks out against the certificates
    /// embedded in the file (still not trust: those certificates may be self-made).
    pub verified: bool,
    /// Certificates embedded with this signature.
    pub certificates: usize,
}

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
