//! The CI kernel targets: ci/targets/ names suites and flavours, never
//! versions (they are resolved against the archive at run time), the default
//! list names existing targets, and the compatibility table of
//! docs/testing.md names exactly those targets (ci/compat-table.sh --check).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn target_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("ci/targets"))
        .expect("ci/targets")
        .map(|e| e.expect("ci/targets entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "env"))
        .collect();
    files.sort();
    files
}

/// A version number: a digit, a dot, a digit (7.2, 1.85.1, 7.3~rc7 all match).
fn has_version(line: &str) -> bool {
    line.as_bytes()
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit())
}

fn settings(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[test]
fn targets_name_no_versions() {
    let files = target_files();
    assert!(files.len() >= 2, "ci/targets has {} targets", files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in settings(&text) {
            assert!(
                !has_version(line),
                "{}: '{line}' names a version; a target names a suite and a flavour",
                file.display()
            );
        }
        for key in ["SUITE=", "FLAVOUR="] {
            assert!(
                settings(&text).any(|l| l.starts_with(key)),
                "{} sets no {key}",
                file.display()
            );
        }
    }
}

#[test]
fn version_detection() {
    assert!(has_version("KPKG_VERSION=7.2.13-1"));
    assert!(has_version("rustc=1.85.1+dfsg1-1"));
    assert!(!has_version("FLAVOUR=rt-amd64"));
    assert!(!has_version("EXTRA_SUITES=\"trixie-backports\""));
}

#[test]
fn default_list_names_targets() {
    let list = std::fs::read_to_string(root().join("ci/targets/default.list")).unwrap();
    let names: Vec<&str> = settings(&list).collect();
    assert!(!names.is_empty(), "ci/targets/default.list is empty");
    for name in names {
        assert!(
            root().join(format!("ci/targets/{name}.env")).is_file(),
            "ci/targets/default.list names {name}, which has no ci/targets/{name}.env"
        );
    }
}

#[test]
fn compat_table_names_the_targets() {
    let out = Command::new("bash")
        .arg(root().join("ci/compat-table.sh"))
        .arg("--check")
        .output()
        .expect("run ci/compat-table.sh");
    assert!(
        out.status.success(),
        "ci/compat-table.sh --check failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
