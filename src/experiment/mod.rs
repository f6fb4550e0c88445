//! Experiments: parameter sweeps over a model, run in parallel with common
//! random numbers, streamed to a journal, summarised and charted.

pub mod cells;
pub mod charts;
pub mod cost;
pub mod headline;
pub mod heatmap;
pub mod journal;
pub mod lock;
pub mod metrics;
pub mod output;
pub mod overrides;
mod progress;
pub mod publish;
pub mod record;
pub mod runner;
mod sink;
pub mod spec;
pub mod summary;

pub use spec::{Experiment, Point, default_experiment, load_experiment};
