//! The game side of whatif: the drill (predict a cascade, or find its root
//! cause, and be scored), diagnosis (rank root causes for symptoms) and the
//! printable handout. Pure state machines over a [`play::Console`]; the CLI
//! supplies the terminal.

pub mod diagnose;
pub mod drill;
pub mod handout;
pub mod lesson;
pub mod play;
