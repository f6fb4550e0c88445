//! Named bundles of settings (`profile = "..."`), each with its source.

use super::settings::{
    ExpiryGuard, Mode, RefreshMethod, RefresherEnd, RefresherPref, Rounding, SendMinSe, TimerLayer,
};

/// Names accepted by `profile`.
pub const PROFILES: &[&str] = &["asterisk", "rfc4028", "radvision"];

/// The settings a profile stands for.
pub fn profile(name: &str) -> Option<TimerLayer> {
    let layer = match name {
        // Asterisk chan_sip: configs/samples/sip.conf.sample and chan_sip.c
        // (spec §4.1): session-timers=accept, session-expires=1800,
        // session-minse=90 (Min-SE sent only when not 90), session-refresher=uas,
        // re-INVITE only, first refresh at SI/2, BYE at SI − min(SI/3, 32 s),
        // both computed in milliseconds.
        "asterisk" => TimerLayer {
            mode: Some(Mode::Accept),
            session_expires: Some(1800),
            min_se: Some(90),
            refresher: Some(RefresherPref::Uas),
            refresh_method: Some(RefreshMethod::Reinvite),
            refresh_at: Some(0.5),
            expiry_guard: Some(ExpiryGuard::Rfc),
            send_min_se: Some(SendMinSe::WhenSet),
            rounding: Some(Rounding::Millis),
            ..TimerLayer::default()
        },
        // RFC 4028's recommendations: ask for a timer, SE 1800 (§4), Min-SE 90
        // sent (§7.1), UPDATE refreshes (§7.4 [R]), refresh at SI/2 (§10 [R]),
        // BYE at SI − min(32, SI/3) (§10 [R]); the UAS picks the refresher.
        "rfc4028" => TimerLayer {
            mode: Some(Mode::Originate),
            session_expires: Some(1800),
            min_se: Some(90),
            refresher: Some(RefresherPref::Uas),
            refresh_method: Some(RefreshMethod::Update),
            refresh_at: Some(0.5),
            expiry_guard: Some(ExpiryGuard::Rfc),
            send_min_se: Some(SendMinSe::Always),
            ..TimerLayer::default()
        },
        // RADVISION SIP stack defaults (spec §4.2): timers on when `timer` is
        // supported (the UAC asks with sessionExpires = 1800), minSE undefined
        // (90 used, header sent only after a 422), refresher preference
        // DONT_CARE (UAS picks uas), auto-mode re-INVITE at SE/2, end timer at
        // SE − min(32, ⌊SE/3⌋), both in whole seconds; the refresher also ends
        // the call at that point when no refresh 2xx came (its end timer).
        "radvision" => TimerLayer {
            mode: Some(Mode::Originate),
            session_expires: Some(1800),
            min_se: Some(90),
            refresher: Some(RefresherPref::Uas),
            refresh_method: Some(RefreshMethod::Reinvite),
            refresh_at: Some(0.5),
            expiry_guard: Some(ExpiryGuard::Rfc),
            send_min_se: Some(SendMinSe::WhenSet),
            refresher_end: Some(RefresherEnd::Guard),
            rounding: Some(Rounding::Seconds),
            ..TimerLayer::default()
        },
        _ => return None,
    };
    Some(layer)
}
