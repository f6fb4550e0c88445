//! Integration tests: one binary, modules named by behaviour.

mod it {
    mod charts;
    mod cli;
    mod determinism;
    mod rng_streams;
    mod scheduling;
    mod timers;
    mod workloads;
}
