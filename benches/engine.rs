//! Benchmarks on generated models (`whatif generate`) of 1k, 10k and 100k
//! services: loading, one structural cascade, and one steady-state run (a
//! fault-free baseline plus the faulted solve, as `whatif run` does).
//!
//! `cargo bench --bench engine`; sizes can be limited with a filter, e.g.
//! `cargo bench --bench engine -- 10000`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use whatif::model::generate::{Spec, generate};
use whatif::model::load_str;
use whatif::sim::faults::{FaultKind, parse};
use whatif::sim::steady::Engine;
use whatif::sim::structural::{StructuralFaults, Structure};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    for n in SIZES {
        let text = generate(Spec {
            services: n,
            seed: 7,
        });
        group.bench_with_input(BenchmarkId::new("load", n), &text, |b, text| {
            b.iter(|| load_str(black_box(text), "bench.yaml").expect("valid"));
        });
        let model = load_str(&text, "bench.yaml").expect("valid").model;
        // The most popular database: the fault with the biggest cascade.
        let fault = parse(FaultKind::Down, "db-1", &model).expect("db-1 exists");
        let structure = Structure::new(&model);
        let faults = StructuralFaults::from_faults(&model, std::slice::from_ref(&fault));
        group.bench_function(BenchmarkId::new("structural", n), |b| {
            b.iter(|| structure.evaluate(black_box(&faults)));
        });
        let steady = Engine::new(&model);
        group.bench_function(BenchmarkId::new("steady", n), |b| {
            b.iter(|| steady.steady(black_box(std::slice::from_ref(&fault))));
        });
    }
    group.finish();
}

/// The design-review analyses on 1k and 10k services (100k takes tens of
/// seconds per run for spof/blast: measured once, see the README).
fn analysis(c: &mut Criterion) {
    use whatif::analysis::{availability, cuts, spof};
    let mut group = c.benchmark_group("analysis");
    group.sample_size(10);
    for n in [1_000usize, 10_000] {
        let model = load_str(
            &generate(Spec {
                services: n,
                seed: 7,
            }),
            "bench.yaml",
        )
        .expect("valid")
        .model;
        let structure = Structure::new(&model);
        group.bench_function(BenchmarkId::new("spof+blast", n), |b| {
            b.iter(|| spof::impacts(black_box(&model), &structure));
        });
        if n <= 1_000 {
            group.bench_function(BenchmarkId::new("cuts-order-2", n), |b| {
                b.iter(|| cuts::minimal_cut_sets(black_box(&model), &structure, 2, None, None));
            });
        }
        let options = availability::Options {
            trials: 1_000_000,
            seed: 7,
            zone_availability: None,
        };
        group.bench_function(BenchmarkId::new("availability-1e6", n), |b| {
            b.iter(|| availability::monte_carlo(black_box(&model), &structure, &options, &|_| {}));
        });
    }
    group.finish();
}

criterion_group!(benches, engine, analysis);
criterion_main!(benches);
