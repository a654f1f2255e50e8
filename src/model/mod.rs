//! The model file: raw YAML structs ([`raw`]), value parsing ([`units`]),
//! loading with hostile-input guards ([`load`]), validation into the
//! resolved [`Model`] ([`validate`]), and the JSON Schema ([`schema`]).

pub mod generate;
pub mod load;
pub mod raw;
pub mod schema;
pub mod types;
pub mod units;
pub mod validate;

pub use load::{Loaded, load_file, load_str};
pub use types::*;
