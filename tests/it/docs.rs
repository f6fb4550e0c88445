//! The README's tables that code generates stay in step with the code.

use sstsim::experiment::metrics::markdown_table;

const BEGIN: &str = "<!-- metrics table: generated from src/experiment/metrics.rs; tests/it/docs.rs checks it -->\n";
const END: &str = "<!-- metrics:end -->\n";

#[test]
fn readme_metric_table_is_the_metric_table() {
    let path = format!("{}/README.md", env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let start = readme
        .find(BEGIN)
        .expect("the README marks the metric table")
        + BEGIN.len();
    let end = start + readme[start..].find(END).expect("the table's end marker");
    let want = markdown_table();
    if std::env::var_os("SSTSIM_BLESS").is_some() {
        let text = format!("{}{want}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, text).expect("write README.md");
        return;
    }
    assert_eq!(
        &readme[start..end],
        want,
        "README.md's metric table differs from src/experiment/metrics.rs; regenerate it with SSTSIM_BLESS=1 cargo test readme"
    );
}
