//! Publishing an output directory's files as one set.
//!
//! The new files are written aside, into `DIR/.staging.partial`, and only
//! once every one of them is complete on disk is that directory renamed to
//! `DIR/.staging`: the commit point. Its entries are then moved into `DIR`
//! (the manifest last). Running out of disk can only happen before the
//! commit point, which leaves the old set untouched; a crash after it is
//! rolled forward by [`recover`], which every writer of the directory calls
//! first, and which also removes what interrupted writes left behind.

use std::io;
use std::path::{Path, PathBuf};

/// Files being written (not yet a complete set).
const PARTIAL: &str = ".staging.partial";
/// A complete set being moved into place.
const STAGED: &str = ".staging";
/// Moved last: a directory with a manifest is a finished one.
const LAST: &str = "manifest.json";

/// A fresh, empty place to write the new set.
pub(super) fn stage(dir: &Path) -> io::Result<PathBuf> {
    let partial = dir.join(PARTIAL);
    remove_any(&partial)?;
    std::fs::create_dir_all(&partial)?;
    Ok(partial)
}

/// Abandons a set that could not be written completely.
pub(super) fn abandon(dir: &Path) {
    let _ = remove_any(&dir.join(PARTIAL));
}

/// Commits the staged set and moves it into `dir`.
pub(super) fn publish(dir: &Path) -> io::Result<()> {
    let staged = dir.join(STAGED);
    remove_any(&staged)?;
    std::fs::rename(dir.join(PARTIAL), &staged)?;
    roll_forward(dir)
}

/// Finishes a publish that a crash interrupted after its commit point, and
/// removes an uncommitted set and the temporary files of atomic writes.
/// Call it holding the directory's lock.
pub fn recover(dir: &Path) -> io::Result<()> {
    if dir.join(STAGED).is_dir() {
        roll_forward(dir)?;
    }
    remove_any(&dir.join(PARTIAL))?;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries {
        let e = e?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        // `.NAME.tmpPID` of an atomic write, `.charts.tmpPID` of older versions.
        if name.starts_with('.') && name.contains(".tmp") {
            remove_any(&e.path())?;
        }
    }
    Ok(())
}

/// Moves every staged entry into `dir`, replacing what is there.
fn roll_forward(dir: &Path) -> io::Result<()> {
    let staged = dir.join(STAGED);
    let mut names: Vec<_> = std::fs::read_dir(&staged)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort_by_key(|n| (n == LAST, n.clone()));
    for name in names {
        let (from, to) = (staged.join(&name), dir.join(&name));
        if from.is_dir() {
            remove_any(&to)?;
        }
        std::fs::rename(&from, &to)?;
    }
    std::fs::remove_dir(&staged)
}

/// Removes a file or a directory tree; absent is fine.
fn remove_any(path: &Path) -> io::Result<()> {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    };
    match removed {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
