//! CLI and output tests: the `whatif` binary driven as a user drives it.
#![allow(clippy::print_stderr, clippy::print_stdout)] // tests explain skips on stderr

mod browser;
mod chart;
mod check;
mod codes;
mod diff;
mod docs;
mod examples;
mod faulttree;
mod files;
mod fixtures;
mod game;
mod graph;
mod hostile;
mod html;
mod import;
mod incident_library;
mod incidents;
mod input;
mod laws;
mod lints;
mod mermaid;
mod phenomena;
mod review;
mod run;
mod scenarios;
mod schema;
mod shell;
mod support;
mod terminal;
mod terminal_text;
