//! Model files → validated [`Scenario`]s, with errors that name the file,
//! line, column and key.

pub mod doc;
pub mod error;
pub mod model;

pub use error::{InputError, InputErrors, Source};
pub use model::{NodeTimers, Scenario};

use std::path::Path;

/// Reads and validates a model file.
pub fn load_model(path: &Path) -> Result<Scenario, InputErrors> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputErrors::one(InputError {
            file: name.clone(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read the model file: {e}"),
            hint: None,
        })
    })?;
    model_from_str(&name, &text)
}

/// Validates a model given as text; `name` is used in error messages.
pub fn model_from_str(name: &str, text: &str) -> Result<Scenario, InputErrors> {
    let source = Source::new(name, text);
    let root = doc::parse(&source).map_err(InputErrors::one)?;
    model::read_model(&root).map_err(|e| InputErrors(e).sorted())
}
