//! Laws of the engine, checked on generated models with random faults.

use proptest::prelude::*;
use whatif::graph::Graph;
use whatif::model::generate::{Spec, generate};
use whatif::model::{Model, load_str};
use whatif::sim::faults::{Fault, FaultKind, parse};
use whatif::sim::steady::Engine;
use whatif::sim::structural::{StructuralFaults, evaluate};

fn model(services: usize, seed: u64) -> Model {
    load_str(&generate(Spec { services, seed }), "gen.yaml")
        .expect("generated models are valid")
        .model
}

/// A fault of any kind on the service picked by `pick`.
fn fault(m: &Model, kind: u8, pick: usize) -> Option<Fault> {
    let s = &m.services()[pick % m.services().len()];
    let name = &s.name;
    let (k, arg) = match kind % 8 {
        0 => (FaultKind::Down, name.clone()),
        1 => (FaultKind::Down, format!("{name}:1")),
        2 => (FaultKind::Hang, name.clone()),
        3 => (FaultKind::Slow, format!("{name}=+2s@20%")),
        4 => (FaultKind::Errors, format!("{name}=40%")),
        5 => (FaultKind::Down, "zone:zone-b".to_string()),
        6 => (FaultKind::Surge, "x2".to_string()),
        _ => (FaultKind::Cold, name.clone()),
    };
    parse(k, &arg, m).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// In the structural evaluation, failing more never heals anything.
    #[test]
    fn more_faults_never_heal(seed in 0u64..1000, n in 5usize..80, picks in proptest::collection::vec((0u8..8, 0usize..1000), 1..6), extra in proptest::collection::vec((0u8..8, 0usize..1000), 1..4)) {
        let m = model(n, seed);
        let graph = Graph::build(&m);
        let some: Vec<Fault> = picks.iter().filter_map(|&(k, p)| fault(&m, k, p)).collect();
        let mut more = some.clone();
        more.extend(extra.iter().filter_map(|&(k, p)| fault(&m, k, p)));
        let before = evaluate(&graph, &StructuralFaults::from_faults(&m, &some));
        let after = evaluate(&graph, &StructuralFaults::from_faults(&m, &more));
        for (i, (b, a)) in before.services.iter().zip(&after.services).enumerate() {
            prop_assert!(a >= b, "service {} healed: {:?} -> {:?}", m.services()[i].name, b, a);
        }
        for (b, a) in before.operations.iter().zip(&after.operations) {
            prop_assert!(a >= b);
        }
    }

    /// Every ratio stays in [0, 1], loads are finite and not negative, and
    /// the same input gives the same output.
    #[test]
    fn steady_state_figures_are_sane_and_deterministic(seed in 0u64..1000, n in 5usize..40, picks in proptest::collection::vec((0u8..8, 0usize..1000), 0..4)) {
        let m = model(n, seed);
        let faults: Vec<Fault> = picks.iter().filter_map(|&(k, p)| fault(&m, k, p)).collect();
        let engine = Engine::new(&m);
        let o = engine.steady(&faults);
        for f in o.services.iter().chain(o.operations.iter().flatten()) {
            prop_assert!((0.0..=1.0).contains(&f.success), "success {}", f.success);
            prop_assert!(f.load_rps.is_finite() && f.load_rps >= 0.0, "load {}", f.load_rps);
            prop_assert!(f.amplification.is_finite() && f.amplification >= 0.0);
            prop_assert!(f.latency_s >= 0.0);
        }
        prop_assert_eq!(o, engine.steady(&faults));
    }
}
