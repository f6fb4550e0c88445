//! Model files: the shipped ones load; bad ones give located, helpful errors.

use sstsim::scenario::{load_model, model_from_str};

#[test]
fn shipped_models_load() {
    for m in ["basic", "asterisk-b2bua", "carrier"] {
        let path = format!("{}/models/{m}.toml", env!("CARGO_MANIFEST_DIR"));
        let s = load_model(std::path::Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.world.nodes.len() >= 4, "{m}");
        assert!(s.description.is_some(), "{m} explains itself");
    }
}

fn errors(text: &str) -> String {
    model_from_str("bad.toml", text)
        .expect_err("the model is invalid")
        .to_string()
}

const BASE: &str = r#"
[[node]]
id = "alice"
kind = "ua"
[[node]]
id = "p1"
kind = "proxy"
[[node]]
id = "bob"
kind = "ua"
[[link]]
between = ["alice", "p1"]
[[link]]
between = ["p1", "bob"]
[workload]
caller = "alice"
callee = "bob"
horizon_s = 10
"#;

#[test]
fn the_base_model_is_valid() {
    assert!(model_from_str("ok.toml", BASE).is_ok());
}

#[test]
fn unknown_key_is_located_with_allowed_keys_and_a_suggestion() {
    let e = errors(&BASE.replace(
        "[[link]]\nbetween = [\"alice\", \"p1\"]",
        "[[link]]\nbetween = [\"alice\", \"p1\"]\ndelay_msx = 3",
    ));
    assert!(
        e.contains("bad.toml:13:1: link[0].delay_msx: unknown key"),
        "{e}"
    );
    assert!(
        e.contains("allowed here: name, group, between, delay_ms"),
        "{e}"
    );
    assert!(e.contains("did you mean `delay_ms`?"), "{e}");
}

#[test]
fn unknown_node_id_suggests_the_near_miss() {
    let e = errors(&BASE.replace("callee = \"bob\"", "callee = \"bobb\""));
    assert!(
        e.contains("bad.toml:17:10: workload.callee: unknown node id \"bobb\""),
        "{e}"
    );
    assert!(e.contains("did you mean `bob`?"), "{e}");
}

#[test]
fn unknown_kind_value_lists_the_choices() {
    let e = errors(&BASE.replace("kind = \"proxy\"", "kind = \"proxxy\""));
    assert!(e.contains("bad.toml:7:8: node.p1.kind: unknown value \"proxxy\"; allowed: \"ua\", \"proxy\", \"b2bua\""), "{e}");
    assert!(e.contains("did you mean `proxy`?"), "{e}");
}

#[test]
fn unreachable_callee_is_an_error() {
    let e = errors(&BASE.replace("[[link]]\nbetween = [\"p1\", \"bob\"]\n", ""));
    assert!(
        e.contains("workload.caller: caller \"alice\" cannot reach callee \"bob\""),
        "{e}"
    );
    assert!(e.starts_with("error: bad.toml:14:10:"), "{e}");
}

#[test]
fn probability_outside_0_1_is_an_error() {
    let e = errors(&BASE.replace(
        "between = [\"p1\", \"bob\"]",
        "between = [\"p1\", \"bob\"]\nloss = 1.5",
    ));
    assert!(
        e.contains("link.p1-bob.loss: 1.5 is out of range: expected a probability in [0, 1]"),
        "{e}"
    );
    let e = errors(&BASE.replace(
        "between = [\"p1\", \"bob\"]",
        "between = [\"p1\", \"bob\"]\nloss = { model = \"gilbert_elliott\", p_good_to_bad = 0.1, p_bad_to_good = -0.2 }",
    ));
    assert!(
        e.contains("link.p1-bob.loss.p_bad_to_good: -0.2 is out of range"),
        "{e}"
    );
}

