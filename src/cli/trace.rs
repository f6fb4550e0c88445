//! `sstsim trace FILE`: run a model, or one point of an experiment, with
//! one call traced and print its flow.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Failure;
use crate::engine::SeedSpace;
use crate::net::Addresses;
use crate::net::NodeId;
use crate::report::pcap::{Vantage, packets, write_pcapng};
use crate::report::trace::{TraceContext, ladder, write_csv};
use crate::scenario::model_from_str;
use crate::sim::{TraceFilter, World, WorldConfig};
use crate::sip::CallRef;

/// Output format of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// A ladder diagram for the terminal.
    Ladder,
    /// CSV, one row per message, event or fault.
    Csv,
    /// A pcapng capture for Wireshark and sngrep (needs `--out`).
    Pcap,
}

/// Arguments of `sstsim trace`.
#[derive(Debug, Clone, Args)]
pub struct TraceArgs {
    /// A model file, or an experiment file with `--point`.
    pub file: PathBuf,
    /// The workload call to trace (0-based).
    #[arg(long, default_value_t = 0)]
    pub call: u32,
    /// Models: master seed [default: 1]. An experiment uses its own.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replication index, selecting the run's random streams, as in
    /// runs.csv [default: 0].
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Experiments: the point to trace (0-based, as in runs.csv).
    #[arg(long, value_name = "N")]
    pub point: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Ladder)]
    pub format: TraceFormat,
    /// Ladder width in columns (80–160 recommended).
    #[arg(long, default_value_t = 120)]
    pub width: usize,
    /// The file a pcap capture goes to (`--format pcap`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Capture every call of the run, not only `--call`.
    #[arg(long)]
    pub all_calls: bool,
    /// Capture what one node's interface carried (sent and received)
    /// instead of every message once as sent.
    #[arg(long, value_name = "NODE")]
    pub vantage: Option<String>,
    /// Run even if the estimated cost is beyond the limits.
    #[arg(long)]
    pub force: bool,
}

/// The model to trace and its master seed: the file itself, or the
/// experiment's point (with the experiment's seed, as its runs used).
fn world_of(args: &TraceArgs) -> Result<(WorldConfig, u64), Failure> {
    let input = |e: crate::scenario::InputErrors| Failure::Input(e.to_string());
    let super::input::InputFile { text, model, .. } = super::input::read(&args.file)?;
    if model {
        if args.point.is_some() {
            return Err(Failure::Input(
                "error: --point applies to experiment files, not to a model file".into(),
            ));
        }
        let name = args.file.display().to_string();
        let scenario = model_from_str(&name, &text).map_err(input)?;
        return Ok((scenario.world, args.seed.unwrap_or(1)));
    }
    if args.seed.is_some() {
        return Err(Failure::Input(
            "error: --seed applies to model files; an experiment's runs use its own seed".into(),
        ));
    }
    let Some(n) = args.point else {
        return Err(Failure::Input(format!(
            "error: {} is an experiment: say which point to trace with --point N (the point column of runs.csv)",
            args.file.display()
        )));
    };
    let exp = super::point::experiment(Some(&args.file))?;
    if args.replication >= u64::from(exp.replications) {
        return Err(Failure::Input(format!(
            "error: --replication {}: experiment \"{}\" has {} replication(s), numbered 0 to {}",
            args.replication,
            exp.name,
            exp.replications,
            exp.replications.saturating_sub(1)
        )));
    }
    let p = super::point::point(&exp, n)?;
    Ok((p.scenario.world.clone(), exp.seed))
}

/// Runs the model to its end and renders the traced call.
pub(super) fn run(args: &TraceArgs) -> Result<String, Failure> {
    let pcap = args.format == TraceFormat::Pcap;
    if pcap != args.out.is_some() {
        return Err(Failure::Input(
            "error: --format pcap writes a file: give it with --out FILE (and --out only with --format pcap)".into(),
        ));
    }
    if !pcap && (args.all_calls || args.vantage.is_some()) {
        return Err(Failure::Input(
            "error: --all-calls and --vantage apply to --format pcap".into(),
        ));
    }
    let (world, seed) = world_of(args)?;
    let vantage = match &args.vantage {
        None => Vantage::Network,
        Some(v) => match world.nodes.iter().position(|n| n.name == *v) {
            Some(i) => Vantage::Node(NodeId(i as u16)),
            None => {
                return Err(Failure::Input(format!(
                    "error: --vantage {v}: no such node; nodes are: {}",
                    world
                        .nodes
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        },
    };
    let addresses: Vec<_> = world.nodes.iter().map(|n| n.address).collect();
    match world.workload.max_calls() {
        Some(0) => {
            return Err(Failure::Input(format!(
                "error: --call {}: the model places no calls (workload calls = 0)",
                args.call
            )));
        }
        Some(calls) if args.call >= calls => {
            return Err(Failure::Input(format!(
                "error: --call {}: the model places {calls} call(s), numbered 0 to {}",
                args.call,
                calls - 1
            )));
        }
        _ => {}
    }
    if !args.force {
        crate::experiment::cost::check_model(&world)
            .map_err(|m| Failure::Input(format!("error: {}: {m}", args.file.display())))?;
    }
    let filter = if args.all_calls {
        TraceFilter::All
    } else {
        TraceFilter::Call(CallRef(args.call))
    };
    let mut world = World::new(world, SeedSpace::new(seed, 0, args.replication), filter);
    world
        .run_checked()
        .map_err(|e| Failure::Input(format!("error: {e}")))?;
    let trace = world.trace();
    let cx = TraceContext {
        names: world.names(),
        links: world.links(),
    };
    match args.format {
        TraceFormat::Ladder => Ok(ladder(&cx, &trace, args.width)),
        TraceFormat::Csv => {
            let mut buf = Vec::new();
            write_csv(&cx, &trace, &mut buf).map_err(|e| Failure::Internal(e.to_string()))?;
            String::from_utf8(buf).map_err(|e| Failure::Internal(e.to_string()))
        }
        TraceFormat::Pcap => {
            let out = args.out.as_ref().expect("checked above");
            let addrs = Addresses::new(cx.names, &addresses);
            let packets = packets(&trace, &addrs, vantage, |l| {
                crate::sim::world::link_name(cx.names, cx.links, l)
            });
            let interface = match vantage {
                Vantage::Network => "sstsim (every hop, as sent)".to_string(),
                Vantage::Node(n) => format!("sstsim at {}", addrs.name(n)),
            };
            let n = write_pcapng(out, &packets, &addrs, &interface)
                .map_err(|e| Failure::Internal(format!("error: {}: {e}", out.display())))?;
            Ok(format!("sstsim: wrote {n} packets to {}\n", out.display()))
        }
    }
}
