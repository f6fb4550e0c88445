//! `sstsim run [FILE]`: an experiment file (a sweep), a model file (a
//! one-point experiment whose metrics are printed), or with no file the
//! built-in default experiment.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::Failure;
use crate::engine::SeedSpace;
use crate::experiment::cost;
use crate::experiment::output::Shard;
use crate::experiment::runner::{RunOptions, planned_runs, run_experiment};
use crate::experiment::spec::experiment_from_str;
use crate::experiment::{Experiment, default_experiment};
use crate::report::csv::{output_target, write_atomically, write_dialogs};
use crate::report::metrics::table;
use crate::scenario::{Scenario, model_from_str};
use crate::sim::{NodeClass, TraceFilter, World, class_of};

/// The calls a run's capture keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PcapCalls {
    /// Every call.
    #[default]
    All,
    /// Calls a fault killed (crash, `call_crash`, swallowed BYE).
    Dead,
    /// Calls that failed at the caller (no 2xx).
    Failed,
}

/// Arguments of `sstsim run`.
#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    /// An experiment file (`experiments/*.toml`) or a model file
    /// (`models/*.toml`); without it, the built-in default experiment runs.
    pub file: Option<PathBuf>,
    /// Experiments: output directory [default: output/<name>, or
    /// output/<name>/shard-I-of-N for a shard].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Experiments: worker threads [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Experiments: continue an interrupted run in the output directory.
    #[arg(long)]
    pub resume: bool,
    /// Experiments: no progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Experiments: run only slice I of N (1 ≤ I ≤ N).
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    pub shard: Option<String>,
    /// Experiments: number of shards when the slice index comes from
    /// JOB_COMPLETION_INDEX (Kubernetes Indexed Job).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
    /// Models: master seed [default: 1].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Models: replication index, selecting independent random streams [default: 0].
    #[arg(long)]
    pub replication: Option<u64>,
    /// Models: write one row per node × dialog to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub dialogs: Option<PathBuf>,
    /// Models: capture the run's messages to this pcapng file (see
    /// `--pcap-calls`); the messages are kept in memory until the end.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Models, with `--pcap`: which calls to capture.
    #[arg(long, value_enum, default_value_t = PcapCalls::All, requires = "pcap")]
    pub pcap_calls: PcapCalls,
    /// Run even if the estimated cost is beyond the limits (5e9 engine
    /// events, about 40 minutes of one core; or 8 GiB per run).
    #[arg(long)]
    pub force: bool,
}

/// Runs the file given, or the default experiment.
pub(super) fn run(args: &RunArgs) -> Result<String, Failure> {
    let input = |e: crate::scenario::InputErrors| Failure::Input(e.to_string());
    let Some(path) = &args.file else {
        check_flags(args, false)?;
        return run_sweep(&default_experiment().map_err(input)?, args);
    };
    let super::input::InputFile { text, model, tune } = super::input::read(path)?;
    let name = path.display().to_string();
    if tune {
        return Err(Failure::Input(format!(
            "error: {name} is a tune file ([knobs], [objective]): run it with `sstsim tune {name}`"
        )));
    }
    check_flags(args, model)?;
    if model {
        run_model(model_from_str(&name, &text).map_err(input)?, path, args)
    } else {
        run_sweep(
            &experiment_from_str(&name, &text, path.parent()).map_err(input)?,
            args,
        )
    }
}

/// Refuses the flags that belong to the other kind of file.
fn check_flags(args: &RunArgs, model: bool) -> Result<(), Failure> {
    let misplaced = if model {
        [
            ("--out", args.out.is_some()),
            ("--threads", args.threads.is_some()),
            ("--resume", args.resume),
            ("--shard", args.shard.is_some()),
            ("--shards", args.shards.is_some()),
        ]
        .into_iter()
        .find(|x| x.1)
        .map(|(flag, _)| format!("{flag} applies to experiment files, not to a model file"))
    } else {
        [
            ("--seed", args.seed.is_some()),
            ("--replication", args.replication.is_some()),
            ("--dialogs", args.dialogs.is_some()),
        ]
        .into_iter()
        .find(|x| x.1)
        .map(|(flag, _)| {
            format!("{flag} applies to model files; an experiment sets its seed and replications in the file")
        })
    };
    match misplaced {
        Some(m) => Err(Failure::Input(format!("error: {m}"))),
        None => Ok(()),
    }
}

