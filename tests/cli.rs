//! The `rdna1-fg` tool on fixture topologies: the facts its output must
//! state, whatever its layout (the exact text is in tests/golden/).

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rdna1-fg"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("rdna1-fg runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

const NOT_LOADED: [&str; 4] = [
    "--sys-module-dir",
    "tests/no-such-module",
    "--debugfs-status",
    "tests/no-such-status",
];

fn status(fixture: &str, module: &[&str], json: bool) -> Output {
    let root = format!("tests/fixtures/{fixture}");
    let mut args = vec!["status", "--root", &root];
    args.extend(module);
    if json {
        args.push("--json");
    }
    run(&args)
}

fn module_case(case: &str) -> [String; 4] {
    [
        "--sys-module-dir".into(),
        format!("tests/module/{case}/sys_module/rdna1_fg"),
        "--debugfs-status".into(),
        format!("tests/module/{case}/status"),
    ]
}

#[test]
fn status_names_the_gpu_and_decodes_the_bank() {
    let o = status("navi10-rx5700xt", &NOT_LOADED, false);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for fact in [
        "node 1: GPU 1002:731f (Navi 10, RDNA1), PCI 0000:03:00.0, gfx_target_version 100100 (gfx1010), selected",
        "AMD Radeon RX 5700 XT",
        "  bank 0: FB_PUBLIC, 7.98 GiB, flags 0x0 (none), selected",
        "module rdna1_fg: not loaded",
        "node 1 (Navi 10): HOT_PLUGGABLE not set on any selected bank (0 of 1); rdna1_fg is not loaded",
    ] {
        assert!(out.contains(fact), "{fact}\n{out}");
    }
}

#[test]
fn status_decodes_named_and_unknown_flag_bits() {
    let o = status("navi10-preset-bits", &NOT_LOADED, false);
    let out = stdout(&o);
    assert!(out.contains("flags 0x1 (HOT_PLUGGABLE)"), "{out}");
    assert!(out.contains("flags 0x2 (NON_VOLATILE)"), "{out}");
    let j = json(&status("navi10-preset-bits", &NOT_LOADED, true));
    assert_eq!(j["verdicts"][0]["verdict"], "flag_partly_set");
}

#[test]
fn status_reads_the_module_status_file_generically() {
    let active = module_case("active");
    let j = json(&status(
        "navi10-rx5700xt-patched",
        &active.each_ref().map(String::as_str),
        true,
    ));
    let module = &j["module"];
    assert_eq!(module["loaded"], true);
    assert_eq!(module["status"]["fields"]["state"], "active");
    assert_eq!(
        module["status"]["patched_banks"][0],
        "node 1 bank 0 FB_PUBLIC flags before 0x0 now 0x1"
    );
    assert_eq!(j["nodes"][1]["banks"][0]["patched_by_module"], true);
    assert_eq!(j["verdicts"][0]["verdict"], "flag_set");

    let future = module_case("future-format");
    let j = json(&status(
        "navi10-rx5700xt-patched",
        &future.each_ref().map(String::as_str),
        true,
    ));
    let file = &j["module"]["status"];
    assert_eq!(file["fields"]["gate"], "open, epoch 4");
    assert_eq!(
        file["lists"]["refusals"][0],
        "node 2 bank 0: layout check failed at flags"
    );
    assert_eq!(file["other_lines"][0], "state: a repeated key");

    let garbage = module_case("garbage");
    let o = status(
        "navi10-rx5700xt-patched",
        &garbage.each_ref().map(String::as_str),
        false,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("not in a format this tool knows"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn status_says_what_it_could_not_read() {
    let missing = module_case("no-status-file");
    let o = status(
        "navi10-rx5700xt-patched",
        &missing.each_ref().map(String::as_str),
        false,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("module status (tests/module/no-status-file/status): not found"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn malformed_files_are_named_with_their_line() {
    let o = status("navi10-malformed", &NOT_LOADED, false);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for fact in [
        "tests/fixtures/navi10-malformed/nodes/1/mem_banks/0/properties: line 3: 'flags' is not a number of its size",
        "tests/fixtures/navi10-malformed/nodes/1/mem_banks/1/properties: line 4: a line is not 'name value'",
        "tests/fixtures/navi10-malformed/nodes/2/properties: line 2: not UTF-8 text",
    ] {
        assert!(out.contains(fact), "{fact}\n{out}");
    }
    let v = run(&[
        "verify",
        "--root",
        "tests/fixtures/navi10-malformed",
        "--json",
    ]);
    assert_eq!(v.status.code(), Some(2));
    let j = json(&v);
    assert_eq!(j["result"], "unreadable");
    assert_eq!(j["unreadable"][0]["line"], 3);
}

#[test]
fn verify_passes_once_patched_and_fails_before() {
    let before = run(&["verify", "--root", "tests/fixtures/navi10-rx5700xt"]);
    assert_eq!(before.status.code(), Some(1));
    assert!(stdout(&before).contains("verify: FAILED: 1 bank(s) without HOT_PLUGGABLE"));
    let after = run(&["verify", "--root", "tests/fixtures/navi10-rx5700xt-patched"]);
    assert_eq!(after.status.code(), Some(0));
    assert!(stdout(&after).contains("verify: OK"));
    let j = json(&run(&[
        "verify",
        "--root",
        "tests/fixtures/navi10-rx5700xt-patched",
        "--json",
    ]));
    assert_eq!(j["result"], "ok");
    assert_eq!(j["exit_code"], 0);
}

#[test]
fn verify_fails_when_nothing_is_selected() {
    let o = run(&["verify", "--root", "tests/fixtures/navi14-rx5500xt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("verify: FAILED: no bank selected"));
}

#[test]
fn verify_with_cpu_rule_and_damaged_banks() {
    let o = run(&[
        "verify",
        "--root",
        "tests/fixtures/navi10-rx5700xt",
        "--device-id",
        "0",
        "--heap-mask",
        "0x1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("(SYSTEM included: test setting)"));
    let o = run(&["verify", "--root", "tests/fixtures/navi10-damaged"]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.contains("unreadable: tests/fixtures/navi10-damaged/nodes/1/mem_banks/0/properties: no 'flags' line"),
        "{out}"
    );
    assert!(!out.contains("node 1 bank 0: FB_PUBLIC"), "{out}");
}

#[test]
fn bad_arguments_say_why_on_stderr() {
    for (args, why) in [
        (
            vec!["status", "--device-id", "0x10000"],
            "invalid device_id=0x10000",
        ),
        (vec!["status", "--heap-mask", "0"], "invalid heap_mask=0x0"),
        (vec!["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        (
            vec!["status", "--root"],
            "a value is required for '--root <DIR>'",
        ),
        (
            vec!["status", "--root", "/nonexistent"],
            "no KFD topology at /nonexistent",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn help_and_version_go_to_stdout_and_succeed() {
    for args in [
        vec!["--help"],
        vec!["status", "--help"],
        vec!["--version"],
        vec!["verify", "-h"],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(!o.stdout.is_empty() && o.stderr.is_empty(), "{args:?}");
    }
}
