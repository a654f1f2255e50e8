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

/// One dependency of a generated model with cycles: caller, callee and
/// policy bits (soft, timeout, retries).
type Edge = (usize, usize, u8);

/// A model of `n` services `s0…` whose calls (`edges`) may form cycles
/// anywhere. `s0` takes user traffic. With `limits`, services get a
/// capacity and a queue, so loads matter. Services are written in the
/// order `order` gives, and each dependency list in the order `deps_order`
/// gives (a seed; 0 keeps the order drawn).
fn cyclic_model(n: usize, edges: &[Edge], limits: bool, order: &[usize], deps_seed: u64) -> String {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut deps: Vec<Vec<String>> = vec![Vec::new(); n];
    let mut seen = std::collections::HashSet::new();
    for &(from, to, bits) in edges {
        let (from, to) = (from % n, to % n);
        if from == to || !seen.insert((from, to)) {
            continue;
        }
        let mut policy = vec![format!("to: s{to}")];
        if bits & 1 == 1 {
            policy.push("criticality: soft".into());
        }
        if bits & 2 == 2 {
            policy.push("timeout: 500ms".into());
        }
        if bits & 4 == 4 {
            policy.push("retries: 1".into());
        }
        deps[from].push(format!("{{ {} }}", policy.join(", ")));
    }
    if deps_seed != 0 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(deps_seed);
        for d in &mut deps {
            d.shuffle(&mut rng);
        }
    }
    let mut text = String::from("services:\n");
    for &i in order {
        let mut fields = vec!["latency: 5ms".to_string()];
        if i == 0 {
            fields.push("entry: { rps: 100 }".into());
        }
        if limits {
            fields.push(format!("capacity: {}", 80 + 40 * (i % 3)));
            fields.push("queue: 50".into());
        }
        if !deps[i].is_empty() {
            fields.push(format!("depends_on: [{}]", deps[i].join(", ")));
        }
        text.push_str(&format!("  s{i}: {{ {} }}\n", fields.join(", ")));
    }
    text
}

fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    order
}

