//! Replacing values of a model's located tree by key path, for sweep points.
//!
//! `defaults.session_expires` walks tables; `node.<id|group>.<key>` and
//! `link.<name|group>.<key>` select `[[node]]` / `[[link]]` tables by id,
//! name or group (a group sets every member); `fault.<index>.<key>` selects
//! a `[[fault]]` by position. Missing tables and keys are created, carrying
//! the experiment file's location, so that the model validator reports a
//! misspelt key at the line of the experiment that wrote it.

use crate::scenario::doc::{Entry, Item, Table, Value};
use crate::scenario::error::{Loc, did_you_mean};

/// Sets `path` to `value` in the model `root`. `key_loc` is where the
/// experiment wrote the key path. Errors say which segment selects nothing.
pub fn set_path(root: &mut Item, path: &str, value: &Item, key_loc: &Loc) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err("a key path is names joined by '.', e.g. \"defaults.session_expires\"".into());
    }
    let Value::Table(t) = &mut root.value else {
        return Err("the model is not a table".into());
    };
    match parts[0] {
        "node" | "link" | "fault" => set_in_array(t, &parts, value, key_loc),
        _ => set_in_table(t, &parts, value, key_loc),
    }
}

fn set_in_table(t: &mut Table, parts: &[&str], value: &Item, key_loc: &Loc) -> Result<(), String> {
    let head = parts[0];
    let pos = match t.entries.iter().position(|e| e.key == head) {
        Some(i) => i,
        None => {
            let item = if parts.len() == 1 {
                value.clone()
            } else {
                Item {
                    value: Value::Table(Table::default()),
                    loc: key_loc.clone(),
                }
            };
            t.entries.push(Entry {
                key: head.to_string(),
                key_loc: key_loc.clone(),
                item,
            });
            t.entries.len() - 1
        }
    };
    let entry = &mut t.entries[pos];
    if parts.len() == 1 {
        entry.item = value.clone();
        return Ok(());
    }
    match &mut entry.item.value {
        Value::Table(inner) => set_in_table(inner, &parts[1..], value, key_loc),
        other => Err(format!(
            "`{head}` is {} in the model, not a table",
            other.type_name()
        )),
    }
}

/// `node.<id|group>…`, `link.<name|group>…`, `fault.<index>…`.
fn set_in_array(t: &mut Table, parts: &[&str], value: &Item, key_loc: &Loc) -> Result<(), String> {
    let (kind, selector) = (parts[0], parts.get(1).copied());
    let Some(selector) = selector.filter(|_| parts.len() >= 3) else {
        return Err(format!(
            "`{kind}` needs a selector and a key, e.g. \"{}\"",
            match kind {
                "node" => "node.p1.timers",
                "link" => "link.access.loss",
                _ => "fault.0.at_s",
            }
        ));
    };
    let Some(entry) = t.entries.iter_mut().find(|e| e.key == kind) else {
        return Err(format!("the model has no [[{kind}]] tables"));
    };
    let Value::Array(items) = &mut entry.item.value else {
        return Err(format!("`{kind}` is not an array of tables in the model"));
    };
    let mut known = Vec::new();
    let mut hit = false;
    for (i, item) in items.iter_mut().enumerate() {
        let Value::Table(table) = &mut item.value else {
            continue;
        };
        let names = selectors(kind, i, table);
        let matches = names.iter().any(|n| n == selector);
        known.extend(names);
        if matches {
            set_in_table(table, &parts[2..], value, key_loc)?;
            hit = true;
        }
    }
    if hit {
        return Ok(());
    }
    known.sort();
    known.dedup();
    let what = match kind {
        "node" => "node id or group",
        "link" => "link name or group",
        _ => "fault index",
    };
    let mut msg = format!(
        "no {what} \"{selector}\"; known: {}",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    );
    if let Some(h) = did_you_mean(selector, known.iter().map(String::as_str)) {
        msg.push_str(&format!(" (did you mean `{h}`?)"));
    }
    Err(msg)
}

