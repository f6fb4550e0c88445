//! Integration tests: one binary, modules named by behaviour.

mod it {
    mod b2bua;
    mod charts;
    mod cli;
    mod determinism;
    mod docs;
    mod experiments;
    mod glare;
    mod golden;
    mod hung_state;
    mod model_files;
    mod rng_streams;
    mod routing;
    mod scheduling;
    mod session_timers;
    mod st_rules;
    mod support;
    mod timers;
    mod transactions;
    mod workloads;
}
