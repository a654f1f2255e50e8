//! Writers: one file per output format, each writing to `impl io::Write`.
//! Renderers never compute results; they draw what they are given.

pub mod analysis;
pub mod chart;
pub mod csp;
pub mod diagram;
pub mod diff;
pub mod dot;
pub mod findings;
pub mod fit;
pub mod graphviz;
pub mod interactive;
pub mod layout;
pub mod markers;
pub mod mermaid;
pub mod picture;
pub mod review;
pub mod run;
pub mod svg;
pub mod timeline;

pub use diagram::Diagram;
