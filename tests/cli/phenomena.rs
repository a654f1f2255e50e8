//! The engine's phenomena (docs/engine.md), each pinned by a small purpose-built model whose
//! numbers are worked out by hand in the comments.

use whatif::model::{Model, load_str};
use whatif::sim::faults::{Fault, FaultKind, parse};
use whatif::sim::steady::{Engine, Figures, Outcome, State};

fn run(text: &str, faults: &[(FaultKind, &str)]) -> (Model, Outcome) {
    let model = load_str(text, "phenomenon.yaml")
        .expect("valid model")
        .model;
    let faults: Vec<Fault> = faults
        .iter()
        .map(|(k, a)| parse(*k, a, &model).expect("valid fault"))
        .collect();
    let outcome = Engine::new(&model).steady(&faults);
    assert!(outcome.converged, "did not converge");
    (model, outcome)
}

fn svc<'a>(m: &Model, o: &'a Outcome, name: &str) -> &'a Figures {
    &o.services[m
        .find(name)
        .unwrap_or_else(|| panic!("no service {name}"))
        .index()]
}

fn op<'a>(m: &Model, o: &'a Outcome, service: &str, operation: &str) -> &'a Figures {
    let id = m.find(service).unwrap();
    let oi = m
        .service(id)
        .operations
        .iter()
        .position(|x| x.name == operation)
        .unwrap();
    &o.operations[id.index()][oi]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * (1.0 + b.abs())
}

macro_rules! assert_close {
    ($a:expr, $b:expr) => {
        assert!(
            close($a, $b),
            "{} = {}, expected {}",
            stringify!($a),
            $a,
            $b
        )
    };
}

use FaultKind::*;

/// M/M/1/K by direct summation of its stationary distribution (written
/// out here, independent of the engine): (share turned away, mean time in
/// the system of an admitted request).
fn mm1k(lambda: f64, mu: f64, k: u32) -> (f64, f64) {
    let rho = lambda / mu;
    let weights: Vec<f64> = (0..=k).map(|n| rho.powi(n as i32)).collect();
    let total: f64 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
    let block = p[k as usize];
    let in_system: f64 = p.iter().enumerate().map(|(n, x)| n as f64 * x).sum();
    (block, in_system / (lambda * (1.0 - block)))
}

/// Phenomenon 1: A caller without a fallback fails with its hard dependency, for the
/// operations that use it.
#[test]
fn hard_dependency_failure() {
    let text = "services:
  web: { entry: { rps: 10 }, depends_on: [api] }
  api:
    operations:
      read: { depends_on: [cache] }
      write: { depends_on: [db] }
  cache: {}
  db: {}
";
    let (m, o) = run(text, &[(Down, "db")]);
    // web calls api without naming an operation: half its calls go to write.
    assert_eq!(op(&m, &o, "api", "write").state, State::Down);
    assert_eq!(op(&m, &o, "api", "read").state, State::Healthy);
    let api = svc(&m, &o, "api");
    assert_eq!(
        api.state,
        State::Degraded,
        "down only when all operations are"
    );
    assert_close!(api.success, 0.5);
    let web = svc(&m, &o, "web");
    assert_close!(web.success, 0.5);
    assert_eq!(web.state, State::Degraded);
    let names: Vec<&str> = web
        .chain
        .iter()
        .map(|&id| m.service(id).name.as_str())
        .collect();
    assert_eq!(names, ["db", "api", "web"]);
}

