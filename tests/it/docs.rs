//! The README's tables that code generates stay in step with the code.

use sstsim::experiment::metrics::{markdown_table, node_markdown_table};

/// Checks (or with SSTSIM_BLESS, rewrites) the README text between the
/// markers `<!-- <what> table: generated … -->` and `<!-- <what>:end -->`.
fn check(what: &str, want: &str) {
    let begin = format!(
        "<!-- {what} table: generated from src/experiment/metrics.rs; tests/it/docs.rs checks it -->\n"
    );
    let end_marker = format!("<!-- {what}:end -->\n");
    let path = format!("{}/README.md", env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let start = readme
        .find(&begin)
        .unwrap_or_else(|| panic!("the README marks the {what} table"))
        + begin.len();
    let end = start
        + readme[start..]
            .find(&end_marker)
            .expect("the table's end marker");
    if std::env::var_os("SSTSIM_BLESS").is_some() {
        let text = format!("{}{want}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, text).expect("write README.md");
        return;
    }
    assert_eq!(
        &readme[start..end],
        want,
        "README.md's {what} table differs from src/experiment/metrics.rs; regenerate it with SSTSIM_BLESS=1 cargo test readme"
    );
}

#[test]
fn readme_metric_tables_are_the_metric_tables() {
    check("metrics", &markdown_table());
    check("nodes", &node_markdown_table());
}
