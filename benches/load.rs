//! Loading a model: YAML and JSON text to a validated `Model` (parse,
//! values, names, warnings), on generated models of 1k, 10k and 100k
//! services (`whatif generate`). Set `WHATIF_BENCH_MODEL=path.yaml` to
//! time a file of your own as well, e.g. the 100k-service model of
//! `shared/bench/gen_arch.py 100000 --seed 7 --cycles 3`.
//!
//! `cargo bench --bench load`; filter by size: `cargo bench --bench load -- 100000`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use whatif::model::events::yaml_to_json;
use whatif::model::generate::{Spec, generate};
use whatif::model::load_str;

fn inputs() -> Vec<(String, String)> {
    let mut inputs: Vec<(String, String)> = [1_000usize, 10_000, 100_000]
        .into_iter()
        .map(|n| {
            (
                n.to_string(),
                generate(Spec {
                    services: n,
                    seed: 7,
                }),
            )
        })
        .collect();
    if let Ok(path) = std::env::var("WHATIF_BENCH_MODEL") {
        let text = std::fs::read_to_string(&path).expect("WHATIF_BENCH_MODEL is readable");
        inputs.push((path, text));
    }
    inputs
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for (name, yaml) in inputs() {
        let json = yaml_to_json(&yaml).expect("valid YAML");
        group.throughput(Throughput::Bytes(yaml.len() as u64));
        group.bench_with_input(BenchmarkId::new("yaml", &name), &yaml, |b, text| {
            b.iter(|| load_str(black_box(text), "bench.yaml").expect("valid"));
        });
        group.throughput(Throughput::Bytes(json.len() as u64));
        group.bench_with_input(BenchmarkId::new("json", &name), &json, |b, text| {
            b.iter(|| load_str(black_box(text), "bench.json").expect("valid"));
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
