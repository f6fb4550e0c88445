//! The cost estimate against real runs, and the guard that uses it.

use sstsim::engine::{SeedSpace, SimTime};
use sstsim::experiment::cost::run_cost;
use sstsim::scenario::load_model;
use sstsim::sim::{TraceFilter, World};

#[test]
fn estimates_are_within_a_factor_of_three_of_real_runs() {
    let dir = format!("{}/models", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    for path in names {
        let s = load_model(&path).unwrap();
        let est = run_cost(&s.world);
        let mut w = World::new(s.world, SeedSpace::new(1, 0, 0), TraceFilter::Off);
        w.run();
        let real = w.events() as f64;
        let ratio = est.events() / real;
        println!(
            "{}: estimate {:.0}, real {real}, ratio {ratio:.2}",
            path.display(),
            est.events()
        );
        assert!(
            (1.0 / 3.0..=3.0).contains(&ratio),
            "{}: {ratio}",
            path.display()
        );
    }
}

#[test]
fn estimates_of_the_shipped_experiments_are_within_a_factor_of_three() {
    // Every fifth point, with calls placed for 30 min instead of hours (the
    // estimate scales with the calls; the real run says what they cost).
    for name in ["modes", "loss", "proxy-mix"] {
        let path = format!("{}/experiments/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let exp = sstsim::experiment::load_experiment(std::path::Path::new(&path)).unwrap();
        for p in exp.points.iter().step_by(5) {
            let mut cfg = p.scenario.world.clone();
            let until = SimTime::from_secs(1800);
            cfg.workload.arrivals_until =
                Some(cfg.workload.arrivals_until.map_or(until, |u| u.min(until)));
            let est = run_cost(&cfg).events();
            let mut w = World::new(cfg, SeedSpace::new(exp.seed, 0, 0), TraceFilter::Off);
            w.run();
            let ratio = est / w.events() as f64;
            println!(
                "{name} point {}: estimate {est:.0}, real {}, ratio {ratio:.2}",
                p.index,
                w.events()
            );
            assert!(
                (1.0 / 3.0..=3.0).contains(&ratio),
                "{name} point {}: {ratio}",
                p.index
            );
        }
    }
}

fn sstsim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args)
        .output()
        .expect("run sstsim")
}

fn basic_with(name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(format!("{}/models/basic.toml", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    assert!(text.contains(from), "{from}");
    let dir = std::env::temp_dir().join(format!("sstsim-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn work_beyond_the_limits_is_refused_with_its_price() {
    // basic.toml: alice–p1–p2–bob, 3 hops; calls held 150 s, SE 120
    // refreshed every 60 s: 2 refreshes, 3 × (12 + 2 × 3.6) = 57.6 events
    // per call by the estimate's rule.
    // 0.2 calls/s for 10^9 s: 2e8 calls, 1.15e10 events > 5e9.
    let m = basic_with("horizon.toml", "calls = 1\n", "rate_per_s = 0.2\n");
    let t = std::fs::read_to_string(&m)
        .unwrap()
        .replace("horizon_s = 300", "horizon_s = 1e9");
    std::fs::write(&m, t).unwrap();
    for cmd in ["run", "trace"] {
        let o = sstsim(&[cmd, &m]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(
            e.contains("the model would take about 1.2e10 engine events"),
            "{e}"
        );
        assert!(
            e.contains("2.0e8 calls (workload.rate_per_s × horizon_s)"),
            "{e}"
        );
        assert!(
            e.contains("the limit is 5e9 events. Shrink it, or run it anyway with --force"),
            "{e}"
        );
    }
    // 10^8 calls one second apart: 5.76e9 events.
    let m = basic_with(
        "calls.toml",
        "calls = 1\n",
        "calls = 100000000\ninterval_s = 1\n",
    );
    let e = String::from_utf8_lossy(&sstsim(&["run", &m]).stderr).into_owned();
    assert!(e.contains("about 5.8e9 engine events: 1 run (points × replications) of up to 1.0e8 calls (workload.calls)"), "{e}");
    // With --force the guard stands aside (the next check, a bad --dialogs
    // path, answers instead).
    let o = sstsim(&["run", &m, "--force", "--dialogs", "/"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--dialogs /: / exists and is a directory"),
        "{e}"
    );
}

#[test]
fn a_sweep_beyond_the_limits_is_refused_before_it_starts() {
    // 1,000 points × 100 replications of basic.toml with 10,000 calls each
    // (one every 10 s): 1e5 runs × 1e4 calls × 57.6 events = 5.8e10.
    let m = basic_with(
        "sweep-model.toml",
        "calls = 1\n",
        "calls = 10000\ninterval_s = 10\n",
    );
    let tags: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    let exp = std::path::Path::new(&m).with_file_name("sweep.toml");
    std::fs::write(
        &exp,
        format!(
            "name = \"big\"\nmodel = \"sweep-model.toml\"\nreplications = 100\n[grid]\n\"tag.k\" = [{}]\n",
            tags.join(", ")
        ),
    )
    .unwrap();
    let out = exp.with_file_name("big-out");
    let o = sstsim(&[
        "run",
        exp.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("the experiment would take about 5.8e10 engine events: 100000 runs"),
        "{e}"
    );
    assert!(e.contains("on 2 threads"), "{e}");
    assert!(!out.exists(), "nothing is written");
}
