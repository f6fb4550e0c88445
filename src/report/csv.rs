//! CSV files, written atomically: a temporary file in the target directory,
//! then a rename, so an interrupted run never leaves a half-written file
//! over a good one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::sim::DialogRow;

/// Where writing `path` lands: `path` itself, or the file a symbolic link
/// at `path` points to (the link stays a link). A path that exists and is
/// not a regular file (a directory, FIFO, device or socket) is refused:
/// replacing it by a rename would destroy it.
pub fn output_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut target = path.to_path_buf();
    // Follow a chain of links by hand, so a dangling one still names its file.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&target)?;
                let dir = target.parent().unwrap_or(Path::new("."));
                target = dir.join(to);
            }
            Ok(m) if !m.is_file() => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "{} exists and is {}, not a regular file; give a file path",
                        target.display(),
                        kind_of(&m.file_type())
                    ),
                ));
            }
            Ok(_) => return Ok(target),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(target),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("{}: too many levels of symbolic links", path.display()),
    ))
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Writes `path` (or the file a link there points to, see
/// [`output_target`]) atomically with the bytes `write` produces: a
/// temporary file beside it, then a rename. On any failure the temporary
/// file is removed and the old file stays.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let path = output_target(path)?;
    let mut buf = Vec::new();
    write(&mut buf)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&buf)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
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
