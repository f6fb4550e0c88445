//! Start-up cost of large models: reading and validating the model (routes
//! from every caller to every callee included) and building the world, for a
//! star of N phones on four proxies joined in a ring. This is the cost that
//! once grew as nodes² × links (2,000 nodes: 6.6 s; 10,000: over a minute).
//!
//! `cargo bench --bench setup`
#![allow(clippy::disallowed_methods)] // wall-clock timing is what a benchmark is for

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use sstsim::engine::SeedSpace;
use sstsim::scenario::model_from_str;
use sstsim::sim::{TraceFilter, World};

/// N phones, each on one of four proxies (round robin); the proxies form a
/// ring; every phone calls every other (Poisson, 10 calls/s).
fn star(phones: usize) -> String {
    let mut m = String::new();
    for p in 0..4 {
        m.push_str(&format!("[[node]]\nid = \"px{p}\"\nkind = \"proxy\"\n"));
    }
    for i in 0..phones {
        m.push_str(&format!(
            "[[node]]\nid = \"ph{i}\"\nkind = \"ua\"\ngroup = \"phones\"\n"
        ));
    }
    for p in 0..4 {
        m.push_str(&format!(
            "[[link]]\nbetween = [\"px{p}\", \"px{}\"]\ndelay_ms = 5\n",
            (p + 1) % 4
        ));
    }
    for i in 0..phones {
        m.push_str(&format!(
            "[[link]]\nbetween = [\"ph{i}\", \"px{}\"]\ndelay_ms = 2\n",
            i % 4
        ));
    }
    m.push_str(
        "[workload]\ncaller_group = \"phones\"\ncallee_group = \"phones\"\n\
         rate_per_s = 10\nholding_s = 60\nhorizon_s = 60\n",
    );
    m
}

fn setup(c: &mut Criterion) {
    let mut g = c.benchmark_group("setup");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for phones in [1_000, 10_000] {
        let text = star(phones);
        g.bench_with_input(BenchmarkId::new("star", phones), &text, |b, text| {
            b.iter(|| {
                let s = model_from_str("star.toml", text).expect("a valid model");
                let w = World::new(s.world, SeedSpace::new(1, 0, 0), TraceFilter::Off);
                black_box(w)
            })
        });
    }
    g.finish();
}

fn main() {
    // Criterion's plots need a font; sstsim registers its embedded one.
    sstsim::report::charts::register_fonts();
    let mut c = Criterion::default().configure_from_args();
    setup(&mut c);
    c.final_summary();
}
