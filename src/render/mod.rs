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

/// Writes `value` as pretty JSON with a final newline, through a buffer:
/// the serialiser writes a few bytes at a time, and `out` is a trait
/// object (a call per write otherwise), even when it is buffered itself.
pub(crate) fn write_json_pretty<T: serde::Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, value)?;
    writeln!(buffered)?;
    buffered.flush()
}
