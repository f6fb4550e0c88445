//! Progress of a sweep for the person waiting on it: a bar on a terminal,
//! and a plain line every few seconds when stderr is a log (Slurm, CI), so
//! that a batch job shows how far it got. Wall time is read here and in the
//! manifest only; it never reaches a result.
#![allow(clippy::disallowed_methods)] // wall-clock time is what progress reports

use std::io::IsTerminal;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often a log gets a progress line.
const LINE_EVERY: Duration = Duration::from_secs(10);

/// Progress reporting for one sweep.
pub(super) enum Progress {
    /// Nothing (`--quiet`).
    Off,
    /// A bar on a terminal.
    Bar(ProgressBar),
    /// Lines on a log: runs done, the time the last line went out.
    Lines {
        total: u64,
        state: Mutex<(u64, Instant)>,
        started: Instant,
    },
}

impl Progress {
    /// Progress over `total` runs, `done` of them already finished.
    pub(super) fn new(total: u64, done: u64, enabled: bool) -> Self {
        if !enabled {
            return Progress::Off;
        }
        if !std::io::stderr().is_terminal() {
            let now = Instant::now();
            return Progress::Lines {
                total,
                state: Mutex::new((done, now)),
                started: now,
            };
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} runs  {per_sec}  elapsed {elapsed}  eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_position(done);
        Progress::Bar(bar)
    }

    /// One more run finished.
    pub(super) fn inc(&self) {
        match self {
            Progress::Off => {}
            Progress::Bar(bar) => bar.inc(1),
            Progress::Lines {
                total,
                state,
                started,
            } => {
                let mut s = state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                s.0 += 1;
                let now = Instant::now();
                if now.duration_since(s.1) >= LINE_EVERY || s.0 == *total {
                    s.1 = now;
                    // A log that cannot be written must not stop the sweep.
                    let _ = writeln!(
                        std::io::stderr(),
                        "sstsim: {}/{} runs done ({:.0}%), {:.0} s elapsed",
                        s.0,
                        total,
                        100.0 * s.0 as f64 / (*total).max(1) as f64,
                        now.duration_since(*started).as_secs_f64()
                    );
                }
            }
        }
    }

    /// The sweep is over: the bar goes.
    pub(super) fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
