//! Tikal's domain: tickets, their status machine, priorities, permissions and the rules that
//! govern them. Pure code: no I/O, no async, no SQL, so every rule is unit tested here.

pub mod accounts;
pub mod admin;
pub mod authz;
pub mod automation;
pub mod catalog;
pub mod desk;
pub mod due;
pub mod error;
pub mod escalation;
pub mod fields;
pub mod ids;
pub mod job;
pub mod kb;
pub mod mail_account;
pub mod mail_intake;
pub mod notice;
pub mod number;
pub mod org;
pub mod people;
pub mod permission;
pub mod priorities;
pub mod priority;
pub mod queue;
pub mod routing;
pub mod schedule;
pub mod search;
pub mod settings;
pub mod sla;
pub mod sla_clock;
pub mod sla_plan;
pub mod status;
pub mod template;
pub mod thread;
pub mod ticket;
pub mod values;

pub use error::{DomainError, Reason};
pub use ids::*;
pub use job::{Job, JobKind, TicketNotice};
pub use number::{NumberFormat, TicketNumber};
pub use permission::{Access, Permission};
pub use priority::{Impact, Priority, PriorityMatrix, Urgency};
pub use status::{ResolutionPolicy, StateCategory, Status, StatusDef, StatusKey};
pub use thread::{Author, EntryKind, EventKind, ThreadEntry, TicketEvent};
pub use ticket::{Channel, Opening, OpeningRules, Requested, Ticket, TicketType, TicketUpdate, TopicDefaults};
pub use values::{EmailAddress, PersonName, Subject};

/// Declares a string-backed closed set: `as_str`, `FromStr`, `Display`, `ALL`.
/// Unknown strings are an error, never a silent default (they may come from the database).
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok($name::$variant),)+
                    other => Err($crate::error::UnknownValue {
                        kind: stringify!($name),
                        value: other.chars().take(64).collect(),
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
