//! The vocabulary macro: enums whose stable names (as the outputs, the data tables and the
//! command line write them) are written once, in the enum's own table, and from which
//! `as_str`, `from_name`, `ALL`, `Display` and serde's forms are all derived.
//!
//! Declared before every other module of the crate (`#[macro_use]` in `src/lib.rs`), so any
//! module can declare such an enum without importing a module of another stage.

/// Declares a vocabulary enum with the stable name of each variant written once: `as_str`,
/// `from_name`, `ALL`, `Display` (which takes a width, as text does), `Serialize` and
/// `Deserialize` (as that name) all come from the table.
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
                f.pad(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::from_name(&name).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&name, &[$($text,)*])
                })
            }
        }
    };
}
