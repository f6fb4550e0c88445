//! Everything that turns results into files or text: charts today; CSV,
//! summary statistics and traces as they arrive.

pub mod charts;
pub mod csv;
pub mod metrics;
pub mod sweep_charts;
pub mod sweep_table;
pub mod trace;
