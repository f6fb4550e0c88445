//! RFC 4028 session timers as pure functions and plain data: settings and
//! their layering, named presets, negotiation at every element, and the
//! refresh/expiry schedule. Nothing here touches the engine.

pub mod headers;
pub mod negotiation;
pub mod policy;
pub mod presets;
pub mod proxy;
pub mod settings;

pub use negotiation::{Negotiated, Party, UacMemory, UasDecision};
pub use proxy::{
    MinSeIn422, MinSeWithoutSe, ProxyDecision, ProxyInterval, ProxyMemo, ProxyRules,
    ProxyTimerConfig, RefreshRequests, SeIn2xx, SmallSeWithoutTimer,
};
pub use settings::{
    ExpiryGuard, ExpiryRestart, LowerSe, MinSeFrom422, Mode, No422MinSe, ProxyInsertedSe,
    RefreshHeaders, RefreshMethod, RefreshRetry, RefreshTimeout, RefresherEnd, RefresherParamPref,
    RefresherPref, Rounding, SendMinSe, Small2xx, SmallSe, SmallSeSupported, TimerLayer,
    TimerSettings, UnnamedRefresher,
};
