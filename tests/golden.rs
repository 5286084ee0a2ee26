//! Golden-output tests of `rdna1-fg`: every subcommand, as text and JSON, on
//! every topology in `tests/fixtures/` and every module state in
//! `tests/module/`; `--help` of the tool and each subcommand; error
//! messages and exit codes.
//!
//! The expected output lives in `tests/golden/`. After an intended change,
//! regenerate it with `RDNA1_FG_BLESS=1 cargo test --test golden` and review
//! the diff. A `.txt` golden holds the exit code, stdout and stderr; a
//! `.json` golden holds stdout alone (and must parse as JSON).

#[path = "support/doctor_root.rs"]
mod doctor_root;

use std::path::{Path, PathBuf};
use std::process::Command;

const BLESS: &str = "RDNA1_FG_BLESS";

/// Module state used with every topology: not loaded.
const NO_MODULE: [&str; 4] = [
    "--sys-module-dir",
    "tests/module/absent/sys_module/rdna1_fg",
    "--debugfs-status",
    "tests/module/absent/status",
];

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the tool from the crate's directory, so that paths in its output
/// are the relative ones given here.
fn run(args: &[&str]) -> Run {
    run_in(manifest_dir(), &[], args)
}

/// Runs the tool in `dir`, with `env` added to an environment of its own
/// (nothing of the caller's: `doctor` shows some variables).
fn run_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_rdna1-fg"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("rdna1-fg runs");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// Collects mismatches, so that one run reports (or blesses) them all.
#[derive(Default)]
struct Golden {
    failures: Vec<String>,
}

impl Golden {
    fn check(&mut self, name: &str, actual: &str) {
        let path = manifest_dir().join("tests/golden").join(name);
        if std::env::var_os(BLESS).is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, actual).unwrap();
            return;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => self.failures.push(format!(
                "{name} differs\n--- expected\n{expected}\n--- actual\n{actual}"
            )),
            Err(e) => self.failures.push(format!("{name}: {e}")),
        }
    }

    /// Runs `args` as text and, if `json`, with `--json`; checks both.
    fn command(&mut self, name: &str, args: &[&str], json: bool) -> i32 {
        self.command_in(name, manifest_dir(), &[], args, json)
    }

    /// [`Self::command`], run in `dir` with `env`.
    fn command_in(
        &mut self,
        name: &str,
        dir: &Path,
        env: &[(&str, &str)],
        args: &[&str],
        json: bool,
    ) -> i32 {
        let run = |args: &[&str]| run_in(dir, env, args);
        let text = run(args);
        let shown = format!(
            "$ rdna1-fg {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            args.join(" "),
            text.code,
            text.stdout,
            text.stderr
        );
        self.check(&format!("{name}.txt"), &shown);
        if json {
            let mut with_json = args.to_vec();
            with_json.push("--json");
            let j = run(&with_json);
            assert_eq!(j.code, text.code, "{name}: same exit code with --json");
            if j.code != 2 || !j.stdout.is_empty() {
                serde_json_check(name, &j.stdout);
            }
            self.check(&format!("{name}.json"), &j.stdout);
        }
        text.code
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} golden file(s) differ (set {BLESS}=1 to regenerate):\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// The JSON output parses, with nothing after it.
fn serde_json_check(name: &str, text: &str) {
    let value: Result<serde_json::Value, _> = serde_json::from_str(text);
    assert!(value.is_ok(), "{name}: not JSON: {text}");
}

