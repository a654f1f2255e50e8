//! The engine's answers on the cases that used to catch it out: cycles,
//! queues that fill and drain, slowness, amplification, zones and cold
//! caches. Each test states the behaviour a user relies on, through the
//! library (no process per case, so the suite stays quick).

use whatif::model::{Model, load_file, load_str};
use whatif::sim::faults::{FaultKind, parse};
use whatif::sim::steady::{Engine, Outcome, State};
use whatif::sim::timeline::{Action, Event, Options, Timeline, simulate};

fn model(text: &str) -> Model {
    load_str(text, "t.yaml").expect("valid model").model
}

fn example(name: &str) -> Model {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    load_file(&path).expect("example loads").model
}

fn steady(m: &Model, faults: &[(FaultKind, &str)]) -> Outcome {
    let faults: Vec<_> = faults
        .iter()
        .map(|(k, a)| parse(*k, a, m).expect("fault parses"))
        .collect();
    Engine::new(m).steady(&faults)
}

fn state(m: &Model, o: &Outcome, name: &str) -> State {
    o.services[m.find(name).expect("service").index()].state
}

fn success(m: &Model, o: &Outcome, name: &str) -> f64 {
    o.services[m.find(name).expect("service").index()].success
}

fn fault(m: &Model, kind: FaultKind, arg: &str, at_s: f64, for_s: Option<f64>) -> Event {
    Event {
        at_s,
        for_s,
        action: Action::Fault(parse(kind, arg, m).expect("fault parses")),
    }
}

fn timeline(m: &Model, events: &[Event], duration_s: f64, step_s: f64) -> Timeline {
    simulate(m, events, Options { duration_s, step_s })
}

fn success_at(m: &Model, tl: &Timeline, name: &str, t: f64) -> f64 {
    let step = tl
        .times
        .iter()
        .rposition(|&s| s <= t + 1e-9)
        .expect("a step at or before t");
    tl.series[m.find(name).expect("service").index()][step].success
}

const CYCLE: &str = "services:
  web: { entry: { rps: 10 }, depends_on: [graph, users] }
  graph: { depends_on: [users, graph-db] }
  users: { depends_on: [graph, users-db] }
  graph-db: {}
  users-db: {}
";

/// The same model with the `graph:` and `users:` lines swapped.
fn mirrored(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines.clone();
    out.swap(2, 3);
    out.join("\n") + "\n"
}

#[test]
fn a_cycle_member_that_is_down_fails_its_callers_whatever_the_file_order() {
    for text in [CYCLE.to_owned(), mirrored(CYCLE)] {
        let m = model(&text);
        let healthy = steady(&m, &[]);
        for name in ["web", "graph", "users"] {
            assert_eq!(state(&m, &healthy, name), State::Healthy, "{name}\n{text}");
        }
        let o = steady(&m, &[(FaultKind::Down, "graph")]);
        assert_eq!(state(&m, &o, "users"), State::Down, "{text}");
        assert_eq!(state(&m, &o, "web"), State::Down, "{text}");
        let o = steady(&m, &[(FaultKind::Down, "users-db")]);
        for name in ["users", "graph", "web"] {
            assert_eq!(state(&m, &o, name), State::Down, "{name}\n{text}");
        }
        assert_eq!(state(&m, &o, "graph-db"), State::Healthy);
    }
}

/// Services a and b call each other, but their operations form no cycle:
/// a failure travels along the operations only.
const OPERATIONS: &str = "services:
  web: { entry: { rps: 10 }, depends_on: [a.read] }
  a:
    operations:
      read: { depends_on: [b.lookup] }
      write: { depends_on: [a-db] }
  b:
    operations:
      lookup: { depends_on: [b-db] }
      sync: { depends_on: [a.write] }
  a-db: {}
  b-db: {}
";

#[test]
fn operations_that_form_no_cycle_are_followed_exactly() {
    // Put b before a in the file: the answers must not move.
    let (head, rest) = OPERATIONS.split_at(OPERATIONS.find("  a:\n").unwrap());
    let (a_block, rest) = rest.split_at(rest.find("  b:\n").unwrap());
    let (b_block, tail) = rest.split_at(rest.find("  a-db").unwrap());
    let reordered = format!("{head}{b_block}{a_block}{tail}");
    assert_ne!(reordered, OPERATIONS);
    for text in [OPERATIONS.to_owned(), reordered] {
        let m = model(&text);
        let o = steady(&m, &[(FaultKind::Down, "b-db")]);
        assert_eq!(state(&m, &o, "web"), State::Down, "{text}");
        let o = steady(&m, &[(FaultKind::Down, "a-db")]);
        assert_eq!(state(&m, &o, "web"), State::Healthy, "{text}");
        assert_eq!(success(&m, &o, "web"), 1.0);
        // Each loses one operation of two.
        assert_eq!(state(&m, &o, "a"), State::Degraded, "{text}");
        assert_eq!(state(&m, &o, "b"), State::Degraded, "{text}");
    }
}

