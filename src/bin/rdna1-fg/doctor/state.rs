// SPDX-License-Identifier: GPL-2.0

//! State checks: whether rdna1_fg is loaded, and, as root, its debugfs
//! status file (state, parameters, last error, counters), parsed by
//! [`crate::module_status`] like `rdna1-fg status` does.

use super::{Check, Ctx};
use crate::module_status::{self, StatusFile};

/// The module's sysfs directory.
const SYS_MODULE: &str = "/sys/module/rdna1_fg";

/// Its status file.
const STATUS: &str = "/sys/kernel/debug/rdna1_fg/status";

/// What the state checks found for the checks after them.
#[derive(Debug, Default)]
pub struct Found {
    /// Whether the module is loaded (`None`: not about the running kernel).
    pub loaded: Option<bool>,
    /// The parameters line of the status file (`device_id=0x731f ...`),
    /// when it was read.
    pub parameters: Option<String>,
}

/// The state checks. `has_module`: a module file for the kernel was found
/// (else loading it is not the fix yet).
pub fn checks(ctx: &Ctx<'_>, has_module: bool, out: &mut Vec<Check>) -> Found {
    let ids = [
        "state.loaded",
        "state.status",
        "state.last_error",
        "state.counters",
    ];
    if !ctx.is_running() {
        out.extend(ids.map(|id| ctx.not_running(id)));
        return Found::default();
    }
    let info = module_status::read(&ctx.root.path(SYS_MODULE), &ctx.root.path(STATUS));
    let amdgpu = ctx.root.is_dir("/sys/module/amdgpu");
    out.push(if !info.loaded && !has_module {
        Check::fail(
            "state.loaded",
            "rdna1_fg is not loaded, and there is no module file to load",
        )
        .fix("first the DKMS checks above, then: sudo modprobe rdna1_fg")
    } else if info.loaded {
        Check::ok(
            "state.loaded",
            format!(
                "rdna1_fg is loaded ({})",
                info.initstate.as_deref().unwrap_or("state unknown")
            ),
        )
    } else if amdgpu {
        Check::fail("state.loaded", "rdna1_fg is not loaded (amdgpu is)")
            .fix("sudo modprobe rdna1_fg")
    } else {
        Check::fail("state.loaded", "neither rdna1_fg nor amdgpu is loaded")
            .fix("sudo modprobe amdgpu  (the softdep brings rdna1_fg along)")
    });
    if !info.loaded {
        out.extend(
            ids[1..]
                .iter()
                .map(|&id| Check::skip(id, "rdna1_fg is not loaded")),
        );
        return Found {
            loaded: Some(false),
            parameters: None,
        };
    }
    if !ctx.as_root {
        out.extend(
            ids[1..]
                .iter()
                .map(|&id| ctx.needs_root(id, "the status file is readable by root only")),
        );
        return Found {
            loaded: Some(true),
            parameters: None,
        };
    }
    let Some(status) = info.status.as_ref().filter(|s| s.recognised) else {
        let why = info
            .status_error
            .unwrap_or_else(|| "no line of it is understood".to_string());
        out.extend(
            ids[1..]
                .iter()
                .map(|&id| Check::skip(id, format!("{STATUS}: {why}"))),
        );
        return Found {
            loaded: Some(true),
            parameters: None,
        };
    };
    out.push(state(status));
    out.push(last_error(status));
    out.push(counters(status));
    Found {
        loaded: Some(true),
        parameters: field(status, "parameters")
            .map(|p| p.trim_start_matches("KFD: RDNA1 rule: ").to_string()),
    }
}

fn field<'a>(status: &'a StatusFile, key: &str) -> Option<&'a str> {
    status
        .fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn state(status: &StatusFile) -> Check {
    let id = "state.status";
    let state = field(status, "state").unwrap_or("unknown");
    let params = field(status, "parameters")
        .map(|p| p.trim_start_matches("KFD: RDNA1 rule: ").to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let text = format!("state {state}; parameters {params}");
    let mut check = if state == "active" {
        Check::ok(id, text)
    } else if state.starts_with("waiting") {
        Check::warn(id, text).fix("sudo modprobe amdgpu")
    } else if state.starts_with("writes blocked") {
        Check::fail(id, text).fix("echo 1 | sudo tee /sys/kernel/debug/kprobes/enabled")
    } else if state.starts_with("hooks failed") {
        Check::fail(id, text)
            .detail("see state.last_error and the kernel log")
            .fix("sudo modprobe -r rdna1_fg && sudo modprobe rdna1_fg  (after what the last error says)")
    } else {
        Check::warn(id, text).fix("sudo rdna1-fg status")
    };
    if params.split_whitespace().any(|w| w == "dry_run=1") {
        if check.state == super::State::Ok {
            check.state = super::State::Warn;
        }
        check = check
            .detail("dry_run=1: the module only logs what it would write")
            .fix("sudo modprobe -r rdna1_fg && sudo modprobe rdna1_fg dry_run=0  (and drop dry_run=1 from /etc/modprobe.d)");
    }
    check
}

fn last_error(status: &StatusFile) -> Check {
    let id = "state.last_error";
    match field(status, "last error") {
        None | Some("none") => Check::ok(id, "none"),
        Some(e) => {
            Check::warn(id, e.to_string()).fix("see the kernel log check below for what to do")
        }
    }
}

fn counters(status: &StatusFile) -> Check {
    let id = "state.counters";
    let counters = field(status, "counters").unwrap_or("unknown");
    let mut check = Check::ok(id, counters.to_string());
    for bank in &status.patched_banks {
        check = check.detail(format!("patched: {bank}"));
    }
    check
}
