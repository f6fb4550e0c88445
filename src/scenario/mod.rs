//! Model files → validated [`Scenario`]s, with errors that name the file,
//! line, column and key.

pub mod doc;
pub mod error;
pub mod model;
pub mod toml_out;

pub use error::{InputError, InputErrors, Source};
pub use model::{NodeTimers, Scenario};

use std::path::Path;

/// Reads and validates a model file.
pub fn load_model(path: &Path) -> Result<Scenario, InputErrors> {
    let text = read_input(path, "model")?;
    model_from_str(&path.display().to_string(), &text)
}

/// Reads an input file's text; failure is an input error naming the file.
pub fn read_input(path: &Path, what: &str) -> Result<String, InputErrors> {
    let error = |line, column, message| {
        InputErrors::one(InputError {
            file: path.display().to_string(),
            line,
            column,
            key: String::new(),
            message,
            hint: None,
        })
    };
    let bytes = std::fs::read(path)
        .map_err(|e| error(0, 0, format!("cannot read the {what} file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        // Locate the first bad byte: line and column (in characters) of the
        // valid text before it, and its byte offset.
        let at = e.utf8_error().valid_up_to();
        let good = std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or_default();
        let line = good.matches('\n').count() + 1;
        let column = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        error(
            line,
            column,
            format!(
                "the {what} file is not UTF-8 text: byte {at} (0x{:02x}) is not valid UTF-8",
                e.as_bytes()[at]
            ),
        )
    })
}

/// Validates a model given as text; `name` is used in error messages.
pub fn model_from_str(name: &str, text: &str) -> Result<Scenario, InputErrors> {
    let source = Source::new(name, text);
    let root = doc::parse(&source).map_err(InputErrors::one)?;
    model::read_model(&root).map_err(|e| InputErrors(e).sorted())
}