fn str_key(table: &Table, key: &str) -> Option<String> {
    match &table.get(key)?.item.value {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// The names that select the `i`-th table of `kind`.
fn selectors(kind: &str, i: usize, table: &Table) -> Vec<String> {
    let mut out = Vec::new();
    match kind {
        "node" => out.extend(str_key(table, "id")),
        "link" => match str_key(table, "name") {
            Some(n) => out.push(n),
            // The model's default link name: "<a>-<b>".
            None => {
                if let Some(Entry {
                    item:
                        Item {
                            value: Value::Array(ends),
                            ..
                        },
                    ..
                }) = table.get("between")
                    && let [a, b] = ends.as_slice()
                    && let (Value::Str(a), Value::Str(b)) = (&a.value, &b.value)
                {
                    out.push(format!("{a}-{b}"));
                }
            }
        },
        _ => out.push(i.to_string()),
    }
    if kind != "fault" {
        out.extend(str_key(table, "group"));
    }
    out
}

/// A swept value as written in CSV cells and chart legends.
pub fn cell(item: &Item) -> String {
    match &item.value {
        Value::Str(s) | Value::Datetime(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(xs) => format!("[{}]", xs.iter().map(cell).collect::<Vec<_>>().join(" ")),
        Value::Table(t) => format!(
            "{{{}}}",
            t.entries
                .iter()
                .map(|e| format!("{}={}", e.key, cell(&e.item)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::doc::parse;
    use crate::scenario::error::Source;

    const MODEL: &str = r#"
[defaults]
min_se = 90
[[node]]
id = "a"
group = "g"
[[node]]
id = "b"
group = "g"
[[link]]
between = ["a", "b"]
[[fault]]
kind = "crash"
"#;

    fn tree() -> Item {
        parse(&Source::new("m.toml", MODEL)).unwrap()
    }

    fn value(text: &str) -> Item {
        let root = parse(&Source::new("e.toml", format!("v = {text}"))).unwrap();
        let Value::Table(t) = root.value else {
            unreachable!()
        };
        t.entries[0].item.clone()
    }

    /// The value at a plain table path, rendered.
    fn at(root: &Item, path: &[&str]) -> Option<String> {
        let mut item = root;
        for p in path {
            let Value::Table(t) = &item.value else {
                return None;
            };
            item = &t.get(p)?.item;
        }
        Some(cell(item))
    }

    fn node(root: &Item, i: usize) -> &Item {
        let Value::Table(t) = &root.value else {
            unreachable!()
        };
        let Value::Array(ns) = &t.get("node").unwrap().item.value else {
            unreachable!()
        };
        &ns[i]
    }

    #[test]
    fn paths_replace_create_and_select_by_group() {
        let mut m = tree();
        let v = value("120");
        set_path(&mut m, "defaults.min_se", &v, &v.loc).unwrap();
        assert_eq!(at(&m, &["defaults", "min_se"]).as_deref(), Some("120"));
        set_path(&mut m, "sip.t1_ms", &v, &v.loc).unwrap();
        assert_eq!(at(&m, &["sip", "t1_ms"]).as_deref(), Some("120"));
        set_path(&mut m, "node.g.peers.b.session_expires", &v, &v.loc).unwrap();
        for i in 0..2 {
            assert_eq!(
                at(node(&m, i), &["peers", "b", "session_expires"]).as_deref(),
                Some("120")
            );
        }
        set_path(&mut m, "link.a-b.loss", &value("0.5"), &v.loc).unwrap();
        set_path(&mut m, "fault.0.at_s", &v, &v.loc).unwrap();
    }

    #[test]
    fn paths_that_select_nothing_say_why() {
        let mut m = tree();
        let v = value("1");
        let err = |m: &mut Item, p: &str| set_path(m, p, &v, &v.loc).unwrap_err();
        assert!(err(&mut m, "node.c.min_se").contains("no node id or group \"c\""));
        assert!(err(&mut m, "link.b-a.loss").contains("known: a-b"));
        assert!(err(&mut m, "fault.3.at_s").contains("no fault index \"3\""));
        assert!(err(&mut m, "node.a").contains("needs a selector and a key"));
        assert!(err(&mut m, "defaults..min_se").contains("names joined by '.'"));
        assert!(err(&mut m, "defaults.min_se.x").contains("`min_se` is an integer"));
    }
}
