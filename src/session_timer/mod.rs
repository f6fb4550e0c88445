//! RFC 4028 session timers: settings, modes and (next) negotiation and
//! refresh/expiry policy, as pure functions over plain data.

pub mod settings;

pub use settings::{
    ExpiryGuard, Mode, RefreshMethod, RefresherPref, SendMinSe, TimerLayer, TimerSettings,
};
