//! A short run of the input fuzzer (`tests/fuzz_inputs/mod.rs`; CI runs it
//! for a minute through `examples/fuzz_inputs.rs`).

#[path = "../fuzz_inputs/mod.rs"]
mod fuzz_inputs;

use fuzz_inputs::{Outcome, campaign, check, corpus};

#[test]
fn mutated_inputs_get_a_model_or_located_errors_never_a_panic() {
    let (counts, failures) = campaign(7, |n| n >= 1500);
    for f in &failures {
        eprintln!("--- from {}: {}\n{}", f.from, f.what, f.text);
    }
    assert!(failures.is_empty(), "{} failures", failures.len());
    // The mutations reach every outcome (a fuzzer that only ever produced
    // syntax errors would test nothing).
    for o in [
        Outcome::ModelRun,
        Outcome::ExperimentValid,
        Outcome::Rejected,
    ] {
        assert!(
            counts.get(&o).copied().unwrap_or(0) > 10,
            "{o:?}: {counts:?}"
        );
    }
}

#[test]
fn the_corpus_itself_is_valid() {
    for (file, text, model) in corpus() {
        let got = check(
            &file.display().to_string(),
            &text,
            model,
            file.parent().unwrap(),
        );
        assert!(
            matches!(
                got,
                Ok(Outcome::ModelRun | Outcome::ModelValid | Outcome::ExperimentValid)
            ),
            "{}: {got:?}",
            file.display()
        );
    }
}
