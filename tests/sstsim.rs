//! Integration tests: one binary, modules named by behaviour.

mod it {
    mod b2bua;
    mod charts;
    mod cli;
    mod cost;
    mod determinism;
    mod docs;
    mod experiments;
    mod false_teardowns;
    mod fuzz;
    mod golden;
    mod hardening;
    mod harness;
    mod hung_state;
    mod model_files;
    mod negotiation_props;
    mod networks;
    mod node_load;
    mod pcap;
    mod products;
    mod profile_props;
    mod profiles;
    mod proxies;
    mod rng_streams;
    mod roles;
    mod routing;
    mod scheduling;
    mod session_timers;
    mod st_rules;
    mod support;
    mod timers;
    mod traces;
    mod transactions;
    mod tune;
    mod workloads;
}
