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
    std::fs::read_to_string(path).map_err(|e| {
        InputErrors::one(InputError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read the {what} file: {e}"),
            hint: None,
        })
    })
}

/// Validates a model given as text; `name` is used in error messages.
pub fn model_from_str(name: &str, text: &str) -> Result<Scenario, InputErrors> {
    let source = Source::new(name, text);
    let root = doc::parse(&source).map_err(InputErrors::one)?;
    model::read_model(&root).map_err(|e| InputErrors(e).sorted())
}
