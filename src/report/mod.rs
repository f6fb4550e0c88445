//! Turning results into files and text, independent of where they came from:
//! line charts and heat maps (SVG/PNG), trace ladders, SIP text and pcapng captures and CSV, the metrics table of one
//! run, and atomic file writing.

pub mod charts;
pub mod csv;
pub mod heatmap;
pub mod metrics;
pub mod pcap;
pub mod sip_text;
pub mod trace;
