//! Benchmarks on generated models (`whatif generate`) of 1k, 10k and 100k
//! services: loading, building the graph, one structural cascade, and one
//! steady-state run (a fault-free baseline plus the faulted solve, as
//! `whatif run` does). The design-review analyses are in `analysis.rs`.
//! The `sweep` group: the interactive page's sweep (every `--down`, solved
//! incrementally from the fault-free solve) against the same sweep by full
//! solves, on generated models of 100 and 300 services. The `timeline`
//! group: 20 minutes at 1 s steps on 100 services.
//!
//! `cargo bench --bench engine`; sizes can be limited with a filter, e.g.
//! `cargo bench --bench engine -- 10000`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use whatif::graph::Graph;
use whatif::model::generate::{Spec, generate};
use whatif::model::load_str;
use whatif::sim::faults::{FaultKind, parse};
use whatif::sim::steady::Engine;
use whatif::sim::structural::{StructuralFaults, evaluate};

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
        group.bench_function(BenchmarkId::new("graph", n), |b| {
            b.iter(|| Graph::build(black_box(&model)));
        });
        let graph = Graph::build(&model);
        let faults = StructuralFaults::from_faults(&model, std::slice::from_ref(&fault));
        group.bench_function(BenchmarkId::new("structural", n), |b| {
            b.iter(|| evaluate(&graph, black_box(&faults)));
        });
        // A new engine each time: an engine solves the fault-free baseline
        // once and keeps it, so reusing one would time the faulted solve only.
        group.bench_function(BenchmarkId::new("steady", n), |b| {
            b.iter(|| Engine::new(black_box(&model)).steady(std::slice::from_ref(&fault)));
        });
    }
    group.finish();
}

fn sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    for n in [100, 300] {
        let text = generate(Spec {
            services: n,
            seed: 1,
        });
        let model = load_str(&text, "bench.yaml").expect("valid").model;
        let faults: Vec<_> = model
            .service_ids()
            .map(|id| whatif::analysis::sweep::down(&model, id))
            .collect();
        let engine = Engine::new(&model);
        let _ = engine.steady_swept(&[]);
        group.bench_function(BenchmarkId::new("incremental", n), |b| {
            b.iter(|| {
                for f in &faults {
                    black_box(engine.steady_swept(std::slice::from_ref(f)));
                }
            });
        });
        group.bench_function(BenchmarkId::new("full", n), |b| {
            b.iter(|| {
                for f in &faults {
                    black_box(engine.steady(std::slice::from_ref(f)));
                }
            });
        });
    }
    group.finish();
}

/// A timeline of 20 minutes at 1 s steps (1,200 steady states, each warm
/// from the step before), as `run --down db-1 --for 20m` steps it.
fn timeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("timeline");
    group.sample_size(10);
    let text = generate(Spec {
        services: 100,
        seed: 7,
    });
    let model = load_str(&text, "bench.yaml").expect("valid").model;
    let fault = parse(FaultKind::Down, "db-1", &model).expect("db-1 exists");
    let events = whatif::sim::timeline::Event::from_start(std::slice::from_ref(&fault));
    group.bench_function(BenchmarkId::new("20m_at_1s", 100), |b| {
        b.iter(|| {
            whatif::sim::timeline::simulate(
                black_box(&model),
                &events,
                whatif::sim::timeline::Options {
                    duration_s: 1200.0,
                    step_s: 1.0,
                },
            )
        });
    });
    group.finish();
}

criterion_group!(benches, engine, sweep, timeline);
criterion_main!(benches);
