//! # whatif — play "what happens when …" on a software architecture
//!
//! A team describes its services and their dependencies in a YAML model
//! ([`model`]); whatif validates it and builds the dependency graph
//! ([`graph`]), injects faults and works out the cascade ([`sim`]: the
//! structural rules, the steady state with its explanations, the
//! timeline), analyses the design ([`analysis`]: single points of failure,
//! blast radius, cut sets, availability, fault trees, lints), plays the
//! drill and diagnosis games ([`game`]), and renders every result
//! ([`render`]) as text, JSON, Markdown, DOT, SVG, Mermaid or HTML. [`scenario`]
//! runs timeline files with expectations.
//!
//! A first model can be written from a docker-compose file or a Backstage
//! catalog ([`import`]). [`text`] spells durations and numbers the same way
//! for every layer, from the engine's explanations to the pictures.
//!
//! Data flows one way: YAML → [`model`] → [`graph`] → [`sim`]/[`analysis`]
//! → [`render`]. Nothing downstream reaches back up, and the library never
//! prints or exits: the binary's `cli` module does that.
//!
//! ```
//! let text = "services:\n  web: { depends_on: [db] }\n  db: { kind: database }\n";
//! let loaded = whatif::model::load_str(text, "inline.yaml").expect("valid model");
//! assert_eq!(loaded.model.services().len(), 2);
//! let graph = whatif::graph::Graph::build(&loaded.model);
//! assert!(graph.cycles().is_empty());
//! ```

pub mod analysis;
pub mod codes;
pub mod error;
pub mod finding;
pub mod game;
pub mod graph;
pub mod import;
pub mod model;
pub mod render;
pub mod scenario;
pub mod sim;
pub mod text;

pub use error::Error;
pub use finding::{Finding, Severity};