/// web sends 80 rps to api, which serves 100 rps and queues up to 2,400:
/// at x1.5 the excess is 40 rps, so the queue takes a minute to fill.
const QUEUE: &str = "services:
  web: { entry: { rps: 80 }, depends_on: [api] }
  api: { capacity: 100, queue: 2400, latency: 10ms }
";

#[test]
fn a_surge_shorter_than_the_queue_takes_to_fill_does_no_harm() {
    let m = model(QUEUE);
    // The long run of the surge rejects the excess: 1 − 100/120 ≈ 17 %.
    let o = steady(&m, &[(FaultKind::Surge, "x1.5")]);
    assert!(
        (success(&m, &o, "web") - 100.0 / 120.0).abs() < 0.01,
        "{}",
        success(&m, &o, "web")
    );
    // 30 s of surge leaves 1,200 queued: slower, but nothing rejected.
    let short = timeline(
        &m,
        &[fault(&m, FaultKind::Surge, "x1.5", 0.0, Some(30.0))],
        120.0,
        1.0,
    );
    for t in [10.0, 29.0, 30.0, 60.0, 119.0] {
        assert!(
            success_at(&m, &short, "web", t) > 0.999,
            "t={t}: {}",
            success_at(&m, &short, "web", t)
        );
    }
    assert_ne!(
        short.service_state(m.find("web").unwrap(), 29.0),
        State::Healthy
    );
    // Five minutes fills the queue (after about a minute): then the long
    // run's rejections apply.
    let long = timeline(
        &m,
        &[fault(&m, FaultKind::Surge, "x1.5", 0.0, Some(300.0))],
        300.0,
        1.0,
    );
    assert!(success_at(&m, &long, "web", 30.0) > 0.999);
    let late = success_at(&m, &long, "web", 200.0);
    assert!((late - 100.0 / 120.0).abs() < 0.02, "{late}");
    assert_eq!(
        long.service_state(m.find("web").unwrap(), 200.0),
        State::Degraded
    );
}

#[test]
fn a_flush_rescues_a_backlog() {
    let m = model(QUEUE);
    let api = m.find("api").unwrap();
    let surge = fault(&m, FaultKind::Surge, "x1.5", 0.0, Some(120.0));
    // After the surge the backlog drains at 100 − 80 = 20 rps: 2 minutes
    // of long waits.
    let without = timeline(&m, std::slice::from_ref(&surge), 300.0, 1.0);
    assert_eq!(
        without.service_state(m.find("web").unwrap(), 150.0),
        State::Slow
    );
    let with = timeline(
        &m,
        &[
            surge,
            Event {
                at_s: 121.0,
                for_s: None,
                action: Action::Flush { service: api },
            },
        ],
        300.0,
        1.0,
    );
    assert_eq!(
        with.service_state(m.find("web").unwrap(), 150.0),
        State::Healthy
    );
}

const PARTLY_SLOW: &str = "services:
  web: { entry: { rps: 10 }, depends_on: [{ to: b, timeout: 1s }] }
  b: { latency: 10ms CAPACITY }
";

#[test]
fn slowness_holds_threads_and_is_not_work() {
    for capacity in ["", ", capacity: 100"] {
        let m = model(&PARTLY_SLOW.replace(" CAPACITY", capacity));
        let o = steady(&m, &[(FaultKind::Slow, "b=+100s@5%")]);
        let s = success(&m, &o, "web");
        assert!((s - 0.95).abs() < 0.005, "capacity `{capacity}`: {s}");
        assert_eq!(state(&m, &o, "web"), State::Degraded);
    }
}

#[test]
fn retries_below_an_overloaded_service_do_not_amplify_what_they_never_reach() {
    let m = example("checkout-retries.yaml");
    let o = steady(&m, &[(FaultKind::Surge, "x1.5")]);
    let db = &o.services[m.find("payments-db").unwrap().index()];
    assert!(
        (db.amplification - 1.0).abs() < 0.01,
        "payments-db amplification {}",
        db.amplification
    );
}

#[test]
fn a_zone_outage_spares_external_services() {
    let m = example("payments.yaml");
    let o = steady(&m, &[(FaultKind::Down, "zone:az-1")]);
    let card = &o.services[m.find("card-network").unwrap().index()];
    assert_ne!(card.state, State::Down);
    assert!(!card.because.contains("crashed"), "{}", card.because);
}

const COLD: &str = "services:
  web: { entry: { rps: 100 }, depends_on: [{ to: cache, timeout: 1s, cache: { hit_ratio: 90%, on_miss: db WARM } }] }
  cache: {}
  db: { capacity: 50, queue: 10, latency: 10ms }
";