#[test]
fn negative_times_are_errors() {
    let e = errors(&BASE.replace(
        "between = [\"p1\", \"bob\"]",
        "between = [\"p1\", \"bob\"]\ndelay_ms = -4\noutages = [[10, 5]]",
    ));
    assert!(
        e.contains("link.p1-bob.delay_ms: -4 is out of range"),
        "{e}"
    );
    assert!(
        e.contains("link.p1-bob.outages[0]: expected [start_s, end_s] with start_s < end_s"),
        "{e}"
    );
    let e = errors(&BASE.replace("horizon_s = 10", "horizon_s = -10"));
    assert!(e.contains("workload.horizon_s: -10 is out of range"), "{e}");
}

#[test]
fn session_timer_settings_are_validated_now() {
    let e = errors(&format!("[defaults]\nsession_expires = 60\n{BASE}"));
    assert!(e.contains("bad.toml:2:19: defaults.session_expires: session_expires 60 is below the RFC 4028 floor of 90 s"), "{e}");
    assert_eq!(e.lines().count(), 2, "reported once, at the value: {e}");
    let e = errors(&BASE.replace(
        "id = \"alice\"\nkind = \"ua\"",
        "id = \"alice\"\nkind = \"ua\"\nmin_se = 120\nsession_expires = 100",
    ));
    assert!(
        e.contains(
            "bad.toml:6:19: node.alice.session_expires: session_expires 100 is below min_se 120"
        ),
        "{e}"
    );
    let relaxed =
        format!("[sip]\nstrict_rfc = false\n[defaults]\nsession_expires = 60\nmin_se = 30\n{BASE}");
    assert!(model_from_str("ok.toml", &relaxed).is_ok());
    let e = errors(&BASE.replace(
        "kind = \"proxy\"",
        "kind = \"proxy\"\nstateful = \"none\"\ntimers = true",
    ));
    assert!(
        e.contains("node.p1.timers: a stateless proxy never requests a timer"),
        "{e}"
    );
}

#[test]
fn invalid_toml_is_located() {
    let e = errors("[[node]\nid = 3");
    assert!(e.starts_with("error: bad.toml:1:"), "{e}");
    assert!(e.contains("invalid TOML"), "{e}");
}

#[test]
fn max_422_retries_may_be_unbounded_up_to_a_safety_cap() {
    // chan_sip and reSIProcate retry after 422 without limit; the model
    // says "unbounded" and gets the documented cap of 1,000 retries.
    let with = |v: &str| {
        BASE.replace(
            "[[node]]\nid = \"alice\"\nkind = \"ua\"",
            &format!("[[node]]\nid = \"alice\"\nkind = \"ua\"\nmax_422_retries = {v}"),
        )
    };
    let s = model_from_str("ok.toml", &with("\"unbounded\"")).unwrap_or_else(|e| panic!("{e}"));
    let retries = match &s.world.nodes[0].kind {
        sstsim::sim::NodeKind::Ua(c) => c.base.max_422_retries,
        other => panic!("{other:?}"),
    };
    assert_eq!(retries, 1000);
    let e = errors(&with("\"forever\""));
    assert!(
        e.contains(
            "node.alice.max_422_retries: expected a number of retries in [0, 100] or \"unbounded\""
        ),
        "{e}"
    );
    assert!(
        errors(&with("101")).contains("101 is out of range"),
        "range kept"
    );
}

#[test]
fn an_answer_fault_is_read_and_its_mistakes_are_located() {
    // bob answers re-INVITEs and UPDATEs with 503 Retry-After 30 between
    // 100 and 200 s, each with probability 0.5.
    let fault = |body: &str| format!("{BASE}\n[[fault]]\nkind = \"answer\"\n{body}\n");
    let ok = fault(
        "node = \"bob\"\nrequests = [\"reinvite\", \"update\"]\nstatus = 503\nretry_after_s = 30\nfrom_s = 100\nto_s = 200\nprobability = 0.5",
    );
    let s = model_from_str("ok.toml", &ok).unwrap_or_else(|e| panic!("{e}"));
    let a = match &s.world.faults[0] {
        sstsim::sim::faults::FaultSpec::Answer(a) => *a,
        other => panic!("{other:?}"),
    };
    assert_eq!(a.answer.status.0, 503);
    assert_eq!(a.answer.retry_after_s, Some(30));
    assert!(a.requests.reinvite && a.requests.update && !a.requests.initial_invite);
    assert_eq!(a.probability.get(), 0.5);
    let e = errors(&fault(
        "node = \"p1\"\nrequests = [\"reinvite\"]\nstatus = 500",
    ));
    assert!(
        e.contains("fault[0].node: an answer fault acts on a node of kind \"ua\" or \"b2bua\""),
        "{e}"
    );
    let e = errors(&fault(
        "node = \"bob\"\nrequests = [\"reinvite\"]\nstatus = 500\nmin_se = 300",
    ));
    assert!(e.contains("min_se goes with status = 422 only"), "{e}");
    let e = errors(&fault("node = \"bob\"\nrequests = [\"bye\"]\nstatus = 500"));
    assert!(
        e.contains("unknown value \"bye\"; allowed: \"initial_invite\", \"reinvite\", \"update\""),
        "{e}"
    );
    let e = errors(&fault(
        "node = \"bob\"\nrequests = [\"reinvite\"]\nstatus = 200",
    ));
    assert!(e.contains("200 is out of range"), "{e}");
}

