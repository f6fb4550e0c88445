//! Wall time of the default experiment (`experiments/modes.toml`, 360 runs)
//! on 1 and 2 worker threads. Target: 2 threads at least 1.8× faster than 1,
//! and the whole experiment under 2 minutes on 2 cores.
//!
//! Run: `cargo bench --bench experiment` (about 5 minutes: 10 samples each).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sstsim::experiment::default_experiment;
use sstsim::experiment::runner::{RunOptions, run_experiment};

fn default_experiment_wall_time(c: &mut Criterion) {
    let exp = default_experiment().expect("the built-in experiment is valid");
    let out = std::env::temp_dir().join(format!("sstsim-bench-{}", std::process::id()));
    let mut group = c.benchmark_group("default_experiment");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    for threads in [1, 2] {
        group.bench_function(format!("threads/{threads}"), |b| {
            b.iter(|| {
                let opts = RunOptions {
                    out: out.clone(),
                    threads,
                    resume: false,
                    shard: None,
                    progress: false,
                    stop_after: None,
                };
                let outcome = run_experiment(&exp, &opts).expect("the run succeeds");
                assert_eq!(outcome.ran as u64, exp.total_runs());
                outcome
            })
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&out);
}

criterion_group!(benches, default_experiment_wall_time);
criterion_main!(benches);
