//! scripts/rdna1-fg-dkms-check, DKMS's pre-build check, on fake kernel
//! trees: each missing piece gives its one clear message and a failure with
//! DKMS's "skipped" code (77); a complete tree passes. Plain `make` runs the
//! same check first and stops with the same message, not Kbuild's errors.

use std::path::{Path, PathBuf};
use std::process::Command;

const REL: &str = "7.2.13+deb14-amd64";

struct Tree {
    base: PathBuf,
}

impl Tree {
    /// A prepared tree for REL under a fresh base directory.
    fn new(name: &str) -> Self {
        let base =
            std::env::temp_dir().join(format!("rdna1-fg-check-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let kdir = base.join(REL);
        std::fs::create_dir_all(kdir.join("rust")).unwrap();
        std::fs::create_dir_all(kdir.join("scripts")).unwrap();
        std::fs::write(kdir.join(".rdna1_fg-prepared"), "").unwrap();
        Self { base }
    }

    fn kdir(&self) -> PathBuf {
        self.base.join(REL)
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.kdir().join(file), text).unwrap();
    }

    fn with_artifacts(&self) {
        for f in [
            "rust/libkernel.rmeta",
            "rust/libmacros.so",
            "scripts/target.json",
        ] {
            self.write(f, "");
        }
    }

    /// Runs the check; returns (success, stderr).
    fn check(&self) -> (bool, String) {
        let (code, err) = self.check_code();
        (code == Some(0), err)
    }

    /// Runs the check; returns (exit code, stderr).
    fn check_code(&self) -> (Option<i32>, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rdna1-fg-dkms-check");
        let out = Command::new("sh")
            .arg(script)
            .arg(REL)
            .env("RDNA1_FG_KBUILD_BASE", &self.base)
            .output()
            .expect("sh runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs `make` in the checkout, as a newcomer would, for REL (what plain
    /// `make` does for the running kernel) with the given extra arguments;
    /// returns (success, stdout and stderr).
    fn make(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("make")
            .arg("-C")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .arg("--no-print-directory")
            .arg(format!("KVER={REL}"))
            .args(args)
            .env("RDNA1_FG_KBUILD_BASE", &self.base)
            // As a user's top-level `make`, also when the tests run under
            // `make test` (a sub-make would say "make[1]" and inherit flags).
            .env_remove("MAKELEVEL")
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS")
            .output()
            .expect("make runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    /// `make` stops with exactly the check's message: its two lines, then
    /// make's own one line naming the failed step, and nothing of Kbuild.
    fn assert_make_says_what_check_says(&self, args: &[&str]) {
        let (code, message) = self.check_code();
        assert_eq!(code, Some(77), "{message}");
        let (ok, out) = self.make(args);
        assert!(!ok, "{out}");
        assert!(
            out.starts_with(&message),
            "make said:\n{out}\ncheck said:\n{message}"
        );
        let rest: Vec<&str> = out[message.len()..].lines().collect();
        assert_eq!(rest.len(), 1, "{out}");
        assert!(rest[0].starts_with("make: *** [Makefile:"), "{out}");
        assert!(!out.contains("No such file or directory"), "{out}");
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn rustc_version() -> String {
    let out = Command::new("rustc")
        .arg("--version")
        .output()
        .expect("rustc runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_complete_tree_passes() {
    let t = Tree::new("complete");
    t.with_artifacts();
    t.write(
        ".config",
        &format!(
            "CONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT=\"{}\"\n",
            rustc_version()
        ),
    );
    assert_eq!(t.check(), (true, String::new()));
}

#[test]
fn missing_rust_artifacts_give_the_clear_message() {
    let t = Tree::new("no-artifacts");
    t.write(".config", "CONFIG_RUST=y\n");
    let (ok, err) = t.check();
    assert!(!ok);
    assert_eq!(
        err,
        format!(
            "rdna1_fg: cannot build for kernel {REL}: the kernel tree {} has no Rust build artifacts (rust/*.rmeta, libmacros.so, scripts/target.json; Debian's headers do not ship them)\n\
             rdna1_fg: fix: install linux-source-7.2 and run: rdna1-fg-prepare-kernel {REL} (Ubuntu: install linux-lib-rust-{REL}; self-built kernels: make KDIR=<your tree>)\n",
            t.kdir().display()
        )
    );
}

#[test]
fn a_kernel_without_rust_is_named() {
    let t = Tree::new("no-rust");
    t.with_artifacts();
    t.write(".config", "# CONFIG_RUST is not set\n");
    let (ok, err) = t.check();
    assert!(!ok);
    assert!(err.contains("is built without Rust (CONFIG_RUST)"), "{err}");
}

#[test]
fn a_different_rustc_is_named_with_both_versions() {
    let t = Tree::new("other-rustc");
    t.with_artifacts();
    t.write(".config", "CONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT=\"rustc 1.85.1 (4eb161250 2025-03-15) (built from a source tarball)\"\n");
    let (ok, err) = t.check();
    assert!(!ok);
    assert!(
        err.contains(&format!(
            "was built with 'rustc 1.85.1 (4eb161250 2025-03-15) (built from a source tarball)' but this rustc is '{}'",
            rustc_version()
        )),
        "{err}"
    );
    assert!(
        err.contains("rdna1_fg: fix: install exactly that rustc"),
        "{err}"
    );
}

#[test]
fn no_tree_at_all_points_at_the_headers() {
    let t = Tree::new("no-tree");
    std::fs::remove_file(t.kdir().join(".rdna1_fg-prepared")).unwrap();
    // Without a prepared tree the check looks at /lib/modules/REL/build.
    if Path::new(&format!("/lib/modules/{REL}/build")).exists() {
        return; // This host has that kernel's headers: nothing to show.
    }
    let (ok, err) = t.check();
    assert!(!ok);
    assert!(
        err.contains(&format!("no kernel build tree at /lib/modules/{REL}/build")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "install linux-headers-{REL}, then run: rdna1-fg-prepare-kernel {REL}"
        )),
        "{err}"
    );
}

#[test]
fn the_check_fails_with_dkms_skip_code() {
    let t = Tree::new("skip-code");
    t.write(".config", "CONFIG_RUST=y\n");
    assert_eq!(t.check_code().0, Some(77));
}

#[test]
fn make_without_rust_artifacts_prints_the_check_message() {
    let t = Tree::new("make-no-artifacts");
    t.write(".config", "CONFIG_RUST=y\n");
    t.assert_make_says_what_check_says(&[]);
}

#[test]
fn make_for_a_kernel_without_rust_prints_the_check_message() {
    let t = Tree::new("make-no-rust");
    t.with_artifacts();
    t.write(".config", "# CONFIG_RUST is not set\n");
    t.assert_make_says_what_check_says(&[]);
}

#[test]
fn make_with_another_rustc_prints_the_check_message() {
    let t = Tree::new("make-other-rustc");
    t.with_artifacts();
    t.write(
        ".config",
        "CONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT=\"rustc 1.0.0 (not this one)\"\n",
    );
    t.assert_make_says_what_check_says(&[]);
}

#[test]
fn make_without_a_kernel_tree_prints_the_check_message() {
    let t = Tree::new("make-no-tree");
    std::fs::remove_file(t.kdir().join(".rdna1_fg-prepared")).unwrap();
    if Path::new(&format!("/lib/modules/{REL}/build")).exists() {
        return; // This host has that kernel's headers: nothing to show.
    }
    t.assert_make_says_what_check_says(&[]);
    let (_, out) = t.make(&[]);
    assert!(
        out.contains(&format!("no kernel build tree at /lib/modules/{REL}/build")),
        "{out}"
    );
}

#[test]
fn make_kdir_checks_that_tree() {
    let t = Tree::new("make-kdir");
    t.write(".config", "CONFIG_RUST=y\n");
    let kdir = format!("KDIR={}", t.kdir().display());
    let (ok, out) = t.make(&[&kdir]);
    assert!(!ok);
    assert!(
        out.contains(&format!(
            "the kernel tree {} has no Rust build artifacts",
            t.kdir().display()
        )),
        "{out}"
    );
    assert!(!out.contains("No such file or directory"), "{out}");
}
