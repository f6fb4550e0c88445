//! Writes a located tree back out as TOML, keys in their order, so that a
//! sweep point's resolved model can be read, run and traced on its own.

use std::fmt::Write;

use super::doc::{Item, Table, Value};

/// A key as TOML spells it: bare when it can be, quoted otherwise.
fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_string()
    } else {
        toml::Value::String(k.to_string()).to_string()
    }
}

/// A dotted header path: `[a."b c"]`.
fn path(parts: &[&str]) -> String {
    parts.iter().map(|p| key(p)).collect::<Vec<_>>().join(".")
}

/// A value written inline (arrays and tables included).
fn inline(v: &Value) -> String {
    match v {
        Value::Str(s) => toml::Value::String(s.clone()).to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => toml::Value::Float(*f).to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Datetime(d) => d.clone(),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(|i| inline(&i.value)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Table(t) => {
            if t.entries.is_empty() {
                return "{}".into();
            }
            let items: Vec<String> = t
                .entries
                .iter()
                .map(|e| format!("{} = {}", key(&e.key), inline(&e.item.value)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
    }
}

/// An array whose items are all tables: written as `[[path]]` sections.
fn table_array(v: &Value) -> Option<&[Item]> {
    match v {
        Value::Array(a)
            if !a.is_empty() && a.iter().all(|i| matches!(i.value, Value::Table(_))) =>
        {
            Some(a)
        }
        _ => None,
    }
}

/// Writes `t`'s plain entries, then its sub-tables and arrays of tables as
/// sections under `prefix`.
fn section(out: &mut String, prefix: &[&str], t: &Table) {
    for e in &t.entries {
        let nested =
            matches!(e.item.value, Value::Table(_)) || table_array(&e.item.value).is_some();
        if !nested {
            let _ = writeln!(out, "{} = {}", key(&e.key), inline(&e.item.value));
        }
    }
    for e in &t.entries {
        let mut p = prefix.to_vec();
        p.push(&e.key);
        if let Value::Table(sub) = &e.item.value {
            let _ = writeln!(out, "\n[{}]", path(&p));
            section(out, &p, sub);
        } else if let Some(items) = table_array(&e.item.value) {
            for i in items {
                let _ = writeln!(out, "\n[[{}]]", path(&p));
                if let Value::Table(sub) = &i.value {
                    section(out, &p, sub);
                }
            }
        }
    }
}

/// The tree as TOML text (a table at the root).
pub fn to_toml(root: &Item) -> String {
    let mut out = String::new();
    match &root.value {
        Value::Table(t) => section(&mut out, &[], t),
        other => out.push_str(&inline(other)),
    }
    out.trim_start_matches('\n').to_string()
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::scenario::doc::parse;
    use crate::scenario::error::Source;

    /// Parses, writes and parses again: the same values in the same order.
    #[test]
    fn a_document_round_trips() {
        let text = r#"
name = "x y"
rate = 0.5
n = 3
[defaults]
session_expires = 90
"odd key" = true
[[node]]
id = "a"
loss = { model = "bernoulli", p = 0.01 }
[[node]]
id = "b"
outages = [[10, 20], [30, 40.5]]
[workload.holding]
mean_s = 1.0
"#;
        let first = parse(&Source::new("a.toml", text)).unwrap();
        let written = to_toml(&first);
        let again = parse(&Source::new("b.toml", written.clone())).unwrap();
        assert_eq!(to_toml(&again), written);
        // toml's own reader agrees on the values.
        let a: toml::Table = text.parse().unwrap();
        let b: toml::Table = written.parse().unwrap();
        assert_eq!(a, b, "{written}");
        assert!(written.contains("\"odd key\" = true"), "{written}");
        assert!(
            written.contains("mean_s = 1.0"),
            "a float stays a float: {written}"
        );
    }
}
