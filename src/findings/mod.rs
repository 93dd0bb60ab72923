//! The findings vocabulary: the typed words the exports ([`crate::export`]) and the report
//! ([`crate::report`]) read, which the readers produce or convert into.
//!
//! This module owns the names of the ATT&CK techniques ([`attack`]) and the confidence
//! levels of a technique or class hint ([`Confidence`]): each name is written once, in the
//! enum's table, and serialized from there. It sits below the readers (like
//! [`crate::error`]): it imports no stage of the pipeline, so `sample`, `logs`, the
//! exports and the report can all name it.

pub mod attack;

/// Declares a vocabulary enum with the stable name of each variant written once: `as_str`,
/// `from_name`, `ALL`, `Display` and `Serialize` (as that name) all come from the table.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$doc:meta])* $variant:ident => $text:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$doc])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable name, as in the outputs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value of a stable name.
            pub fn from_name(name: &str) -> Option<$name> {
                match name {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

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

impl Confidence {
    /// The confidence a reader wrote as text (`data/behavior-confidence.txt` levels); an
    /// unknown word is [`Confidence::Low`], the weakest claim.
    pub fn of(name: &str) -> Confidence {
        Confidence::from_name(name).unwrap_or(Confidence::Low)
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
        assert_eq!(Confidence::of("nonsense"), Confidence::Low);
    }
}
