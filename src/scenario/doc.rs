//! A TOML document as a tree whose every key and value remembers where it
//! came from, plus typed readers that report precise errors.
//!
//! toml's own spanned parser (`DeTable`) does the parsing; this module keeps
//! its spans in a tree of our own. Validation can then point at
//! file:line:column. An experiment can also replace values by key path and
//! keep pointing at the file each value came from.

use std::sync::Arc;

use crate::keyword::Keyword;

use toml::de::{DeTable, DeValue};

use super::error::{InputError, Loc, Source, did_you_mean};

/// A TOML value.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A date or time (never valid in our schemas, kept to report it).
    Datetime(String),
    /// An array.
    Array(Vec<Item>),
    /// A table.
    Table(Table),
}

impl Value {
    /// The TOML type name, for "expected X, found Y" messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// A value and where it was written.
#[derive(Debug, Clone)]
pub struct Item {
    /// The parsed value; `loc` says where it was written.
    pub value: Value,
    /// Where it was written (errors point there).
    pub loc: Loc,
}

/// One `key = value` of a table.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The key as written.
    pub key: String,
    /// Where the key was written.
    pub key_loc: Loc,
    /// The value under the key.
    pub item: Item,
}

/// A table's entries in source order.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Entries in file order (messages and overrides keep that order).
    pub entries: Vec<Entry>,
}

impl Table {
    /// The entry for `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

fn convert(
    source: &Arc<Source>,
    v: &DeValue,
    span: std::ops::Range<usize>,
    path: &str,
    errs: &mut Errors,
) -> Item {
    let loc = Loc {
        source: source.clone(),
        span,
    };
    let value = match v {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => {
                errs.push(InputError::at(
                    &loc,
                    path,
                    format!(
                        "the integer {} does not fit in 64 bits (at most {})",
                        &source.text[loc.span.clone()],
                        i64::MAX
                    ),
                ));
                Value::Float(f64::INFINITY)
            }
        },
        DeValue::Float(f) => Value::Float(match f.as_str() {
            "inf" | "+inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            "nan" | "+nan" | "-nan" => f64::NAN,
            s => s.parse().unwrap_or(f64::NAN),
        }),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| convert(source, x.get_ref(), x.span(), &format!("{path}[{i}]"), errs))
                .collect(),
        ),
        DeValue::Table(t) => Value::Table(convert_table(source, t, path, errs)),
    };
    Item { value, loc }
}

fn convert_table(source: &Arc<Source>, t: &DeTable, path: &str, errs: &mut Errors) -> Table {
    let mut entries: Vec<Entry> = t
        .iter()
        .map(|(k, v)| Entry {
            key: k.get_ref().to_string(),
            key_loc: Loc {
                source: source.clone(),
                span: k.span(),
            },
            item: convert(
                source,
                v.get_ref(),
                v.span(),
                &if path.is_empty() {
                    k.get_ref().to_string()
                } else {
                    format!("{path}.{}", k.get_ref())
                },
                errs,
            ),
        })
        .collect();
    entries.sort_by_key(|e| e.key_loc.span.start);
    Table { entries }
}

/// Parses a TOML file into a located tree.
pub fn parse(source: &Arc<Source>) -> Result<Item, InputError> {
    match DeTable::parse(&source.text) {
        Ok(root) => {
            let mut errs = Errors::new();
            let value = Value::Table(convert_table(source, root.get_ref(), "", &mut errs));
            // Values TOML accepts but no key can: reported first, like syntax.
            if let Some(e) = errs.into_iter().next() {
                return Err(e);
            }
            Ok(Item {
                value,
                loc: Loc {
                    source: source.clone(),
                    span: 0..0,
                },
            })
        }
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let loc = Loc {
                source: source.clone(),
                span,
            };
            let msg = e.message().trim().replace('\n', " ");
            Err(InputError::at(&loc, "", format!("invalid TOML: {msg}")))
        }
    }
}

/// Collected errors of one read.
pub type Errors = Vec<InputError>;

/// A table being read: tracks which keys were used, so that the rest can be
/// reported as unknown with a suggestion.
pub struct Fields<'a> {
    table: &'a Table,
    loc: &'a Loc,
    path: String,
    used: Vec<bool>,
}

impl<'a> Fields<'a> {
    /// Reads `item` as a table named `path`; reports an error if it is not one.
    pub fn of(item: &'a Item, path: &str, errs: &mut Errors) -> Option<Self> {
        match &item.value {
            Value::Table(t) => Some(Fields {
                table: t,
                loc: &item.loc,
                path: path.to_string(),
                used: vec![false; t.entries.len()],
            }),
            other => {
                errs.push(InputError::at(
                    &item.loc,
                    path,
                    format!("expected a table, found {}", other.type_name()),
                ));
                None
            }
        }
    }

    /// The key path of `key` in this table.
    pub fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The table's own path.
    pub fn table_path(&self) -> &str {
        &self.path
    }

