//! The findings vocabulary: the typed words the exports ([`crate::export`]) and the report
//! ([`crate::report`]) read, which the readers produce.
//!
//! - [`triage`]: what static triage finds in one sample (the `Triage` record: format,
//!   hashes, sections, imports, behaviours, techniques, packing, verdict), with the
//!   format-specific facts in [`executable`];
//! - [`behaviour`]: what the analysis logs show (the process tree, indicators in context and
//!   their network roles, persistence, remediation, where each event came from);
//! - [`classes`]: the malware class vocabulary (hints, and their STIX and MISP names);
//! - [`mutex`]: which of a sample's strings are mutex names;
//! - [`benign`]: activity that is benign whoever does it, and the system folders;
//! - [`attack`]: the ATT&CK technique names; [`Confidence`]: how sure a finding is.
//!
//! Each name is written once, in an enum's table, and serialized from there. This module
//! sits below the readers (like [`crate::error`]): it imports no reader (`sample`, `logs`)
//! and no later stage, so the readers, the exports and the report can all name it (the
//! `layering` tests in `src/lib.rs` check both).

pub mod attack;
pub mod behaviour;
pub mod benign;
pub mod classes;
pub mod executable;
pub mod mutex;
pub mod triage;

vocabulary! {
    /// How sure a finding is: of an ATT&CK technique (from a sample's evidence, or seen in
    /// the logs) or of a class hint. Ordered weakest first, so the strongest of several is
    /// their maximum.
    pub enum Confidence {
        /// A capability only: imports or strings that benign software commonly shows too.
        Low => "low",
        /// Evidence that fits but that some benign programs also have.
        Medium => "medium",
        /// Evidence specific to the finding, which benign programs rarely have.
        High => "high",
        /// The analysis logs show it happening, whatever the static confidence.
        Observed => "observed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_by_strength() {
        for c in Confidence::ALL {
            assert_eq!(Confidence::from_name(c.as_str()), Some(*c));
            assert_eq!(
                serde_json::to_string(c).expect("serialises"),
                format!("\"{c}\"")
            );
        }
        assert!(Confidence::Observed > Confidence::High);
        assert!(Confidence::High > Confidence::Medium && Confidence::Medium > Confidence::Low);
        assert_eq!(Confidence::from_name("nonsense"), None);
    }

    #[test]
    fn names_take_a_width_as_text_does() {
        assert_eq!(format!("{:<6}|", Confidence::Low), "low   |");
        assert_eq!(format!("{:>8}|", Confidence::High), "    high|");
    }
}
