//! Input errors that point at the file, line, column and key, say what is
//! allowed, and suggest near-miss names.

use std::fmt;
use std::sync::Arc;

/// A source file's text, with line starts for span → line:column.
#[derive(Debug)]
pub struct Source {
    /// The path as the user gave it.
    pub name: String,
    /// The whole text, for line and column numbers.
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    /// Wraps a file's text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Arc::new(Source {
            name: name.into(),
            text,
            line_starts,
        })
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text[start..offset].chars().count() + 1;
        (line + 1, col)
    }
}

/// A place in a source file.
#[derive(Debug, Clone)]
pub struct Loc {
    /// The file the text came from.
    pub source: Arc<Source>,
    /// Byte range.
    pub span: std::ops::Range<usize>,
}

impl Loc {
    /// 1-based line and column of the start.
    pub fn line_col(&self) -> (usize, usize) {
        self.source.line_col(self.span.start)
    }
}

/// One problem with an input file.
#[derive(Debug, Clone)]
pub struct InputError {
    /// File name.
    pub file: String,
    /// 1-based line (0 when the whole file is meant).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The key path, e.g. `link.alice-p1.loss`.
    pub key: String,
    /// What is wrong and what is allowed.
    pub message: String,
    /// A "did you mean" suggestion.
    pub hint: Option<String>,
}

impl InputError {
    /// An error at `loc` about `key`.
    pub fn at(loc: &Loc, key: impl Into<String>, message: impl Into<String>) -> Self {
        let (line, column) = loc.line_col();
        InputError {
            file: loc.source.name.clone(),
            line,
            column,
            key: key.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a suggestion.
    pub fn with_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (did you mean `{h}`?)")?;
        }
        Ok(())
    }
}

/// All problems found in one input (reported together, in file order).
#[derive(Debug, Clone, Default)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

impl InputErrors {
    /// A single error.
    pub fn one(e: InputError) -> Self {
        InputErrors(vec![e])
    }

    /// Sorts by position so messages read top to bottom.
    pub fn sorted(mut self) -> Self {
        self.0
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self
    }
}

/// Levenshtein distance (small inputs only).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Names longer than this get no suggestion: the edit distance costs the
/// product of the two lengths, and no key or id is this long by intent.
const MAX_SUGGESTED_LEN: usize = 256;

/// The closest candidate within a third of the word's length (at least 1,
/// at most 3 edits), or one that differs only in case or `-`/`_`.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let len = word.chars().count();
    if len > MAX_SUGGESTED_LEN {
        return None;
    }
    let limit = (len / 3).clamp(1, 3);
    candidates
        .into_iter()
        // The distance is at least the difference in length.
        .filter(|c| c.chars().count().abs_diff(len) <= limit)
        .map(|c| {
            let d = if norm(c) == norm(word) {
                0
            } else {
                edit_distance(word, c)
            };
            (d, c)
        })
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let s = Source::new("m.toml", "a = 1\nbé = 2\n  c = 3");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(6), (2, 1));
        assert_eq!(s.line_col(s.text.find("= 2").unwrap()), (2, 4));
        assert_eq!(s.line_col(s.text.find('c').unwrap()), (3, 3));
    }

    #[test]
    fn suggestions_catch_typos_but_not_strangers() {
        let keys = ["delay_ms", "jitter_ms", "loss", "outages", "between"];
        assert_eq!(did_you_mean("delay_msx", keys), Some("delay_ms".into()));
        assert_eq!(did_you_mean("jiter_ms", keys), Some("jitter_ms".into()));
        assert_eq!(did_you_mean("Delay-MS", keys), Some("delay_ms".into()));
        assert_eq!(did_you_mean("bandwidth", keys), None);
        // Huge names get no suggestion, at once (this took 39 s at 200,000
        // characters); a candidate too long to be 3 edits away is skipped.
        let huge = "d".repeat(200_000);
        assert_eq!(did_you_mean(&huge, keys), None);
        assert_eq!(did_you_mean("delay_ms", [huge.as_str()]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