#[test]
fn product_configuration_words_set_the_keys_they_stand_for() {
    // res_pjsip `timers`, PJSUA `use_timer` (pjsua_call.c maps them to the
    // SUPPORT / REQUIRE / ALWAYS flags) and RADVISION's refresher
    // preference, on alice; explicit keys still win over them.
    let alice = |keys: &str| {
        let m = BASE.replace(
            "[[node]]\nid = \"alice\"\nkind = \"ua\"",
            &format!("[[node]]\nid = \"alice\"\nkind = \"ua\"\n{keys}"),
        );
        let s = model_from_str("ok.toml", &m).unwrap_or_else(|e| panic!("{e}"));
        match &s.world.nodes[0].kind {
            sstsim::sim::NodeKind::Ua(c) => c.base,
            other => panic!("{other:?}"),
        }
    };
    use sstsim::session_timer::{Mode, RefresherParamPref, RefresherPref};
    let s = alice("use_timer = \"required\"");
    assert!(s.mode == Mode::Originate && s.timer_required && s.require_timer);
    let s = alice("timers = \"yes\"");
    assert!(s.mode == Mode::Originate && !s.uas_timer_without_se);
    assert_eq!(s.uac_timer_without_se, Some(false));
    let s = alice("use_timer = \"always\"");
    assert_eq!(
        (s.uas_timer_without_se, s.uac_timer_without_se),
        (true, Some(true))
    );
    assert_eq!(alice("timers = \"no\"").mode, Mode::Refuse);
    assert_eq!(alice("use_timer = \"inactive\"").mode, Mode::Refuse);
    let s = alice("refresher_preference = \"remote\"");
    assert_eq!(
        (s.refresher_param, s.refresher),
        (RefresherParamPref::Uas, RefresherPref::Uac)
    );
    let s = alice("refresher_preference = \"local\"");
    assert_eq!(
        (s.refresher_param, s.refresher),
        (RefresherParamPref::Uac, RefresherPref::Uas)
    );
    // Words beat the profile, explicit keys beat the words.
    let s = alice("profile = \"asterisk\"\nuse_timer = \"always\"\nuac_timer_without_se = false");
    assert_eq!(
        (s.mode, s.uac_timer_without_se),
        (Mode::Originate, Some(false))
    );
    assert!(!s.update_supported, "the rest comes from the profile");
    let e = errors(&BASE.replace(
        "[[node]]\nid = \"alice\"\nkind = \"ua\"",
        "[[node]]\nid = \"alice\"\nkind = \"ua\"\nsession_timers = \"accept\"\ntimers = \"yes\"",
    ));
    assert!(
        e.contains("node.alice.timers: give one of session_timers (chan_sip), timers (res_pjsip) and use_timer (PJSUA)"),
        "{e}"
    );
    let e = errors(&BASE.replace(
        "[[node]]\nid = \"alice\"\nkind = \"ua\"",
        "[[node]]\nid = \"alice\"\nkind = \"ua\"\nuse_timer = \"sometimes\"",
    ));
    assert!(e.contains("unknown value \"sometimes\""), "{e}");
}