    /// The value of `key`, marking it used.
    pub fn get(&mut self, key: &str) -> Option<&'a Item> {
        let i = self.table.entries.iter().position(|e| e.key == key)?;
        self.used[i] = true;
        Some(&self.table.entries[i].item)
    }

    /// The value of `key` with its key path.
    pub fn entry(&mut self, key: &str) -> Option<(&'a Item, String)> {
        let path = self.path(key);
        self.get(key).map(|i| (i, path))
    }

    /// Where `key` is written in this table, if it is.
    pub fn key_loc(&self, key: &str) -> Option<Loc> {
        self.table.get(key).map(|e| e.key_loc.clone())
    }

    /// Like [`Fields::entry`], but a missing key is an error at the table.
    pub fn require(&mut self, key: &str, errs: &mut Errors) -> Option<(&'a Item, String)> {
        let found = self.entry(key);
        if found.is_none() {
            errs.push(InputError::at(
                self.loc,
                self.path(key),
                "missing required key",
            ));
        }
        found
    }

    /// Every entry (marks all used): for tables keyed by user names.
    pub fn all(&mut self) -> &'a [Entry] {
        self.used.iter_mut().for_each(|u| *u = true);
        &self.table.entries
    }

    /// Reports every key not read, with what is allowed and a suggestion.
    pub fn finish(self, allowed: &[&str], errs: &mut Errors) {
        for (e, used) in self.table.entries.iter().zip(&self.used) {
            if !used {
                let path = if self.path.is_empty() {
                    e.key.clone()
                } else {
                    format!("{}.{}", self.path, e.key)
                };
                errs.push(
                    InputError::at(
                        &e.key_loc,
                        path,
                        format!("unknown key; allowed here: {}", allowed.join(", ")),
                    )
                    .with_hint(did_you_mean(&e.key, allowed.iter().copied())),
                );
            }
        }
    }
}

fn type_error(item: &Item, path: &str, expected: &str) -> InputError {
    InputError::at(
        &item.loc,
        path,
        format!("expected {expected}, found {}", item.value.type_name()),
    )
}

/// A string.
pub fn string(item: &Item, path: &str, errs: &mut Errors) -> Option<String> {
    match &item.value {
        Value::Str(s) => Some(s.clone()),
        _ => {
            errs.push(type_error(item, path, "a string"));
            None
        }
    }
}

/// A boolean.
pub fn boolean(item: &Item, path: &str, errs: &mut Errors) -> Option<bool> {
    match item.value {
        Value::Bool(b) => Some(b),
        _ => {
            errs.push(type_error(item, path, "true or false"));
            None
        }
    }
}

/// A number (integer or float) within `[min, max]`; `what` describes it.
pub fn number(
    item: &Item,
    path: &str,
    min: f64,
    max: f64,
    what: &str,
    errs: &mut Errors,
) -> Option<f64> {
    let x = match item.value {
        Value::Int(i) => i as f64,
        Value::Float(f) => f,
        _ => {
            errs.push(type_error(item, path, what));
            return None;
        }
    };
    if !x.is_finite() || x < min || x > max {
        let range = format!("in [{min}, {max}]");
        errs.push(InputError::at(
            &item.loc,
            path,
            format!("{x} is out of range: expected {what} {range}"),
        ));
        return None;
    }
    Some(x)
}

/// An integer within `[min, max]`.
pub fn integer(
    item: &Item,
    path: &str,
    min: i64,
    max: i64,
    what: &str,
    errs: &mut Errors,
) -> Option<i64> {
    let Value::Int(x) = item.value else {
        errs.push(type_error(item, path, what));
        return None;
    };
    if x < min || x > max {
        errs.push(InputError::at(
            &item.loc,
            path,
            format!("{x} is out of range: expected {what} in [{min}, {max}]"),
        ));
        return None;
    }
    Some(x)
}

/// One of `choices` (a string); returns its index.
pub fn choice(item: &Item, path: &str, choices: &[&str], errs: &mut Errors) -> Option<usize> {
    let allowed = choices
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let Value::Str(s) = &item.value else {
        errs.push(type_error(item, path, &format!("one of {allowed}")));
        return None;
    };
    match choices.iter().position(|c| c == s) {
        Some(i) => Some(i),
        None => {
            errs.push(
                InputError::at(
                    &item.loc,
                    path,
                    format!("unknown value \"{s}\"; allowed: {allowed}"),
                )
                .with_hint(did_you_mean(s, choices.iter().copied())),
            );
            None
        }
    }
}

/// A value of a [`Keyword`] enum, from its spelling.
pub fn keyword<K: Keyword>(item: &Item, path: &str, errs: &mut Errors) -> Option<K> {
    choice(item, path, &K::spellings(), errs).map(|i| K::SPELLINGS[i].1)
}

/// An array; each element is read by `f`.
pub fn array<T>(
    item: &Item,
    path: &str,
    errs: &mut Errors,
    mut f: impl FnMut(&Item, &str, &mut Errors) -> Option<T>,
) -> Option<Vec<T>> {
    let Value::Array(xs) = &item.value else {
        errs.push(type_error(item, path, "an array"));
        return None;
    };
    let mut out = Vec::with_capacity(xs.len());
    let mut ok = true;
    for (i, x) in xs.iter().enumerate() {
        match f(x, &format!("{path}[{i}]"), errs) {
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    ok.then_some(out)
}
