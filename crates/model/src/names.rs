//! Closed sets of names: states, roles and choices stored in the database,
//! shown in the API and carried on the wire, each an enum whose text form
//! is written once.

/// An enum of `Variant => "name"` pairs with `ALL`, `as_str`, `Display`,
/// serde in lowercase and `FromStr`, whose error is `$unknown(name)`.
macro_rules! closed_names {
    ($unknown:ident, $(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $unknown;

            fn from_str(name: &str) -> Result<$name, $unknown> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|known| known.as_str() == name)
                    .ok_or_else(|| $unknown(name.to_owned()))
            }
        }
    };
}

pub(crate) use closed_names;
