//! The game side of whatif: diagnosis (find the root cause from symptoms).

pub mod diagnose;
