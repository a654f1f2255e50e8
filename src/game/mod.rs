//! The game side of whatif: the drill (predict a cascade, or find its root
//! cause, and be scored), diagnosis (rank root causes for symptoms), the
//! `fix` game (act on a real incident and be scored by the users it
//! spared) and the printable handouts. Pure state machines over a [`play::Console`]; the CLI
//! supplies the terminal.

pub mod diagnose;
pub mod drill;
pub mod fix;
pub mod handout;
pub mod lesson;
pub mod play;