fn run_model(scenario: Scenario, path: &Path, args: &RunArgs) -> Result<String, Failure> {
    if !args.force {
        cost::check_model(&scenario.world)
            .map_err(|m| Failure::Input(format!("error: {}: {m}", path.display())))?;
    }
    // Before the run: a bad --dialogs or --pcap path should not cost a simulation.
    for (flag, f) in [("--dialogs", &args.dialogs), ("--pcap", &args.pcap)] {
        if let Some(d) = f {
            output_target(d)
                .map_err(|e| Failure::Input(format!("error: {flag} {}: {e}", d.display())))?;
        }
    }
    let addresses: Vec<_> = scenario.world.nodes.iter().map(|n| n.address).collect();
    let (seed, replication) = (args.seed.unwrap_or(1), args.replication.unwrap_or(0));
    let filter = if args.pcap.is_some() {
        TraceFilter::All
    } else {
        TraceFilter::Off
    };
    let mut world = World::new(scenario.world, SeedSpace::new(seed, 0, replication), filter);
    if args.dialogs.is_some() {
        world.record_dialogs();
    }
    world
        .run_checked()
        .map_err(|e| Failure::Input(format!("error: {}: {e}", path.display())))?;
    let names = world.names().to_vec();
    let horizon = world.now();
    let captured = match &args.pcap {
        Some(p) => Some(capture(&world, p, args.pcap_calls, &addresses)?),
        None => None,
    };
    let (metrics, rows) = world.finish();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sstsim run {} (seed {}, replication {}): {:.1} s simulated",
        path.display(),
        seed,
        replication,
        horizon.as_secs_f64()
    );
    out.push_str(&table(&metrics, &names));
    if let (Some(path), Some(rows)) = (&args.dialogs, rows) {
        write_atomically(path, |buf| write_dialogs(&rows, &names, buf))
            .map_err(|e| Failure::Internal(format!("writing {}: {e}", path.display())))?;
        let _ = writeln!(out, "wrote {} ({} dialog rows)", path.display(), rows.len());
    }
    if let (Some(path), Some(n)) = (&args.pcap, captured) {
        let _ = writeln!(out, "wrote {} ({n} packets)", path.display());
    }
    Ok(out)
}

/// Writes the run's messages of the chosen calls to `path` as pcapng;
/// returns the packet count.
fn capture(
    world: &World,
    path: &Path,
    calls: PcapCalls,
    addresses: &[Option<std::net::SocketAddrV4>],
) -> Result<usize, Failure> {
    use crate::net::Addresses;
    use crate::report::pcap::{Vantage, packets, write_pcapng};
    use crate::sim::TraceEvent;
    use crate::sip::{CallRef, Record};
    let mut trace = world.trace();
    let keep: Option<std::collections::BTreeSet<CallRef>> = match calls {
        PcapCalls::All => None,
        PcapCalls::Dead => Some(world.dead_calls().into_iter().collect()),
        PcapCalls::Failed => Some(
            trace
                .iter()
                .filter_map(|e| match e {
                    TraceEvent::Record {
                        record: Record::CallFailed { call, .. },
                        ..
                    } => Some(*call),
                    _ => None,
                })
                .collect(),
        ),
    };
    if let Some(keep) = keep {
        trace.retain(|e| matches!(e, TraceEvent::Message { msg, .. } if keep.contains(&msg.call)));
    }
    let names = world.names();
    let addrs = Addresses::new(names, addresses);
    let packets = packets(&trace, &addrs, Vantage::Network, |l| {
        crate::sim::world::link_name(names, world.links(), l)
    });
    write_pcapng(path, &packets, &addrs, "sstsim (every hop, as sent)")
        .map_err(|e| Failure::Internal(format!("writing {}: {e}", path.display())))
}

/// The command that continues this sweep after an interrupt.
fn resume_command(args: &RunArgs, out: &Path, shard: Option<Shard>) -> String {
    let mut cmd = String::from("sstsim run");
    if let Some(f) = &args.file {
        cmd.push_str(&format!(" {}", f.display()));
    }
    cmd.push_str(&format!(" --out {}", out.display()));
    if let Some(s) = shard {
        cmd.push_str(&format!(" --shard {s}"));
    }
    cmd.push_str(" --resume");
    cmd
}

/// On Ctrl-C: say that finished runs are kept and how to continue, then
/// exit 130. Each finished run is already in the journal (one write per
/// run), so only the runs in flight are lost.
pub(super) fn on_interrupt(command: String, kept: &Path) {
    let message = format!(
        "\ninterrupted: the finished runs are kept in {}; continue with:\n  {command}",
        kept.display()
    );
    // A second sweep in one process (tests) keeps the first handler: fine.
    let _ = ctrlc::set_handler(move || {
        let _ =
            std::io::Write::write_all(&mut std::io::stderr(), format!("{message}\n").as_bytes());
        std::process::exit(130);
    });
}

/// Parses `I/N` with 1 ≤ I ≤ N.
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let bad = || format!("--shard \"{s}\": expected I/N with 1 ≤ I ≤ N, e.g. 2/8");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, count): (u32, u32) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if index == 0 || index > count {
        return Err(bad());
    }
    Ok(Shard { index, count })
}

