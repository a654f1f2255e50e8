//! Design-review analyses over the structural evaluation of the
//! [`Graph`](crate::graph::Graph): basic events, single points of failure,
//! blast radius, minimal cut sets (with their shared solver, [`mincut`]),
//! Monte Carlo availability, fault-tree export and resilience lints; the
//! sweep of every single fault's steady state for the interactive HTML
//! page; and the diff of two versions of a model.

pub mod availability;
pub mod cuts;
pub mod diff;
pub mod events;
pub mod faulttree;
pub mod lints;
pub mod mincut;
pub mod spof;
pub mod sweep;
