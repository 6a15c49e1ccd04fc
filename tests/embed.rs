//! `examples/embed.rs` (a `PolicySet` shared by threads) prints exactly what
//! the README shows. The example is compiled into this test as a module, so
//! it is checked with the same features as the engine itself (none needed).

#[path = "../examples/embed.rs"]
#[allow(dead_code, reason = "the example's `main` is not called here")]
mod embed;

/// The ```text block that follows the README's marker line.
fn readme_output() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    let marker = "<!-- the output of examples/embed.rs, checked by tests/embed.rs -->";
    let after = readme
        .split_once(marker)
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("the README lost the marker `{marker}`"));
    let block = after
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .unwrap_or_else(|| panic!("no ```text block after the marker"));
    block.to_string()
}

#[test]
fn the_embedding_example_prints_what_the_readme_shows() {
    let lines = embed::run().unwrap_or_else(|e| panic!("{e}"));
    let printed: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(printed, readme_output());
    // The refusals name their deciding statement with its place.
    assert!(printed.contains("ExplicitDeny by kms-guarded.json NeverDisable at 10:5"));
}
