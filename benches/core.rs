//! Criterion benchmarks of perfgate's own core components: the statistics, the comparison,
//! baseline parsing and writing, and report rendering. Gated by `cargo perfgate` at the
//! repository root against `baselines/default.json`.

mod synthetic;

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use cargo_perfgate::config::Policy;
use cargo_perfgate::{baseline, stats};

fn statistics(c: &mut Criterion) {
    let mut noise = synthetic::Noise(11);
    let a = synthetic::samples(&mut noise, 1_000.0, 100);
    let b = synthetic::samples(&mut noise, 1_030.0, 100);
    let mut group = c.benchmark_group("stats");
    group.bench_function("mann_whitney/100v100", |bench| {
        bench.iter(|| stats::mann_whitney_p(black_box(&a), black_box(&b)))
    });
    group.bench_function("median_interval/100v100", |bench| {
        bench.iter(|| stats::median_change_interval(black_box(&a), black_box(&b), 1))
    });
    let ratios: Vec<f64> = a.iter().zip(&b).map(|(x, y)| (y / x).ln()).collect();
    group.bench_function("wilcoxon/24", |bench| {
        bench.iter(|| stats::wilcoxon_signed_rank_p(black_box(&ratios[..24])))
    });
    let p_values: Vec<f64> = (0..10_000).map(|_| noise.next()).collect();
    group.bench_function("holm/10k", |bench| {
        bench.iter(|| stats::holm_adjust(black_box(&p_values)))
    });
    group.finish();
}

fn comparison(c: &mut Criterion) {
    let policy = Policy::default();
    let base = synthetic::baseline(1_000);
    let run = synthetic::run(1_000, 1.10, 99);
    c.bench_function("compare/1k_benchmarks", |bench| {
        bench.iter(|| synthetic::compare(black_box(&run), black_box(&base), &policy))
    });
    let comparison = synthetic::compare(&run, &base, &policy);
    c.bench_function("report/all_formats/1k_benchmarks", |bench| {
        bench.iter(|| synthetic::render_all(black_box(&comparison)))
    });
}

fn baselines(c: &mut Criterion) {
    let base = synthetic::baseline(1_000);
    let text = baseline::render(&base).expect("renders");
    c.bench_function("baseline/render/1k_benchmarks", |bench| {
        bench.iter(|| baseline::render(black_box(&base)).expect("renders"))
    });
    c.bench_function("baseline/parse/1k_benchmarks", |bench| {
        bench.iter(|| baseline::parse(black_box(&text), "bench").expect("parses"))
    });
}

criterion_group!(benches, statistics, comparison, baselines);
criterion_main!(benches);
