// SPDX-License-Identifier: GPL-2.0

//! Build-input checks: a kernel tree with the Rust build artifacts, and the
//! kernel's own rustc.
//!
//! These are the facts `rdna1-fg-prepare-kernel --check` decides, and the
//! script stays their one implementation: DKMS's kernel hook and users run
//! it where the tool may not be installed (it is in `rdna1-fg-dkms`, the
//! tool in `rdna1-fg`), and it already knows the Debian paths, the marker
//! of a prepared tree and the apt side. So `doctor` runs it through the
//! command seam with `--machine` and reads its `KEY=value` lines, rather
//! than repeating the checks here.

use super::system::RunError;
use super::{Check, Ctx};
use std::collections::BTreeMap;

/// The script.
pub const PREPARE: &str = "rdna1-fg-prepare-kernel";

/// What `rdna1-fg-prepare-kernel --check --machine` said.
#[derive(Debug, Default)]
pub struct BuildFacts {
    /// `KEY=value` lines.
    pub values: BTreeMap<String, String>,
}

impl BuildFacts {
    /// Parses its output: `KEY=value` per line, the value the rest of the
    /// line. (Its exit code says the same as `tree_state`.)
    pub fn parse(stdout: &str) -> Self {
        let values = stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.to_string()))
            .collect();
        Self { values }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Whether a tree is there, or can be made.
    pub fn tree_state(&self) -> Option<&str> {
        self.get("tree_state")
    }
}

/// The build-input checks; returns the script's facts for the DKMS checks.
pub fn checks(ctx: &Ctx<'_>, out: &mut Vec<Check>) -> BuildFacts {
    let rel = ctx.release.as_str();
    let result = ctx.system.run(PREPARE, &["--check", "--machine", rel]);
    let stdout = match result {
        Ok(o) if o.stdout.contains("tree_state=") => o.stdout,
        Ok(o) => {
            let why = format!(
                "{PREPARE} --check --machine printed no facts (exit {}): {}",
                o.code,
                first_line(&o.stderr)
            );
            out.push(Check::skip("build.tree", why.clone()).fix("sudo apt install rdna1-fg-dkms"));
            out.push(Check::skip("build.rustc", why));
            return BuildFacts::default();
        }
        Err(e) => {
            let why = match e {
                RunError::NotInstalled => {
                    format!("{PREPARE} is not installed (package rdna1-fg-dkms)")
                }
                RunError::Failed(e) => e,
            };
            out.push(Check::skip("build.tree", why.clone()).fix("sudo apt install rdna1-fg-dkms"));
            out.push(Check::skip("build.rustc", why));
            return BuildFacts::default();
        }
    };
    let facts = BuildFacts::parse(&stdout);
    out.push(tree(rel, &facts));
    out.push(rustc(rel, &facts));
    facts
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

fn tree(rel: &str, facts: &BuildFacts) -> Check {
    let id = "build.tree";
    let dir = facts.get("tree").unwrap_or("?");
    let problem = facts.get("problem").unwrap_or("no reason given");
    match facts.tree_state() {
        Some("prepared") => Check::ok(id, format!("{dir}: prepared with the Rust build artifacts")),
        Some("not-needed") => Check::ok(id, format!("{dir} has the Rust build artifacts")),
        Some("ready") => Check::warn(
            id,
            "no tree with the Rust build artifacts yet, but everything to make one is installed",
        )
        .fix(format!("sudo {PREPARE} {rel}"))
        .fix(format!("sudo dkms autoinstall -k {rel}")),
        Some("no-rust") => Check::fail(id, problem.to_string()).fix(super::kernel::RUST_KERNEL),
        _ => Check::fail(id, format!("cannot prepare a tree: {problem}"))
            .fix(format!(
                "{PREPARE} --what-to-install {rel}  (then install what it lists)"
            ))
            .fix(format!("sudo {PREPARE} {rel}"))
            .fix(format!("sudo dkms autoinstall -k {rel}")),
    }
}

fn rustc(rel: &str, facts: &BuildFacts) -> Check {
    let id = "build.rustc";
    let have = facts.get("rustc").unwrap_or("none");
    match (facts.get("rustc_state"), facts.get("kernel_rustc")) {
        (Some("ok"), Some(want)) => Check::ok(id, format!("{want}, the kernel's")),
        (Some("mismatch"), Some(want)) => Check::fail(
            id,
            format!("the kernel was built with '{want}', rustc here is '{have}': the module would not load"),
        )
        .fix(format!("{PREPARE} --what-to-install {rel}  (then install the rustc it lists)"))
        .fix(format!("sudo dkms autoinstall -k {rel}")),
        _ => Check::skip(
            id,
            format!("the kernel's rustc is unknown without its config (rustc here: {have})"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::State;

    #[test]
    fn the_scripts_facts_parse() {
        let f = BuildFacts::parse(
            "release=7.3.4+deb13-amd64\ntree=/var/lib/rdna1_fg/kbuild/7.3.4+deb13-amd64\ntree_state=missing\nproblem=no /usr/src/linux-source-7.3.tar.xz: install linux-source-7.3\nkernel_rustc=rustc 1.85.1 (4eb161250 2025-03-15) (built from a source tarball)\nrustc=rustc 1.85.1 (4eb161250 2025-03-15) (built from a source tarball)\nrustc_state=ok\n",
        );
        assert_eq!(f.tree_state(), Some("missing"));
        let t = tree("7.3.4+deb13-amd64", &f);
        assert_eq!(t.state, State::Fail);
        assert!(
            t.message.contains("install linux-source-7.3"),
            "{}",
            t.message
        );
        assert_eq!(rustc("r", &f).state, State::Ok);
    }

    #[test]
    fn the_script_itself_prints_the_facts() {
        // The real script, on a prepared tree made here: the keys doctor reads.
        let dir = std::env::temp_dir().join(format!("rdna1-fg-build-{}", std::process::id()));
        let tree = dir.join("9.9.9-test");
        std::fs::create_dir_all(&tree).unwrap();
        std::fs::write(
            tree.join(".config"),
            "CONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT=\"rustc 0.0.0-none\"\n",
        )
        .unwrap();
        std::fs::write(tree.join(".rdna1_fg-prepared"), "").unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/rdna1-fg-prepare-kernel"
        );
        let out = std::process::Command::new(script)
            .args(["--check", "--machine", "9.9.9-test"])
            .env("RDNA1_FG_KBUILD_BASE", &dir)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(out.status.code(), Some(0));
        let f = BuildFacts::parse(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(f.tree_state(), Some("prepared"));
        assert_eq!(f.get("kernel_rustc"), Some("rustc 0.0.0-none"));
        assert_eq!(f.get("rustc_state"), Some("mismatch"));
        assert_eq!(rustc("9.9.9-test", &f).state, State::Fail);
    }
}
