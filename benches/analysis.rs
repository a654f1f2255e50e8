//! The design-review analyses on generated models (`whatif generate`, seed
//! 7) of 1k, 10k and 100k services: blast radius (every service failed in
//! turn), single points of failure, minimal cut sets of order 2, and Monte
//! Carlo availability with 10⁶ trials (1k and 10k; 100k in `whole.sh`).
//!
//! `cargo bench --bench analysis`; filter with e.g.
//! `cargo bench --bench analysis -- blast/100000`. Other models (the
//! side-by-side `gen_arch.py` ones, say) are benchmarked too when listed in
//! `WHATIF_BENCH_MODELS` (paths separated by `:`), named by file stem. The
//! whole process per command (load included, time and peak memory) is
//! `benches/whole.sh`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use whatif::analysis::{availability, cuts, spof};
use whatif::graph::Graph;
use whatif::model::generate::{Spec, generate};
use whatif::model::load_str;

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn analysis(c: &mut Criterion) {
    let mut group = c.benchmark_group("analysis");
    group.sample_size(10);
    let mut models: Vec<(String, usize, String)> = SIZES
        .iter()
        .map(|&n| {
            let text = generate(Spec {
                services: n,
                seed: 7,
            });
            (n.to_string(), n, text)
        })
        .collect();
    for path in std::env::var("WHATIF_BENCH_MODELS")
        .unwrap_or_default()
        .split(':')
        .filter(|p| !p.is_empty())
    {
        let text = std::fs::read_to_string(path).expect("readable model");
        let name = std::path::Path::new(path)
            .file_stem()
            .map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned());
        models.push((name, usize::MAX, text));
    }
    for (n, size, text) in models {
        let model = load_str(&text, "bench.yaml").expect("valid").model;
        let graph = Graph::build(&model);
        let n = n.as_str();
        group.bench_function(BenchmarkId::new("blast", n), |b| {
            b.iter(|| spof::impacts(black_box(&model), &graph));
        });
        group.bench_function(BenchmarkId::new("spof", n), |b| {
            b.iter(|| spof::single_points(black_box(&model), &graph));
        });
        group.bench_function(BenchmarkId::new("cuts-order-2", n), |b| {
            b.iter(|| cuts::minimal_cut_sets(black_box(&model), &graph, 2, None, None));
        });
        if size <= 10_000 {
            let options = availability::Options {
                trials: 1_000_000,
                seed: 7,
                zone_availability: None,
            };
            group.bench_function(BenchmarkId::new("availability-1e6", n), |b| {
                b.iter(|| availability::monte_carlo(black_box(&model), &graph, &options, &|_| {}));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
