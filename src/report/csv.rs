//! CSV files, written atomically: a temporary file in the target directory,
//! then a rename, so an interrupted run never leaves a half-written file
//! over a good one.

use std::io::Write;
use std::path::Path;

use crate::sim::DialogRow;

/// Writes `path` atomically with the bytes `write` produces.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    write(&mut buf)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&buf)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn secs(t: Option<crate::engine::SimTime>) -> String {
    t.map_or(String::new(), |t| format!("{:.6}", t.as_secs_f64()))
}

/// `dialogs.csv`: one row per node × dialog state.
pub fn write_dialogs(
    rows: &[DialogRow],
    names: &[String],
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "call",
        "node",
        "node_class",
        "created_s",
        "dead_s",
        "freed_s",
        "cause",
    ])?;
    for r in rows {
        w.write_record([
            r.call.0.to_string(),
            names[r.node.index()].clone(),
            r.class.name().to_string(),
            secs(Some(r.created)),
            secs(r.dead),
            secs(r.freed),
            r.cause.map_or(String::new(), |c| c.name().to_string()),
        ])?;
    }
    w.flush()
}