fn subdirs(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(manifest_dir().join(dir))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn status_and_verify_on_every_fixture() {
    let mut golden = Golden::default();
    let fixtures = subdirs("tests/fixtures");
    assert!(fixtures.len() >= 8, "{fixtures:?}");
    for fixture in &fixtures {
        let root = format!("tests/fixtures/{fixture}");
        let mut status = vec!["status", "--root", &root];
        status.extend(NO_MODULE);
        assert_eq!(
            golden.command(&format!("{fixture}/status"), &status, true),
            0
        );
        let code = golden.command(
            &format!("{fixture}/verify"),
            &["verify", "--root", &root],
            true,
        );
        assert!((0..=2).contains(&code), "{fixture}: verify exit {code}");
    }
    golden.finish();
}

#[test]
fn status_with_every_module_state() {
    let mut golden = Golden::default();
    let mut cases = subdirs("tests/module");
    cases.insert(0, "absent".to_string());
    for case in &cases {
        let dir = format!("tests/module/{case}/sys_module/rdna1_fg");
        let file = format!("tests/module/{case}/status");
        let args = [
            "status",
            "--root",
            "tests/fixtures/navi10-rx5700xt-patched",
            "--sys-module-dir",
            &dir,
            "--debugfs-status",
            &file,
        ];
        assert_eq!(
            golden.command(&format!("module-{case}/status"), &args, true),
            0
        );
    }
    golden.finish();
}

#[test]
fn doctor_on_every_fixture_root() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("doctor-roots");
    let mut golden = Golden::default();
    for case in doctor_root::cases() {
        doctor_root::build(&case, &dir);
        let uid = case.uid.to_string();
        let args = ["doctor", "--root", case.name, "--uid", &uid];
        let code = golden.command_in(
            &format!("doctor/{}", case.name),
            &dir,
            case.env,
            &args,
            true,
        );
        assert_eq!(code, case.exit, "{}", case.name);
    }
    golden.finish();
}

#[test]
fn doctor_cannot_run() {
    let mut golden = Golden::default();
    let cases: [(&str, &[&str]); 3] = [
        (
            "doctor-no-root-dir",
            &["doctor", "--root", "tests/no-such-dir"],
        ),
        ("doctor-no-release", &["doctor", "--root", "tests/fixtures"]),
        (
            "doctor-bad-release",
            &["doctor", "--root", "tests/fixtures", "--kernel", "../x"],
        ),
    ];
    for (name, args) in cases {
        assert_eq!(
            golden.command(&format!("errors/{name}"), args, false),
            2,
            "{name}"
        );
    }
    golden.finish();
}

#[test]
fn explain_text_and_json() {
    let mut golden = Golden::default();
    assert_eq!(golden.command("explain", &["explain"], true), 0);
    golden.finish();
}

#[test]
fn help_of_the_tool_and_each_subcommand() {
    let mut golden = Golden::default();
    for (name, args) in [
        ("rdna1-fg", vec!["--help"]),
        ("status", vec!["status", "--help"]),
        ("verify", vec!["verify", "--help"]),
        ("explain", vec!["explain", "--help"]),
        ("doctor", vec!["doctor", "--help"]),
        ("generate", vec!["generate", "--help"]),
    ] {
        assert_eq!(golden.command(&format!("help/{name}"), &args, false), 0);
    }
    golden.finish();
}

#[test]
fn errors_and_their_exit_codes() {
    let mut golden = Golden::default();
    let cases: [(&str, &[&str], i32); 8] = [
        (
            "no-topology-status",
            &["status", "--root", "tests/no-such-dir"],
            2,
        ),
        (
            "no-topology-verify",
            &["verify", "--root", "tests/no-such-dir", "--json"],
            2,
        ),
        (
            "device-id-too-large",
            &["verify", "--device-id", "0x10000"],
            2,
        ),
        ("heap-mask-empty", &["status", "--heap-mask", "0"], 2),
        ("not-a-number", &["verify", "--device-id", "abc"], 2),
        ("unknown-subcommand", &["frobnicate"], 2),
        ("missing-value", &["status", "--root"], 2),
        ("no-subcommand", &[], 2),
    ];
    for (name, args, code) in cases {
        assert_eq!(
            golden.command(&format!("errors/{name}"), args, false),
            code,
            "{name}"
        );
    }
    golden.finish();
}