#[test]
fn a_cold_cache_agrees_in_both_evaluations_with_or_without_warm_up() {
    for (warm, warm_s) in [("", 300.0), (", warm_up: 10m", 600.0)] {
        let m = model(&COLD.replace(" WARM", warm));
        let web = m.find("web").unwrap();
        let o = steady(&m, &[(FaultKind::Cold, "cache")]);
        assert_ne!(o.services[web.index()].state, State::Healthy, "`{warm}`");
        assert!(
            o.services[web.index()].because.contains("warms up"),
            "{}",
            o.services[web.index()].because
        );
        let tl = timeline(
            &m,
            &[fault(&m, FaultKind::Cold, "cache", 0.0, None)],
            warm_s + 120.0,
            5.0,
        );
        // The moment the cache empties is the steady state.
        assert_eq!(tl.service_state(web, 0.0), o.services[web.index()].state);
        assert!((success_at(&m, &tl, "web", 0.0) - o.services[web.index()].success).abs() < 1e-9);
        // Two minutes in, still warming (the default is five minutes).
        assert_ne!(tl.service_state(web, 120.0), State::Healthy, "`{warm}`");
        assert_eq!(
            tl.service_state(web, warm_s + 60.0),
            State::Healthy,
            "`{warm}`"
        );
    }
}

/// Erlang C by its textbook sum, independent of the engine's code.
fn erlang_c(c: u64, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let last = term * a / c as f64 * c as f64 / (c as f64 - a);
    last / (sum + last)
}

#[test]
fn a_tenfold_slowdown_behind_a_timeout_fails_the_exponential_tail() {
    let m = model(
        "services:\n  web: { entry: { rps: 10 }, depends_on: [{ to: b, timeout: 1s }] }\n  b: { latency: 25ms }\n",
    );
    let o = steady(&m, &[(FaultKind::Slow, "b=x10")]);
    // 250 ms mean, exponential: P(> 1 s) = e⁻⁴.
    let failed = 1.0 - success(&m, &o, "web");
    assert!((failed - (-4.0f64).exp()).abs() < 0.001, "{failed}");
}

#[test]
fn calls_made_in_parallel_wait_for_the_slowest_of_k() {
    let m = model(
        "services:\n  web: { entry: { rps: 1 }, parallel: true, depends_on: [{ to: b, calls: 3 }] }\n  b: { latency: 30ms }\n",
    );
    let o = steady(&m, &[]);
    let web = &o.services[m.find("web").unwrap().index()];
    // E[max of 3 exponentials] = L (1 + 1/2 + 1/3).
    let expected = 0.030 * (1.0 + 0.5 + 1.0 / 3.0);
    assert!(
        (web.latency_s - expected).abs() / expected < 0.02,
        "{} vs {expected}",
        web.latency_s
    );
}

#[test]
fn the_timeline_settles_on_the_steady_state() {
    let m = model(QUEUE);
    let steady_web = success(&m, &steady(&m, &[(FaultKind::Surge, "x1.5")]), "web");
    let tl = timeline(
        &m,
        &[fault(&m, FaultKind::Surge, "x1.5", 0.0, None)],
        900.0,
        5.0,
    );
    let last = success_at(&m, &tl, "web", 900.0);
    assert!((last - steady_web).abs() < 0.005, "{last} vs {steady_web}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

    /// Below capacity, a chain of M/M/c services answers in the sum of
    /// their sojourns: work (c ÷ capacity, c = round(capacity × latency))
    /// plus Erlang C's wait at each.
    #[test]
    fn a_chain_of_queues_adds_its_sojourns(
        rps in 10u32..200,
        stages in proptest::collection::vec(1u32..60, 1..4),
        headroom in 1.15f64..4.0,
    ) {
        let mut text = String::from("services:\n");
        let mut expected = 0.0;
        for (i, &latency_ms) in stages.iter().enumerate() {
            let capacity = (f64::from(rps) * headroom).round();
            let deps = if i + 1 < stages.len() { format!(", depends_on: [s{}]", i + 1) } else { String::new() };
            let entry = if i == 0 { format!(", entry: {{ rps: {rps} }}") } else { String::new() };
            text.push_str(&format!("  s{i}: {{ capacity: {capacity}, latency: {latency_ms}ms{entry}{deps} }}\n"));
            let l = f64::from(latency_ms) / 1000.0;
            let c = (capacity * l).round().max(1.0) as u64;
            let a = f64::from(rps) / capacity * c as f64;
            // Each of the c servers works for c ÷ capacity on average.
            let service = c as f64 / capacity;
            expected += service + erlang_c(c, a) * service / (c as f64 - a);
        }
        let m = model(&text);
        let o = steady(&m, &[]);
        let got = o.services[0].latency_s;
        proptest::prop_assert!((got - expected).abs() / expected < 0.01, "{} vs {}\n{}", got, expected, text);
    }
}