/// Phenomenon 2: Soft dependencies and fallbacks.
#[test]
fn soft_errors_degrade_but_soft_slowness_holds_threads() {
    let text = "services:
  web:
    entry: { rps: 1000 }
    concurrency: 100
    queue: 100
    latency: 10ms
    depends_on: [{ to: rec, criticality: soft }]
  rec: {}
";
    let (m, o) = run(text, &[(Down, "rec")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Degraded);
    assert_close!(web.success, 1.0);
    // rec answers in 0 + 1 s; web holds a slot 10 ms + 1 s = 1.01 s, so it
    // needs 1000 × 1.01 = 1010 slots and has 100: it serves 100 ÷ 1.01 =
    // 99.0099 rps of 1000, i.e. 9.90099 %, the rest is rejected.
    let (m, o) = run(text, &[(Slow, "rec=+1s")]);
    let web = svc(&m, &o, "web");
    assert_close!(web.success, 100.0 / 1.01 / 1000.0);
    assert_eq!(web.state, State::Degraded);
    assert!(web.because.contains("pool exhausted"), "{}", web.because);
}

#[test]
fn stale_and_failover_fallbacks() {
    let text = "services:
  web:
    entry: { rps: 10 }
    depends_on:
      - { to: catalog, fallback: { serve_stale_for: 10m } }
      - { to: db, fallback: { to: standby } }
  catalog: {}
  db: {}
  standby: {}
";
    let (m, o) = run(text, &[(Down, "catalog")]);
    let web = svc(&m, &o, "web");
    assert_eq!((web.state, web.success), (State::Degraded, 1.0));
    assert!(
        web.because.contains("serving stale copies (fallback, 10m)"),
        "{}",
        web.because
    );
    // Failover moves the calls and their load: standby takes all 10 rps.
    let (m, o) = run(text, &[(Down, "db")]);
    assert_eq!(svc(&m, &o, "web").state, State::Degraded);
    assert_close!(svc(&m, &o, "standby").load_rps, 10.0);
    let (m, o) = run(text, &[(Down, "db"), (Down, "standby")]);
    assert_eq!(svc(&m, &o, "web").state, State::Down);
}

/// Phenomenon 3: Redundancy: quorum, replica loss (highest-numbered first) and zones.
#[test]
fn redundancy_quorum_and_zones() {
    let text = "zones: [z1, z2, z3]
services:
  web: { entry: { rps: 10 }, depends_on: [db] }
  db: { replicas: 3, quorum: 2 }
";
    let (m, o) = run(text, &[(Down, "db:1")]);
    let db = svc(&m, &o, "db");
    assert_eq!(
        db.state,
        State::Healthy,
        "losing a spare is not a state change"
    );
    assert!(
        db.because.starts_with("lost 1 of 3 replicas"),
        "{}",
        db.because
    );
    // A bounded queue turns a few away at any load (M/M/c/K): still only
    // the lost spare to note.
    let queued = "services:
  web: { entry: { rps: 10 }, depends_on: [db] }
  db: { replicas: 3, capacity: 100, queue: 50 }
";
    let (m, o) = run(queued, &[(Down, "db:1")]);
    let db = svc(&m, &o, "db");
    assert_eq!(db.state, State::Healthy);
    assert_eq!(
        db.because,
        "lost 1 of 3 replicas; the other 2 carry 10 rps at 5% of capacity (--down db:1)"
    );
    let (m, o) = run(text, &[(Down, "db:2")]);
    assert_eq!(svc(&m, &o, "db").state, State::Down);
    assert_eq!(svc(&m, &o, "web").state, State::Down);
    let (m, o) = run(text, &[(Down, "zone:z2"), (Down, "zone:z3")]);
    assert_eq!(svc(&m, &o, "db").state, State::Down);
}

/// Phenomenon 4: Capacity and overload: losing one of three replicas at 80 % load.
#[test]
fn losing_a_replica_at_80_percent_overloads_the_rest() {
    let text = "services:
  api: { entry: { rps: 240 }, replicas: 3, capacity: 100, queue: 50, latency: 10ms }
";
    // Each replica works on c = round(100 × 10 ms) = 1 request at a time
    // and holds K = 1 + 50: an M/M/1/51 queue. Healthy: ρ = 0.8, so about
    // 1/(μ − λ) = 50 ms in the system; a rejection in a few hundred thousand.
    let (m, o) = run(text, &[]);
    let (block, sojourn) = mm1k(80.0, 100.0, 51);
    let api = svc(&m, &o, "api");
    assert_close!(api.success, 1.0 - block);
    assert_close!(api.latency_s, (1.0 - block) * sojourn);
    assert_eq!(api.state, State::Healthy);
    // One replica lost: 120 rps per replica against 100. The queue holds
    // its long-run occupancy (not always full): 1 − 1/1.2 ≈ 16.7 % are
    // turned away at once (0 ms), the rest wait and are served.
    let (m, o) = run(text, &[(Down, "api:1")]);
    let (block, sojourn) = mm1k(120.0, 100.0, 51);
    let api = svc(&m, &o, "api");
    assert_close!(api.success, 1.0 - block);
    assert_close!(api.latency_s, (1.0 - block) * sojourn);
    assert_eq!(api.state, State::Degraded);
    // Without a queue bound the backlog grows forever: every request fails.
    let unbounded = text.replace(", queue: 50", "");
    let (m, o) = run(&unbounded, &[(Down, "api:1")]);
    let api = svc(&m, &o, "api");
    assert_eq!((api.state, api.success), (State::Down, 0.0));
    assert!(api.latency_s.is_infinite());
}

/// Phenomenon 5: Latency adds up along synchronous chains; `parallel` takes the
/// slowest; a call slower than the timeout fails at the timeout.
#[test]
fn latency_and_timeouts() {
    let text = "services:
  web: { entry: { rps: 1 }, latency: 10ms, depends_on: [{ to: api, timeout: 1s }] }
  api: { latency: 20ms, depends_on: [db] }
  db: { latency: 30ms }
  par: { entry: { rps: 1 }, latency: 10ms, parallel: true, depends_on: [a, b] }
  a: { latency: 30ms }
  b: { latency: 50ms }
";
    let (m, o) = run(text, &[]);
    // Means add: 10 + 20 + 30 ms (a 1 s timeout cuts nothing of them).
    assert_close!(svc(&m, &o, "web").latency_s, 0.06);
    // At once, the later of two exponentials: E[max] = 30 + 50 − 1/(1/30 +
    // 1/50) = 61.25 ms, plus 10 ms own work. (Taking the later of two
    // distributions is approximate: within 2 %.)
    let par = svc(&m, &o, "par").latency_s;
    assert!((par / 0.07125 - 1.0).abs() < 0.02, "{par}");
    // db +2 s: api answers in about 2.05 s, web gives up at 1 s every time.
    let (m, o) = run(text, &[(Slow, "db=+2s")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Down);
    assert_close!(web.latency_s, 1.01); // 10 ms own + 1 s waiting
    assert!(web.because.contains("time out after 1s"), "{}", web.because);
}

#[test]
fn hang_waits_for_the_timeout_or_forever() {
    let text = "services:
  with: { entry: { rps: 1 }, depends_on: [{ to: db, timeout: 1s }] }
  without: { entry: { rps: 1 }, depends_on: [db] }
  db: {}
";
    let (m, o) = run(text, &[(Hang, "db")]);
    assert_eq!(svc(&m, &o, "with").state, State::Down);
    assert_close!(svc(&m, &o, "with").latency_s, 1.0);
    assert_eq!(svc(&m, &o, "without").state, State::Down);
    assert!(svc(&m, &o, "without").latency_s.is_infinite());
    let (m, o) = run(text, &[(Down, "db")]);
    assert_close!(svc(&m, &o, "with").latency_s, 0.0); // refused at once
}

/// Phenomenon 5: A partly slow fault is a two-part mixture; timeouts apply to each part.
#[test]
fn partly_slow_with_long_and_short_timeouts() {
    let text = "services:
  short: { entry: { rps: 1 }, depends_on: [{ to: db, timeout: 1s }] }
  long: { entry: { rps: 1 }, depends_on: [{ to: db, timeout: 200s }] }
  db: { latency: 20ms }
";
    let (m, o) = run(text, &[(Slow, "db=+100s@5%")]);
    // Short timeout: the slow 5 % fail at 1 s, the rest answer in 20 ms.
    let short = svc(&m, &o, "short");
    assert_close!(short.success, 0.95);
    assert_close!(short.latency_s, 0.95 * 0.02 + 0.05 * 1.0);
    assert_eq!(short.state, State::Degraded);
    // Long timeout: all succeed, 5 % after 100.02 s: mean 5.02 s, slow.
    let long = svc(&m, &o, "long");
    assert_close!(long.success, 1.0);
    assert_close!(long.latency_s, 0.95 * 0.02 + 0.05 * 100.02);
    assert_eq!(long.state, State::Slow);
}

/// Phenomenon 6: Pool exhaustion hits every operation alike, even those that never
/// touch the slow dependency.
#[test]
fn pool_exhaustion_hits_operations_that_never_touch_the_slow_dependency() {
    let text = "services:
  api:
    concurrency: 100
    queue: 100
    operations:
      read: { rps: 500, depends_on: [db] }
      report: { rps: 100, depends_on: [{ to: analytics, timeout: 5s }] }
  db: { latency: 10ms }
  analytics: {}
";
    // analytics +2 s. Time held, rps-weighted: (500 × 0.01 + 100 × 2) / 600
    // = 0.341667 s. Needed in flight: 600 × 0.341667 = 205 > 100, so the
    // pool serves 100 / 0.341667 = 292.68 rps of 600: 48.78 % of requests,
    // `read` included.
    let (m, o) = run(text, &[(Slow, "analytics=+2s")]);
    let held = (500.0 * 0.01 + 100.0 * 2.0) / 600.0;
    let served = 100.0 / held / 600.0;
    assert_close!(op(&m, &o, "api", "read").success, served);
    assert_close!(op(&m, &o, "api", "report").success, served);
    assert_eq!(op(&m, &o, "api", "read").state, State::Degraded);
}

/// Phenomenon 7: Retries multiply across layers; a budget caps them.
#[test]
fn retries_across_three_layers() {
    let text = "services:
  a: { entry: { rps: 10 }, depends_on: [{ to: b, retries: 2 }] }
  b: { depends_on: [{ to: c, retries: 2 }] }
  c: { depends_on: [{ to: d, retries: 2 }] }
  d: {}
";
    // d refuses everything, so every layer makes 3 attempts per call:
    // b 10 × 3 = 30, c 30 × 3 = 90, d 90 × 3 = 270 attempts per second.
    let (m, o) = run(text, &[(Down, "d")]);
    assert_close!(svc(&m, &o, "b").load_rps, 30.0);
    assert_close!(svc(&m, &o, "c").load_rps, 90.0);
    assert_close!(svc(&m, &o, "d").load_rps, 270.0);
    assert_close!(svc(&m, &o, "d").amplification, 27.0);
    // A 10 % budget per edge: at most 1.1 attempts per call: d gets 10 × 1.1³.
    let budgeted = text.replace("retries: 2 }", "retries: 2, retry_budget: 10% }");
    let (m, o) = run(&budgeted, &[(Down, "d")]);
    assert_close!(svc(&m, &o, "d").load_rps, 10.0 * 1.1f64.powi(3));
}

/// Phenomenon 8: A breaker opens when the failure share of attempts is above its
/// threshold: calls fail fast, with no retries and no load.
#[test]
fn circuit_breaker_opens_above_its_threshold() {
    let text = "services:
  a: { entry: { rps: 10 }, depends_on: [{ to: b, retries: 2, circuit_breaker: { threshold: 50%, open_for: 30s } }] }
  b: {}
";
    // 30 % errors: closed. Attempts per call 1 + 0.3 + 0.09 = 1.39; a call
    // fails only if all three attempts do: success 1 − 0.3³ = 0.973.
    let (m, o) = run(text, &[(Errors, "b=30%")]);
    assert_close!(svc(&m, &o, "b").load_rps, 13.9);
    assert_close!(svc(&m, &o, "a").success, 1.0 - 0.027);
    // 60 % errors: open. No load on b, a fails fast.
    let (m, o) = run(text, &[(Errors, "b=60%")]);
    assert_close!(svc(&m, &o, "b").load_rps, 0.0);
    let a = svc(&m, &o, "a");
    assert_eq!(a.state, State::Down);
    assert!(a.because.contains("breaker on b is open"), "{}", a.because);
}

/// Phenomenon 9: Async hand-offs degrade the caller while the callee is down; startup
/// dependencies do not touch a running caller; background ones degrade.
#[test]
fn async_background_and_startup() {
    let text = "services:
  web:
    entry: { rps: 10 }
    depends_on:
      - { to: orders, mode: async, buffer: 6000 }
      - { to: metrics, phase: background }
      - { to: config, phase: startup }
  orders: {}
  metrics: {}
  config: {}
";
    // 10 hand-offs a second into a buffer of 6000: full in 600 s = 10m.
    let (m, o) = run(text, &[(Down, "orders")]);
    let web = svc(&m, &o, "web");
    assert_eq!((web.state, web.success), (State::Degraded, 1.0));
    assert!(web.because.contains("fills in 10m"), "{}", web.because);
    let (m, o) = run(text, &[(Down, "metrics")]);
    assert_eq!(svc(&m, &o, "web").state, State::Degraded);
    let (m, o) = run(text, &[(Down, "config")]);
    assert_eq!(svc(&m, &o, "web").state, State::Healthy);
}

/// Phenomenon 11: Look-aside caches: misses go to `on_miss`; a database sized for the
/// misses drowns when the cache empties.
#[test]
fn a_cold_cache_drowns_the_database_behind_it() {
    let text = "services:
  web: { entry: { rps: 100 }, depends_on: [{ to: cache, cache: { hit_ratio: 90%, on_miss: db, warm_up: 10m } }] }
  cache: {}
  db: { capacity: 50, queue: 10, latency: 10ms }
";
    // Warm: 10 % of 100 rps miss: db serves 10 rps, ρ = 0.2.
    let (m, o) = run(text, &[]);
    assert_close!(svc(&m, &o, "db").load_rps, 10.0);
    assert_eq!(svc(&m, &o, "web").state, State::Healthy);
    // Cold: all 100 rps go to a db that serves 50 (one server, K = 11):
    // about half are turned away.
    let (m, o) = run(text, &[(Cold, "cache")]);
    let (block, _) = mm1k(100.0, 50.0, 11);
    assert_close!(svc(&m, &o, "db").load_rps, 100.0);
    assert_close!(svc(&m, &o, "db").success, 1.0 - block);
    let web = svc(&m, &o, "web");
    assert_close!(web.success, 1.0 - block);
    assert_eq!(web.state, State::Degraded);
    // Cache down: the same flood.
    let (m, o) = run(text, &[(Down, "cache")]);
    assert_close!(svc(&m, &o, "db").load_rps, 100.0);
}

/// In a cycle, a caller no traffic reaches may wait on a path the loaded
/// callers do not take: `report` calls `api`, which (from `report`) calls
/// `web`, slowed; from `web` itself, `api` does not call back. So `api`
/// answers its real traffic as fast as ever while `report`'s calls wait on
/// `web`: the reason says what `report`'s calls take, and the chain runs
/// along the calls the slowness travelled (web → api → report), never
/// from a caller down into `report` (`admin` calls `report`; no load moved).
#[test]
fn a_caller_waiting_through_a_cycle_names_what_its_calls_take() {
    let text = "services:
  web: { latency: 5ms, entry: { rps: 100 }, depends_on: [api] }
  api: { latency: 5ms, depends_on: [web] }
  report: { latency: 5ms, depends_on: [api] }
  admin: { latency: 5ms, depends_on: [report, web] }
";
    let (m, o) = run(text, &[(Slow, "web=+800ms@30%")]);
    let name = |ids: &[whatif::model::ServiceId]| -> Vec<String> {
        ids.iter().map(|&id| m.service(id).name.clone()).collect()
    };
    // web: 5 ms own + 30 % × 800 ms, then api's 5 ms.
    assert_close!(svc(&m, &o, "web").latency_s, 0.250);
    assert_eq!(svc(&m, &o, "api").state, State::Healthy);
    let report = svc(&m, &o, "report");
    assert_eq!(report.state, State::Slow);
    // api from report: 5 ms own + web's 245 ms (web's call to api stops
    // there: the cycle is walked once); normally 5 + 5.
    assert_eq!(report.because, "calls to api take 250ms (normally 10ms)");
    assert_eq!(name(&report.chain), ["web", "api", "report"]);
    // admin's two callees add the same time; the first it lists names
    // the chain.
    let admin = svc(&m, &o, "admin");
    assert_eq!(admin.state, State::Slow);
    assert_eq!(admin.because, "report answers in 255ms (normally 15ms)");
    assert_eq!(name(&admin.chain), ["web", "api", "report", "admin"]);
}

/// Five services in one cycle, entered at `s0`; `s3`'s callees are all on
/// the path that reaches it from there.
const FIVE_IN_A_CYCLE: &str = "services:
  s0: { latency: 5ms, entry: { rps: 100 }, depends_on: [s2] }
  s1: { latency: 5ms, depends_on: [s2, s4] }
  s2: { latency: 5ms, depends_on: [s1] }
  s3: { latency: 5ms, depends_on: [s4, s1, s2] }
  s4: { latency: 5ms, depends_on: [s2, s3] }
";

/// A cycle member whose traffic stops is measured against the same call
/// paths before the fault, not against where its requests used to come
/// in. Here `s3`'s traffic arrived through `s0 → s2 → s1 → s4 → s3`,
/// where every callee of `s3` is already on the path (the cycle is
/// walked once: 5 ms). With `s0` down nothing arrives, and a request
/// entering at `s3` would walk the whole cycle (55 ms) — as it would have
/// before the fault: nothing changed for `s3`, so it stays healthy.
#[test]
fn a_cycle_member_whose_traffic_stops_is_not_slow() {
    let (m, o) = run(FIVE_IN_A_CYCLE, &[(Down, "s0")]);
    let s3 = svc(&m, &o, "s3");
    assert_close!(s3.load_rps, 0.0);
    assert_close!(s3.latency_s, 0.055);
    assert_eq!(s3.state, State::Healthy);
    for name in ["s1", "s2", "s4"] {
        assert_eq!(svc(&m, &o, name).state, State::Healthy, "{name}");
    }
}

/// A caller's cause quotes the same "normally" as the cycle member it
/// calls: what the member answered before along the paths its requests
/// take now. `ext` enters the cycle at `s3`, whose requests normally come
/// half from inside the cycle (5 ms: its callees are already on the path)
/// and half from `ext` (the whole cycle, 55 ms): 30 ms over both. With
/// `s0` down only `ext`'s remain, so for `ext` the normal is 55 ms, not
/// 30.
#[test]
fn a_caller_of_a_cycle_member_quotes_the_normal_of_its_own_paths() {
    let text = format!(
        "{FIVE_IN_A_CYCLE}  ext: {{ latency: 5ms, entry: {{ rps: 100 }}, depends_on: [s3] }}\n"
    );
    let (m, o) = run(&text, &[(Down, "s0"), (Slow, "s4=+100ms")]);
    let ext = svc(&m, &o, "ext");
    assert_eq!(ext.state, State::Slow);
    assert_close!(ext.latency_s, 0.360);
    assert_eq!(ext.because, "s3 answers in 355ms (normally 55ms)");
}

/// The names along a figure's chain.
fn chain(m: &Model, f: &Figures) -> Vec<String> {
    f.chain
        .iter()
        .map(|&id| m.service(id).name.clone())
        .collect()
}

/// A request stops at its first failed hard call: with `b` down, `web`
/// never calls `c` (also down, through `b`), so its reason and chain name
/// `b`, and say nothing of `c`.
#[test]
fn the_first_failed_hard_call_is_the_reason() {
    let text = "services:
  web: { entry: { rps: 100 }, depends_on: [b, c] }
  c: { depends_on: [b] }
  b: {}
";
    let (m, o) = run(text, &[(Down, "b")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Down);
    assert_eq!(
        web.because,
        "hard dependency b is down (100% of calls fail)"
    );
    assert_eq!(chain(&m, web), ["b", "web"]);
    assert_close!(svc(&m, &o, "c").load_rps, 0.0);
}

/// The structural rule for a look-aside cache: misses sent to a dead
/// `on_miss` fail, which degrades the caller however few they are (here
/// 0.5 % of calls: above the 99 % success line).
#[test]
fn a_cache_whose_on_miss_is_down_degrades_its_caller() {
    let text = "services:
  app:
    entry: { rps: 100 }
    depends_on:
      - to: cache
        cache: { hit_ratio: 99.5%, on_miss: db }
  cache: {}
  db: {}
";
    let (m, o) = run(text, &[(Down, "db")]);
    let app = svc(&m, &o, "app");
    assert_close!(app.success, 0.995);
    assert_eq!(app.state, State::Degraded);
    assert_eq!(
        app.because,
        "cache misses go to db, which is down: 0.5% of calls fail"
    );
    assert_eq!(chain(&m, app), ["db", "app"]);
}

/// Soft spares a caller the answer, not the wait: a soft dependency that
/// never answers, behind no timeout, holds every request for ever.
#[test]
fn a_soft_dependency_that_never_answers_holds_the_request() {
    let text = "services:
  web: { entry: { rps: 100 }, depends_on: [{ to: rec, criticality: soft }] }
  rec: { latency: 10ms }
";
    let (m, o) = run(text, &[(Hang, "rec")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Down);
    assert!(web.latency_s.is_infinite());
    assert!(
        web.because
            .starts_with("waits forever on soft dependency rec"),
        "{}",
        web.because
    );
}

/// Every service's name, reason and chain under one fault, by name (so
/// that two listings of one model compare whatever their file order).
fn reasons_and_chains(text: &str, fault: (FaultKind, &str)) -> Vec<(String, String, Vec<String>)> {
    let (m, o) = run(text, &[fault]);
    let mut rows: Vec<_> = m
        .services()
        .iter()
        .zip(&o.services)
        .map(|(s, f)| (s.name.clone(), f.because.clone(), chain(&m, f)))
        .collect();
    rows.sort();
    rows
}

/// Services listed in another order give the same states, reasons and
/// chains: a background dependency listed after its caller (outside the
/// request path, so outside the steady state's regions) is still read as
/// down, and of two callers a surge overloads the shared database
/// through, the chain names the same one either way.
#[test]
fn reasons_and_chains_do_not_follow_the_file_order() {
    let background = [
        "services:
  api: { entry: { rps: 100 }, depends_on: [{ to: metrics, phase: background }] }
  metrics: {}
",
        "services:
  metrics: {}
  api: { entry: { rps: 100 }, depends_on: [{ to: metrics, phase: background }] }
",
    ];
    for text in background {
        let (m, o) = run(text, &[(Down, "metrics")]);
        let api = svc(&m, &o, "api");
        assert_eq!(api.state, State::Degraded);
        assert_eq!(api.because, "background dependency metrics is down");
        assert_eq!(chain(&m, api), ["metrics", "api"]);
    }
    let surge = [
        "services:
  web: { entry: { rps: 100 }, depends_on: [db] }
  mob: { entry: { rps: 100 }, depends_on: [db] }
  db: { latency: 5ms, capacity: 300, queue: 50 }
",
        "services:
  db: { latency: 5ms, capacity: 300, queue: 50 }
  mob: { entry: { rps: 100 }, depends_on: [db] }
  web: { entry: { rps: 100 }, depends_on: [db] }
",
    ];
    let seen: Vec<_> = surge
        .iter()
        .map(|text| reasons_and_chains(text, (Surge, "x2")))
        .collect();
    assert_eq!(seen[0], seen[1]);
    let db = seen[0].iter().find(|r| r.0 == "db").unwrap();
    assert_eq!(
        db.2,
        ["mob", "db"],
        "equally near starts: the first by name"
    );
}

/// Inside a cycle longer than the 12 services counted exactly (walked once
/// in name order), the members' chains do not follow the file order
/// either: listed forwards and backwards, every service has the same
/// reason and chain.
#[test]
fn chains_inside_a_long_cycle_do_not_follow_the_file_order() {
    let services = [
        "  s01: { depends_on: [s02, s05] }",
        "  s02: { depends_on: [s03] }",
        "  s03: { depends_on: [s13, s04] }",
        "  s04: { depends_on: [s05] }",
        "  s05: { depends_on: [s06] }",
        "  s06: { depends_on: [s07] }",
        "  s07: { depends_on: [s08, s13] }",
        "  s08: { depends_on: [s06, s09] }",
        "  s09: { depends_on: [s10, s03, db] }",
        "  s10: { depends_on: [s11, s13, db] }",
        "  s11: { depends_on: [s12] }",
        "  s12: { depends_on: [s13, db] }",
        "  s13: { depends_on: [s14] }",
        "  s14: { depends_on: [s01, s07] }",
        "  db: {}",
    ];
    let text = |rows: Vec<&str>| {
        format!(
            "services:\n  web: {{ entry: {{ rps: 10 }}, depends_on: [s01] }}\n{}\n",
            rows.join("\n")
        )
    };
    let forwards = text(services.to_vec());
    let backwards = text(services.iter().rev().copied().collect());
    // Services that call one another round only through background links:
    // their request-path regions have no order between them, and must not
    // take the file's.
    let round = [
        "  bravo: { depends_on: [{ to: hotel, phase: background }] }",
        "  gamma: { depends_on: [bravo] }",
        "  hotel: { depends_on: [{ to: gamma, phase: background }, { to: db, phase: background }] }",
    ];
    let plain = |rows: Vec<&str>| format!("services:\n{}\n", rows.join("\n"));
    let round_forwards = plain(round.iter().copied().chain(["  db: {}"]).collect());
    let round_backwards = plain(
        ["  db: {}"]
            .into_iter()
            .chain(round.iter().rev().copied())
            .collect(),
    );
    for (forwards, backwards, fault) in [
        (&forwards, &backwards, (Down, "db")),
        (&forwards, &backwards, (Hang, "db")),
        (&round_forwards, &round_backwards, (Down, "db")),
    ] {
        assert_eq!(
            reasons_and_chains(forwards, fault),
            reasons_and_chains(backwards, fault),
            "{fault:?}"
        );
    }
}

/// Trouble that comes back round a cycle is not its own cause: hotel is
/// degraded because db (soft) is down, and gamma, degraded through hotel
/// itself, is not added as a second reason; no chain passes a service
/// twice. Both ways the file lists them.
#[test]
fn trouble_come_back_round_a_cycle_is_not_the_reason() {
    let round = [
        "  web: { entry: { rps: 10 }, depends_on: [hotel] }",
        "  bravo: { depends_on: [hotel] }",
        "  gamma: { depends_on: [bravo] }",
        "  hotel: { depends_on: [gamma, { to: db, criticality: soft }] }",
        "  db: {}",
    ];
    let plain = |rows: Vec<&str>| format!("services:\n{}\n", rows.join("\n"));
    for text in [
        plain(round.to_vec()),
        plain(round.iter().rev().copied().collect()),
    ] {
        let (m, o) = run(&text, &[(Down, "db")]);
        let hotel = svc(&m, &o, "hotel");
        assert_eq!(hotel.state, State::Degraded);
        assert_eq!(
            hotel.because,
            "soft dependency db fails 100% of calls; serving without it"
        );
        assert_eq!(chain(&m, hotel), ["db", "hotel"]);
        assert_eq!(
            chain(&m, svc(&m, &o, "gamma")),
            ["db", "hotel", "bravo", "gamma"]
        );
        for f in o.services.iter().chain(o.operations.iter().flatten()) {
            let mut seen = f.chain.clone();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), f.chain.len(), "{:?}", chain(&m, f));
        }
    }
}

/// SPEC's structural table: a soft, async or background edge passes only a
/// dead target on; one merely degraded (serving every call, with a soft
/// dependency of its own down) has no effect on the caller. A cache edge
/// whose cache, or whose misses' target, is degraded degrades the caller.
#[test]
fn a_degraded_target_reaches_callers_as_the_structural_rules_say() {
    let text = "services:
  web: { entry: { rps: 10 }, depends_on: [{ to: x, mode: async }] }
  bg: { entry: { rps: 10 }, depends_on: [{ to: x, phase: background }] }
  soft: { entry: { rps: 10 }, depends_on: [{ to: x, criticality: soft }] }
  hard: { entry: { rps: 10 }, depends_on: [x] }
  x: { depends_on: [{ to: s, criticality: soft }] }
  s: {}
";
    let (m, o) = run(text, &[(Down, "s")]);
    assert_eq!(svc(&m, &o, "x").state, State::Degraded);
    for caller in ["web", "bg", "soft"] {
        assert_eq!(svc(&m, &o, caller).state, State::Healthy, "{caller}");
    }
    assert_eq!(svc(&m, &o, "hard").state, State::Degraded);
    // Dead, x reaches them all.
    let (m, o) = run(text, &[(Down, "x")]);
    for caller in ["web", "bg", "soft"] {
        assert_eq!(svc(&m, &o, caller).state, State::Degraded, "{caller}");
    }
    let cache = "services:
  web: { entry: { rps: 10 }, depends_on: [{ to: cache, cache: { hit_ratio: 90%, on_miss: db } }] }
  cache: { depends_on: [{ to: s, criticality: soft }] }
  db: { depends_on: [{ to: s2, criticality: soft }] }
  s: {}
  s2: {}
";
    let (m, o) = run(cache, &[(Down, "s")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Degraded);
    assert_eq!(web.because, "cache cache is degraded");
    assert_eq!(chain(&m, web), ["s", "cache", "web"]);
    let (m, o) = run(cache, &[(Down, "s2")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Degraded);
    assert_eq!(
        web.because,
        "cache misses (10% of calls) go to db, which is degraded"
    );
    assert_eq!(chain(&m, web), ["s2", "db", "web"]);
}

/// A hung target behind no timeout never fails a call, so no fallback is
/// reached: the caller is down, and its reason says so rather than "its
/// failover fails too" (the failover is healthy) or "serving stale copies";
/// nor does the failover (or a cache's `on_miss`) get the calls' load.
#[test]
fn a_fallback_behind_no_timeout_is_never_reached_by_a_hang() {
    let failover = "services:
  web: { entry: { rps: 100 }, depends_on: [{ to: db, fallback: { to: sb } }] }
  db: {}
  sb: {}
";
    let (m, o) = run(failover, &[(Hang, "db")]);
    assert_close!(svc(&m, &o, "sb").load_rps, 0.0);
    let (m, o) = run(failover, &[(Down, "db")]);
    assert_close!(svc(&m, &o, "sb").load_rps, 100.0);
    // The failover over a cut link: sb is healthy, the link is the reason.
    let (m, o) = run(failover, &[(Down, "db"), (Cut, "web->sb")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Down);
    assert_eq!(
        web.because,
        "db is down, and the link to its failover sb is cut"
    );
    let cache = "services:
  web: { entry: { rps: 100 }, depends_on: [{ to: cache, cache: { hit_ratio: 80%, on_miss: db } }] }
  cache: {}
  db: {}
";
    let (m, o) = run(cache, &[(Hang, "cache")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Down);
    assert_eq!(
        web.because,
        "calls to cache cache never answer and have no timeout: they never go on to db"
    );
    assert_close!(svc(&m, &o, "db").load_rps, 0.0);
    let (m, o) = run(cache, &[(Down, "cache")]);
    assert_eq!(svc(&m, &o, "web").state, State::Degraded);
    assert_close!(svc(&m, &o, "db").load_rps, 100.0);
    // Half hung: half the calls wait forever, and the reason says so
    // (not that the failover or db fails them).
    let half = failover.replace("db: {}", "db: { replicas: 2 }");
    let (m, o) = run(&half, &[(Hang, "db:1")]);
    let web = svc(&m, &o, "web");
    assert_eq!(
        web.because,
        "50% of calls to db never answer and have no timeout: the failover to sb is never tried"
    );
    assert_close!(svc(&m, &o, "sb").load_rps, 0.0);
    let half = cache.replace("cache: {}", "cache: { replicas: 2 }");
    let (m, o) = run(&half, &[(Hang, "cache:1")]);
    assert_eq!(
        svc(&m, &o, "web").because,
        "50% of calls to cache cache never answer and have no timeout: they never go on to db"
    );
    for (fallback, reached) in [
        ("{ to: sb }", "the failover to sb is never tried"),
        (
            "{ serve_stale_for: 10m }",
            "the stale copies are never served",
        ),
    ] {
        let text = format!(
            "services:
  web: {{ entry: {{ rps: 100 }}, depends_on: [{{ to: db, fallback: {fallback} }}] }}
  db: {{}}
  sb: {{}}
"
        );
        let (m, o) = run(&text, &[(Hang, "db")]);
        let web = svc(&m, &o, "web");
        assert_eq!(web.state, State::Down);
        assert_eq!(
            web.because,
            format!("calls to db never answer and have no timeout: {reached}")
        );
        // Down, the fallback is reached.
        let (m, o) = run(&text, &[(Down, "db")]);
        assert_eq!(svc(&m, &o, "web").state, State::Degraded);
    }
}

/// A model without services settles at once.
/// A fallback is "in use" when more of the calls need it than a healthy
/// caller could lose (1 %): with no fault, a 20 ms db behind a 200 ms
/// timeout misses e^−10 of its calls, which fail over or are served stale,
/// and the caller is healthy, not degraded. Slowed ×5 (100 ms mean), db
/// misses e^−2 = 13.5 %, and the fallback is in use.
#[test]
fn a_timeout_tail_is_not_a_fallback_in_use() {
    for fallback in ["{ to: sb }", "{ serve_stale_for: 5m }"] {
        let text = format!(
            "services:
  web: {{ entry: {{ rps: 100 }}, depends_on: [{{ to: db, timeout: 200ms, fallback: {fallback} }}] }}
  db: {{ latency: 20ms }}
  sb: {{ latency: 20ms }}
"
        );
        let (m, o) = run(&text, &[]);
        let web = svc(&m, &o, "web");
        assert_eq!(web.state, State::Healthy, "{fallback}: {}", web.because);
        assert_eq!(web.because, "");
        let (m, o) = run(&text, &[(Slow, "db=x5")]);
        assert_eq!(svc(&m, &o, "web").state, State::Degraded, "{fallback}");
    }
}

/// A request waits for a thread and for a server: with both `capacity`
/// and `concurrency`, the limit that does not bind still adds its wait,
/// so a thread limit never makes a service faster. Here one server at
/// half its capacity waits 10 ms (M/M/1: 10 ms × 0.5 ÷ 0.5), and a
/// request takes 10 + 10 + 50 ms with no thread limit; with 5 threads
/// (each held 60 ms: 83 a second, fewer than the 100 of capacity) the
/// threads bind, and it took 67 ms — the server's wait was dropped.
#[test]
fn a_second_limit_never_shortens_the_wait() {
    let text = |limit: &str| {
        format!(
            "services:
  a: {{ entry: {{ rps: 50 }}, capacity: 100, latency: 10ms, queue: 20{limit}, depends_on: [b] }}
  b: {{ latency: 50ms }}
"
        )
    };
    let (m, o) = run(&text(""), &[]);
    let free = svc(&m, &o, "a").latency_s * 1000.0;
    assert!((free - 70.0).abs() < 0.01, "{free}");
    let mut last = free;
    for n in [1000, 8, 6, 5, 4] {
        let (m, o) = run(&text(&format!(", concurrency: {n}")), &[]);
        let got = svc(&m, &o, "a").latency_s * 1000.0;
        assert!(
            got >= last - 1e-9,
            "{n} threads: {got} ms, faster than {last} ms"
        );
        last = got;
    }
    assert!(last > 80.0, "{last}");
}

#[test]
fn an_empty_model_settles() {
    let model = load_str("name: empty\nservices: {}\n", "e.yaml")
        .expect("valid")
        .model;
    let o = Engine::new(&model).steady(&[]);
    assert!(o.converged);
    assert!(o.iterations <= 2, "{}", o.iterations);
}

/// At once (`parallel: true`) every call is made: both dead dependencies
/// are in the reason.
#[test]
fn calls_made_at_once_all_count_in_the_reason() {
    let text = "services:
  web: { entry: { rps: 100 }, parallel: true, depends_on: [b, c] }
  b: {}
  c: {}
";
    let (m, o) = run(text, &[(Down, "b"), (Down, "c")]);
    assert_eq!(
        svc(&m, &o, "web").because,
        "hard dependency b is down (100% of calls fail); also hard dependency c is down (100% of calls fail)"
    );
}

/// One hung replica of three, behind a soft edge with no timeout: a third
/// of the calls never end, so a third of the requests never do.
#[test]
fn a_partly_hung_soft_dependency_degrades() {
    let text = "services:
  web: { entry: { rps: 100 }, depends_on: [{ to: rec, criticality: soft }] }
  rec: { latency: 10ms, replicas: 3 }
";
    let (m, o) = run(text, &[(Hang, "rec:1")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Degraded);
    assert!(
        web.because
            .starts_with("waits forever on soft dependency rec: 33% of calls never get an answer"),
        "{}",
        web.because
    );
}

/// An async buffer takes the hand-offs that do not get through, as the
/// timeline fills it: a callee that is slow but takes every hand-off
/// fills nothing and leaves its caller healthy (as a degraded one does:
/// an async edge passes on only a dead target), a dead one fills it at
/// the whole rate, and a buffer of 0 is full from the start (the edge
/// fails like a sync call).
#[test]
fn an_async_buffer_fills_with_what_does_not_get_through() {
    let text = |buffer: u32| {
        format!(
            "services:
  web: {{ entry: {{ rps: 100 }}, depends_on: [{{ to: mailer, mode: async, buffer: {buffer} }}] }}
  mailer: {{ latency: 80ms, capacity: 400 }}
"
        )
    };
    let (m, o) = run(&text(6000), &[(Slow, "mailer=x10")]);
    assert_eq!(svc(&m, &o, "mailer").state, State::Slow);
    assert_eq!(svc(&m, &o, "web").state, State::Healthy);
    assert_eq!(svc(&m, &o, "web").because, "");
    let (m, o) = run(&text(6000), &[(Down, "mailer")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Degraded);
    assert!(
        web.because.ends_with("its buffer of 6,000 fills in 1m"),
        "{}",
        web.because
    );
    let (m, o) = run(&text(0), &[(Down, "mailer")]);
    assert_eq!(svc(&m, &o, "web").state, State::Down);
}

/// A dependency on one operation is named as written (`api.login`), and the
/// state it quotes is that operation's, not the service's.
#[test]
fn a_reason_names_the_operation_it_calls() {
    let text = "services:
  web: { entry: { rps: 100 }, depends_on: [api.login] }
  api:
    operations:
      login: { depends_on: [users] }
      browse: { rps: 50, depends_on: [catalog] }
  users: {}
  catalog: {}
";
    let (m, o) = run(text, &[(Down, "users")]);
    assert_eq!(svc(&m, &o, "api").state, State::Degraded);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Down);
    assert_eq!(
        web.because,
        "hard dependency api.login is down (100% of calls fail)"
    );
}

/// A cache that is down sends every call to `on_miss`; when that is down
/// too, the reason says so (the caller is down, not degraded).
#[test]
fn a_dead_cache_over_a_dead_database_says_both() {
    let text = "services:
  web: { entry: { rps: 100 }, depends_on: [{ to: cache, timeout: 1s, cache: { hit_ratio: 90%, on_miss: db } }] }
  cache: {}
  db: {}
";
    let (m, o) = run(text, &[(Down, "cache"), (Down, "db")]);
    let web = svc(&m, &o, "web");
    assert_eq!(web.state, State::Down);
    assert_eq!(
        web.because,
        "cache cache is down; every call goes to db, which is down too"
    );
}

/// The steady state takes the replicas as they are when the faults begin;
/// an overloaded service that autoscaling will grow says what comes.
#[test]
fn an_overloaded_service_says_autoscaling_will_grow_it() {
    let text = "services:
  web: { entry: { rps: 120 }, depends_on: [{ to: db, timeout: 2s }] }
  db: { capacity: 100, latency: 10ms, queue: 100, autoscale: { max_replicas: 3, above: 80%, delay: 10s } }
";
    let (m, o) = run(text, &[]);
    let db = svc(&m, &o, "db");
    assert_eq!(db.state, State::Degraded);
    assert!(
        db.because
            .ends_with("; autoscaling adds a replica after 10s (up to 3; the timeline shows it)"),
        "{}",
        db.because
    );
}
