//! Reading the file a command is given and telling a model from an
//! experiment, before any flag is judged: a syntax error is reported as
//! such, whatever flags came with it.

use std::path::Path;

use super::Failure;
use crate::experiment::spec::TOP_KEYS;
use crate::scenario::doc::{self, Item, Value};
use crate::scenario::error::{InputErrors, Source};
use crate::scenario::read_input;

/// Keys only a model file has at its top level.
const MODEL_KEYS: &[&str] = &["node", "link", "workload", "defaults", "sip", "fault"];

/// A command's input file, read and parsed.
pub(super) struct InputFile {
    /// The file's text.
    pub(super) text: String,
    /// A model (else an experiment).
    pub(super) model: bool,
    /// A tune file (`[knobs]` and `[objective]`), which `sstsim tune` reads.
    pub(super) tune: bool,
}

/// Reads `path` and decides its kind; a file that cannot be read or is not
/// TOML is an error here, located.
pub(super) fn read(path: &Path) -> Result<InputFile, Failure> {
    let input = |e: InputErrors| Failure::Input(e.to_string());
    let text = read_input(path, "input").map_err(input)?;
    let root = doc::parse(&Source::new(path.display().to_string(), &text))
        .map_err(|e| input(InputErrors::one(e)))?;
    let tune = matches!(&root.value, Value::Table(t)
        if t.get("knobs").is_some() && t.get("objective").is_some());
    Ok(InputFile {
        model: is_model(&root),
        tune,
        text,
    })
}

/// A model file has none of the experiment's own keys, and some of a
/// model's. A file with both is an experiment (its model keys are errors).
fn is_model(root: &Item) -> bool {
    let Value::Table(t) = &root.value else {
        return false;
    };
    let has = |keys: &[&str]| t.entries.iter().any(|e| keys.contains(&e.key.as_str()));
    // `description` is the one key both kinds have.
    let experiment_only: Vec<&str> = TOP_KEYS
        .iter()
        .copied()
        .filter(|&k| k != "description")
        .collect();
    !has(&experiment_only) && has(MODEL_KEYS)
}
