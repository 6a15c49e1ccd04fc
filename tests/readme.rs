//! The README's console examples run as shown: each `$ ramgate …` line in a
//! ```console block is run with the built binary from the repository root,
//! its standard output must equal the lines that follow it, and its exit
//! status must be the one a trailing `# exits N` names (0 without one).

#![cfg(feature = "cli")]

use std::process::Command;

fn blocks(readme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut current: Option<(String, String)> = None;
    for line in readme.lines() {
        if line.trim_start().starts_with("```console") {
            in_block = true;
            continue;
        }
        if in_block && line.trim_start().starts_with("```") {
            in_block = false;
            out.extend(current.take());
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.extend(current.take());
            current = Some((cmd.to_string(), String::new()));
        } else if let Some((_, expected)) = current.as_mut() {
            expected.push_str(line);
            expected.push('\n');
        }
    }
    out
}

#[test]
fn readme_console_examples_run_as_shown() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    let examples = blocks(&readme);
    assert!(examples.len() >= 4, "the README lost its examples");
    for (line, expected) in examples {
        let (cmd, status) = match line.split_once("# exits ") {
            Some((cmd, n)) => (
                cmd.trim().to_string(),
                n.trim().parse::<i32>().unwrap_or(-1),
            ),
            None => (line.clone(), 0),
        };
        let words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(words.first(), Some(&"ramgate"), "{cmd}");
        let out = Command::new(env!("CARGO_BIN_EXE_ramgate"))
            .args(&words[1..])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout, expected,
            "output of `{cmd}` differs from the README"
        );
        assert_eq!(out.status.code(), Some(status), "exit status of `{cmd}`");
    }
}
