//! Simulation: faults, the structural evaluation, the steady state and its
//! explanations.

pub mod dist;
pub mod dists;
pub mod explain;
pub mod faults;
pub mod queueing;
pub mod steady;
pub mod structural;
pub mod timeline;
