//! The model file: reading user input ([`input`]), YAML events under
//! hostile-input guards ([`events`]), the document read straight into the
//! model's types ([`read`]) with every value parsed ([`units`]), names
//! resolved ([`validate`], through [`resolve`]), loading as a whole ([`load`]); the raw structs
//! that declare the format for the JSON Schema ([`raw`], [`schema`]).

pub mod events;
pub mod generate;
pub mod input;
pub mod load;
pub mod raw;
pub mod read;
pub mod resolve;
pub mod schema;
pub mod types;
pub mod units;
pub mod validate;

pub use input::read_input;
pub use load::{Loaded, Validated, load_file, load_str, validate_file};
pub use resolve::Resolved;
pub use types::*;
