//! Monte Carlo availability (`whatif availability`) on generated models:
//! 10⁷ trials of a 50-service model (the target: well under two seconds),
//! and 10⁶ trials of a 1,000-service one.
//!
//! `cargo bench --bench availability`; filter with e.g.
//! `cargo bench --bench availability -- 50`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use whatif::analysis::availability::{Options, monte_carlo};
use whatif::graph::Graph;
use whatif::model::generate::{Spec, generate};
use whatif::model::load_str;

fn availability(c: &mut Criterion) {
    let mut group = c.benchmark_group("availability");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    for (services, trials) in [(50, 10_000_000u64), (1_000, 1_000_000)] {
        let text = generate(Spec { services, seed: 7 });
        let model = load_str(&text, "bench.yaml").expect("valid").model;
        let graph = Graph::build(&model);
        let options = Options {
            trials,
            seed: 7,
            zone_availability: None,
        };
        group.bench_with_input(
            BenchmarkId::new(format!("{trials}-trials"), services),
            &options,
            |b, options| {
                b.iter(|| {
                    monte_carlo(&model, &graph, black_box(options), &|_| {}).expect("few events")
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, availability);
criterion_main!(benches);