/// The slice to run: `--shard`, else a Kubernetes Indexed Job
/// (`JOB_COMPLETION_INDEX`, 0-based, with `--shards N`), else a Slurm job
/// array (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` + 1 of
/// `SLURM_ARRAY_TASK_COUNT`), else all runs. `env` looks a variable up.
pub fn shard_from(
    shard: Option<&str>,
    shards: Option<u32>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, String> {
    if let Some(s) = shard {
        return parse_shard(s).map(Some);
    }
    let num = |name: &str| -> Result<Option<u64>, String> {
        env(name)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{name}=\"{v}\" is not a non-negative integer"))
            })
            .transpose()
    };
    if let Some(count) = shards {
        let idx = num("JOB_COMPLETION_INDEX")?.ok_or(
            "--shards N needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); use --shard I/N otherwise",
        )?;
        if idx >= u64::from(count) {
            return Err(format!(
                "JOB_COMPLETION_INDEX={idx} is not below --shards {count}"
            ));
        }
        return Ok(Some(Shard {
            index: idx as u32 + 1,
            count,
        }));
    }
    if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
        // A stepped array (--array=1-7:2) would run some slices twice and
        // others never: refuse it before any work.
        if let Some(step) = num("SLURM_ARRAY_TASK_STEP")?
            && step != 1
        {
            return Err(format!(
                "SLURM_ARRAY_TASK_STEP={step}: a stepped array computes some shards and skips others; use a contiguous array such as --array=1-N, or --shard I/N"
            ));
        }
        let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let count = num("SLURM_ARRAY_TASK_COUNT")?
            .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")?;
        let pos = id.checked_sub(min).map(|p| p + 1).filter(|&p| p <= count);
        let Some(pos) = pos else {
            return Err(format!(
                "SLURM_ARRAY_TASK_ID={id} is outside {min}..{min}+{count}: use a contiguous array such as --array=1-{count}"
            ));
        };
        let count = u32::try_from(count).map_err(|_| "SLURM_ARRAY_TASK_COUNT is too large")?;
        return Ok(Some(Shard {
            index: pos as u32,
            count,
        }));
    }
    Ok(None)
}

/// The classes of node some point of the experiment has, in report order
/// (a sweep may turn a proxy's timer on or off).
fn classes_present(exp: &Experiment) -> Vec<NodeClass> {
    NodeClass::ALL
        .into_iter()
        .filter(|&c| {
            exp.points
                .iter()
                .flat_map(|p| &p.scenario.world.nodes)
                .any(|n| class_of(&n.kind) == c)
        })
        .collect()
}

fn run_sweep(exp: &Experiment, args: &RunArgs) -> Result<String, Failure> {
    let shard = shard_from(args.shard.as_deref(), args.shards, |k| {
        std::env::var(k).ok()
    })
    .map_err(|m| Failure::Input(format!("error: {m}")))?;
    let out = args.out.clone().unwrap_or_else(|| {
        let base = Path::new("output").join(&exp.name);
        match shard {
            Some(s) => base.join(format!("shard-{}-of-{}", s.index, s.count)),
            None => base,
        }
    });
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    if !args.force {
        let runs = planned_runs(exp, shard).len() as u64;
        cost::check_experiment(exp, runs, threads)
            .map_err(|m| Failure::Input(format!("error: {}: {m}", exp.source)))?;
    }
    let opts = RunOptions {
        out: out.clone(),
        threads,
        resume: args.resume,
        shard,
        progress: !args.quiet,
        stop_after: None,
    };
    on_interrupt(resume_command(args, &out, shard), &out.join("runs.journal"));
    let outcome = run_experiment(exp, &opts).map_err(super::sweep::failure)?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "sstsim: experiment \"{}\" ({}): {} points × {} replications{}; {} runs now, {} resumed, {:.1} s on {} threads",
        exp.name,
        exp.source,
        exp.points.len(),
        exp.replications,
        shard.map_or(String::new(), |sh| format!(", shard {sh}")),
        outcome.ran,
        outcome.resumed,
        outcome.wall_time_s,
        threads
    );
    if let Some(d) = &exp.description {
        let _ = writeln!(s, "{d}");
    }
    if !outcome.summary.is_empty() {
        s.push('\n');
        s.push_str(&crate::experiment::headline::headline(
            &exp.columns,
            &outcome.summary,
            &classes_present(exp),
        ));
        s.push('\n');
    }
    let _ = writeln!(s, "wrote:");
    for f in &outcome.files {
        let _ = writeln!(s, "  {}", f.display());
    }
    if shard.is_some() {
        let _ = writeln!(
            s,
            "this is one shard; combine all shards with: sstsim merge --out output/{} <shard dirs>",
            exp.name
        );
    }
    Ok(s)
}
