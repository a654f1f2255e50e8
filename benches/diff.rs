//! The cost of `whatif diff` on generated models (`whatif generate --seed
//! 7`) against a copy with one service's capacity changed: one single-fault
//! solve on an engine whose baseline is solved (the unit the diff repeats
//! for every `--down` and `--hang` of both models: 4n + 2·zones solves),
//! and, for 300 services, the whole diff. The whole diff of 2,000 services
//! takes minutes and is measured once with the CLI (README, *`diff`*).
//!
//! `cargo bench --bench diff`; `cargo bench --bench diff -- one-fault`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use whatif::analysis::diff::{Options, diff};
use whatif::model::generate::{Spec, generate};
use whatif::model::{Model, load_str};
use whatif::sim::faults::{FaultKind, parse};
use whatif::sim::steady::Engine;

/// A generated model and its copy with `svc-50` given a capacity of 100
/// requests per second per replica (generated models set none).
fn pair(services: usize) -> (Model, Model) {
    let text = generate(Spec { services, seed: 7 });
    let changed = text.replacen("\n  svc-50:\n", "\n  svc-50:\n    capacity: 100\n", 1);
    assert_ne!(text, changed, "svc-50 exists");
    let load = |t: &str| load_str(t, "bench.yaml").expect("valid").model;
    (load(&text), load(&changed))
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    for n in [300usize, 2_000] {
        let (before, after) = pair(n);
        let engine = Engine::new(&before);
        engine.baseline();
        let fault = parse(FaultKind::Down, "db-1", &before).expect("db-1 exists");
        group.bench_function(BenchmarkId::new("one-fault", n), |b| {
            b.iter(|| engine.steady(black_box(std::slice::from_ref(&fault))));
        });
        if n <= 300 {
            let options = Options {
                trials: 10_000,
                seed: 1,
            };
            group.bench_function(BenchmarkId::new("whole", n), |b| {
                b.iter(|| diff(black_box(&before), &after, options, &|_, _, _| {}));
            });
        }
    }
    group.finish();
}

criterion_group!(diff_benches, benches);
criterion_main!(diff_benches);