#[test]
fn version_is_the_project_version() {
    let out = run(&["--version"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        format!("rdna1-fg {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn every_exit_code_of_verify() {
    for (fixture, code) in [
        ("navi10-rx5700xt-patched", 0),
        ("navi10-rx5700xt", 1),
        ("navi14-rx5500xt", 2),
        ("navi10-damaged", 2),
        ("navi10-malformed", 2),
    ] {
        let out = run(&["verify", "--root", &format!("tests/fixtures/{fixture}")]);
        assert_eq!(out.code, code, "{fixture}: {}{}", out.stdout, out.stderr);
    }
}

#[test]
fn man_pages_and_completions_generate() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("generated");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir_arg = dir.to_str().unwrap();
    let out = run(&["generate", "man", "--out", dir_arg]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for page in [
        "rdna1-fg",
        "rdna1-fg-status",
        "rdna1-fg-verify",
        "rdna1-fg-explain",
        "rdna1-fg-doctor",
    ] {
        let text = std::fs::read_to_string(dir.join(format!("{page}.1"))).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH"),
            "{page}.1: {text}"
        );
        assert!(text.contains(&format!(".TH {page}")), "{page}.1 title");
    }
    assert!(
        !dir.join("rdna1-fg-generate.1").exists(),
        "hidden subcommand has no page"
    );
    let main_page = std::fs::read_to_string(dir.join("rdna1-fg.1")).unwrap();
    assert!(main_page.contains("Exit codes"), "{main_page}");
    for (shell, file) in [
        ("bash", "rdna1-fg.bash"),
        ("zsh", "_rdna1-fg"),
        ("fish", "rdna1-fg.fish"),
    ] {
        let out = run(&["generate", "completions", shell, "--out", dir_arg]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(text.contains("status") && text.contains("verify"), "{file}");
        let stdout = run(&["generate", "completions", shell]);
        assert_eq!(stdout.stdout, text, "{shell}: stdout and file agree");
    }
    let man_stdout = run(&["generate", "man"]);
    assert_eq!(man_stdout.stdout, main_page);
}

#[test]
fn tool_documentation_shows_the_real_output() {
    let doc = std::fs::read_to_string(manifest_dir().join("docs/rdna1-fg.md")).unwrap();
    for args in [
        &[
            "status",
            "--root",
            "tests/fixtures/navi10-rx5700xt-patched",
            "--sys-module-dir",
            "tests/module/active/sys_module/rdna1_fg",
            "--debugfs-status",
            "tests/module/active/status",
        ][..],
        &["verify", "--root", "tests/fixtures/navi10-rx5700xt-patched"],
        &["verify", "--root", "tests/fixtures/navi10-rx5700xt"],
        &["explain"],
    ] {
        let out = run(args);
        assert!(
            doc.contains(&out.stdout),
            "docs/rdna1-fg.md lacks the output of rdna1-fg {}:\n{}",
            args.join(" "),
            out.stdout
        );
    }
}

/// The README's `rdna1-fg doctor` example is the real output on the
/// healthy fixture: every line of it appears in the golden output, in order
/// (the README leaves some detail lines out).
#[test]
fn readme_shows_real_doctor_output() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let golden =
        std::fs::read_to_string(manifest_dir().join("tests/golden/doctor/healthy.txt")).unwrap();
    let start = readme
        .find("$ sudo rdna1-fg doctor\n")
        .expect("README.md has a `$ sudo rdna1-fg doctor` example");
    let block = &readme[start..];
    let block = &block[..block.find("```").expect("the example's block ends")];
    let mut rest = golden.lines();
    let mut shown = 0;
    for line in block.lines().skip(1) {
        assert!(
            rest.any(|g| g == line),
            "README.md's doctor example has a line not in tests/golden/doctor/healthy.txt (or out of order): {line:?}"
        );
        shown += 1;
    }
    assert!(
        shown > 20,
        "the README's doctor example is too short ({shown} lines)"
    );
}
