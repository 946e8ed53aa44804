//! The `tikal` binary's library: settings, start-up wiring and demo data, so integration tests
//! start exactly what operators run.

pub mod bench;
pub mod demo;
pub mod settings;
pub mod startup;

pub use settings::Settings;
