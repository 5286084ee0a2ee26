//! The `rdna1-fg` tool on fixture topologies: output and exit codes.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rdna1-fg"))
        .args(args)
        .output()
        .expect("rdna1-fg runs")
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn status_lists_nodes_and_the_selected_bank() {
    let o = run(&["status", "--root", &fixture("navi10-rx5700xt")]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("node 1: vendor_id 0x1002 device_id 0x731f (selected)"),
        "{out}"
    );
    assert!(
        out.contains("node 0: vendor_id 0x0000 device_id 0x0000\n"),
        "{out}"
    );
    assert!(
        out.contains("node 1 bank 0: FB_PUBLIC size 8573157376 flags 0x0: HOT_PLUGGABLE not set"),
        "{out}"
    );
}

#[test]
fn verify_passes_once_patched_and_fails_before() {
    let before = run(&["verify", "--root", &fixture("navi10-rx5700xt")]);
    assert_eq!(before.status.code(), Some(1));
    assert!(stdout(&before).contains("verify: FAILED: 1 bank(s) without HOT_PLUGGABLE"));
    let after = run(&["verify", "--root", &fixture("navi10-rx5700xt-patched")]);
    assert_eq!(after.status.code(), Some(0));
    assert!(stdout(&after).contains("verify: OK"));
}

#[test]
fn verify_fails_when_nothing_is_selected() {
    let o = run(&["verify", "--root", &fixture("navi14-rx5500xt")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("0 bank(s) selected"));
}

#[test]
fn verify_with_cpu_rule_and_damaged_banks() {
    let o = run(&[
        "verify",
        "--root",
        &fixture("navi10-rx5700xt"),
        "--device-id",
        "0",
        "--heap-mask",
        "0x1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("(SYSTEM included: test setting)"));
    // A damaged bank is refused by the walk: it never reaches the visitor.
    let o = run(&["verify", "--root", &fixture("navi10-damaged")]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.contains("node 1 bank 0: unreadable: no 'flags' line"),
        "{out}"
    );
    assert!(
        out.contains("0 bank(s) selected: 0 with HOT_PLUGGABLE (0x1), 0 without, 1 unreadable"),
        "{out}"
    );
    assert!(!out.contains("node 1 bank 0: FB_PUBLIC"), "{out}");
}

#[test]
fn bad_arguments_say_why() {
    for (args, why) in [
        (
            vec!["status", "--device-id", "0x10000"],
            "invalid device_id=0x10000",
        ),
        (vec!["status", "--heap-mask", "0"], "invalid heap_mask=0x0"),
        (vec!["frobnicate"], "unknown command 'frobnicate'"),
        (vec!["status", "--root"], "--root needs a value"),
        (
            vec!["status", "--root", "/nonexistent"],
            "no KFD topology at /nonexistent",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(why), "{args:?}: {err}");
    }
}
