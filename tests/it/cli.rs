//! The binary: the default run, and exit status 2 on bad input.

use std::process::Command;

fn sstsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args)
        .output()
        .expect("run sstsim")
}

#[test]
fn default_run_prints_what_it_simulated() {
    let out = sstsim(&["demo", "--calls", "2000"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("2000 calls, SE = 1800 s"), "{text}");
    assert!(text.contains("(868, 1768]"), "{text}");
}

#[test]
fn output_is_identical_across_runs() {
    let a = sstsim(&["demo", "--calls", "3000", "--seed", "5"]);
    let b = sstsim(&["demo", "--calls", "3000", "--seed", "5"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn bad_values_exit_with_status_2_and_name_the_option() {
    let out = sstsim(&["demo", "--session-expires-s", "30"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("--session-expires-s") && err.contains("90"),
        "{err}"
    );

    let out = sstsim(&["demo", "--calls", "many"]);
    assert_eq!(out.status.code(), Some(2));

    let out = sstsim(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
}