/// Figures by service name, for comparing models written in another order.
fn by_name(
    m: &Model,
    o: &whatif::sim::steady::Outcome,
) -> Vec<(String, whatif::sim::steady::Figures)> {
    let mut v: Vec<_> = m
        .services()
        .iter()
        .zip(&o.services)
        .map(|(s, f)| (s.name.clone(), f.clone()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Equal as far as the steady state settles: it stops once a pass moves
/// no load or success by more than 1e-7 of itself (src/sim/steady/mod.rs),
/// and a move is the update times a step that halves each time the update
/// turns back, so after a few turns a small move can stand for a larger
/// distance from the fixed point: two files in another order, summing in
/// another order, stop up to about 1e-6 apart (a saved case: amplification
/// 1.2153074 against 1.2153089). About one generated case in a thousand
/// settles further apart, where a load sits right at a limit's edge: the
/// response jumps there and the two orders settle on its two sides (a
/// success of 0.350185 against 0.350202, where several services shed load
/// and retry into each other; the same when the stop rule also waits for
/// each load's full update to be small, so it is not a matter of stopping
/// early). None of those is saved here: docs/engine.md ("Settling")
/// states the limit.
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0)
}

/// A fault on service `pick` of a cyclic model.
fn cyclic_fault(m: &Model, kind: u8, pick: usize) -> Fault {
    let name = format!("s{}", pick % m.services().len());
    let (k, arg) = match kind % 4 {
        0 => (FaultKind::Down, name),
        1 => (FaultKind::Hang, name),
        2 => (FaultKind::Slow, format!("{name}=+800ms@30%")),
        _ => (FaultKind::Errors, format!("{name}=60%")),
    };
    parse(k, &arg, m).expect("fault parses")
}

fn edges() -> impl Strategy<Value = Vec<Edge>> {
    proptest::collection::vec((0usize..9, 0usize..9, 0u8..8), 2..22)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// No answer depends on the order of services in the file; with every
    /// dependency list shuffled too, no down or degraded state does under
    /// faults that answer at once (loads, latencies and a cycle member's
    /// mixed success may move: call order sets where a request stops; this
    /// half has no limits).
    #[test]
    fn file_order_changes_nothing(n in 3usize..9, edges in edges(), seed in 1u64..1000, kind in 0u8..4, pick in 0usize..9, limits: bool) {
        let a = load_str(&cyclic_model(n, &edges, limits, &(0..n).collect::<Vec<_>>(), 0), "a.yaml").expect("valid").model;
        let b = load_str(&cyclic_model(n, &edges, limits, &shuffled(n, seed), 0), "b.yaml").expect("valid").model;
        let (fa, fb) = (cyclic_fault(&a, kind, pick), cyclic_fault(&b, kind, pick));
        let (oa, ob) = (Engine::new(&a).steady(&[fa]), Engine::new(&b).steady(&[fb]));
        prop_assume!(oa.converged && ob.converged);
        for ((name, x), (_, y)) in by_name(&a, &oa).iter().zip(&by_name(&b, &ob)) {
            prop_assert_eq!(x.state, y.state, "{}", name);
            for (what, p, q) in [
                ("success", x.success, y.success),
                ("latency", x.latency_s, y.latency_s),
                ("load", x.load_rps, y.load_rps),
                ("amplification", x.amplification, y.amplification),
            ] {
                prop_assert!(close(p, q), "{} {}: {} vs {}", name, what, p, q);
            }
            // Means and shares are exact; a p99 is read from compressed
            // atoms, merged in an order that follows the file: it agrees
            // within the atom budget's error (src/sim/dist.rs), not to 1e-9.
            prop_assert!(
                x.p99_s == y.p99_s || (x.p99_s - y.p99_s).abs() <= 0.02 * x.p99_s.max(y.p99_s),
                "{} p99: {} vs {}", name, x.p99_s, y.p99_s
            );
        }
        // Only for faults that answer at once (down, errors): behind a hang
        // or a slowdown, call order also decides whether a request waits
        // forever on the hung call or fails fast before reaching it, and
        // so its caller's state (docs/engine.md: a request stops at its
        // first failed hard call).
        if !limits && matches!(kind % 4, 0 | 3) {
            // Call order decides where a request stops, so what it waits
            // for (latency, and with it `slow`) may move, and so may the
            // loads that weigh a cycle member's contexts (its success is
            // their load-weighted mix); whether it is down or degraded
            // may not.
            let c = load_str(&cyclic_model(n, &edges, false, &shuffled(n, seed), seed), "c.yaml").expect("valid").model;
            let oc = Engine::new(&c).steady(&[cyclic_fault(&c, kind, pick)]);
            let failing = |s: whatif::sim::steady::State| s.max(whatif::sim::steady::State::Slow);
            for ((name, x), (_, y)) in by_name(&a, &oa).iter().zip(&by_name(&c, &oc)) {
                prop_assert_eq!(failing(x.state), failing(y.state), "{}", name);
            }
        }
    }

    /// With no capacity, concurrency or queue limits (and no caches or
    /// operations), the services the steady state puts down are exactly
    /// those the structural evaluation puts down, for every service failing.
    #[test]
    fn without_limits_down_is_structural(n in 3usize..9, edges in edges()) {
        let m = load_str(&cyclic_model(n, &edges, false, &(0..n).collect::<Vec<_>>(), 0), "m.yaml").expect("valid").model;
        let engine = Engine::new(&m);
        let graph = Graph::build(&m);
        for x in m.service_ids() {
            let f = parse(FaultKind::Down, &m.service(x).name, &m).expect("fault");
            let o = engine.steady(std::slice::from_ref(&f));
            let s = evaluate(&graph, &StructuralFaults::from_faults(&m, &[f]));
            for id in m.service_ids() {
                let steady_down = o.services[id.index()].state == whatif::sim::steady::State::Down;
                let structural_down = s.services[id.index()] == whatif::sim::structural::Health::Down;
                prop_assert_eq!(steady_down, structural_down, "--down {}: {}", m.service(x).name, m.service(id).name);
            }
        }
    }

    /// Every chain starts where the trouble starts (a faulted service) and
    /// each step is a call the trouble travelled along.
    #[test]
    fn chains_start_at_the_fault_and_follow_calls(n in 3usize..9, edges in edges(), kind in 0u8..4, pick in 0usize..9, limits: bool) {
        let m = load_str(&cyclic_model(n, &edges, limits, &(0..n).collect::<Vec<_>>(), 0), "m.yaml").expect("valid").model;
        let f = cyclic_fault(&m, kind, pick);
        // The faulted services, and those unhealthy before any fault (an
        // overloaded service with limits).
        let mut starts = f.services(&m);
        let engine = Engine::new(&m);
        let baseline = engine.steady(&[]);
        starts.extend(m.service_ids().filter(|id| baseline.services[id.index()].state != whatif::sim::steady::State::Healthy));
        let o = engine.steady(&[f]);
        for (id, figures) in m.service_ids().zip(&o.services) {
            let chain = &figures.chain;
            if chain.is_empty() {
                continue;
            }
            prop_assert!(starts.contains(&chain[0]), "{}: chain starts at {}", m.service(id).name, m.service(chain[0]).name);
            prop_assert_eq!(*chain.last().unwrap(), id);
            // Each step shares a dependency; without limits only failures
            // travel, and they travel from callee to caller.
            for w in chain.windows(2) {
                let up = whatif::sim::faults::calls(&m, w[1], w[0], true);
                let down = whatif::sim::faults::calls(&m, w[0], w[1], true);
                prop_assert!(
                    up || (limits && down),
                    "{}: {} → {} is not a call the trouble travelled", m.service(id).name, m.service(w[0]).name, m.service(w[1]).name
                );
            }
        }
    }
}
