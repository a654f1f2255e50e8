//! Design-review analyses over the structural evaluation: basic events,
//! single points of failure, blast radius, minimal cut sets, Monte Carlo
//! availability, fault-tree export and resilience lints.

pub mod availability;
pub mod cuts;
pub mod events;
pub mod faulttree;
pub mod lints;
pub mod spof;
