// SPDX-License-Identifier: GPL-2.0

//! ROCm, as facts (never `fail`): the two environment variables people
//! meet and what each really does (the text of `rdna1-fg explain`),
//! `/dev/kfd`'s permissions and whether the user may open it, the
//! installed ROCm runtime, and the plain fact that the bit does not change
//! ROCm's memory pools today.

use super::{Check, Ctx};
use crate::explain::TOPICS;

/// The facts.
pub fn checks(ctx: &Ctx<'_>, out: &mut Vec<Check>) {
    out.push(variable(
        "rocm.hsa_override_gfx_version",
        "HSA_OVERRIDE_GFX_VERSION",
    ));
    out.push(variable(
        "rocm.hsa_force_fine_grain_pcie",
        "HSA_FORCE_FINE_GRAIN_PCIE",
    ));
    out.push(kfd_device(ctx));
    out.push(runtime(ctx));
    out.push(pools());
}

/// The paragraphs of an `explain` topic.
fn topic(id: &str) -> Vec<String> {
    TOPICS
        .iter()
        .filter(|t| t.id == id)
        .flat_map(|t| t.text.iter().map(|p| p.to_string()))
        .collect()
}

fn variable(id: &'static str, name: &str) -> Check {
    let set: Vec<String> = std::env::vars()
        .filter(|(k, _)| k == name || k.strip_prefix(name).is_some_and(|r| r.starts_with('_')))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let message = if set.is_empty() {
        format!("{name} is not set")
    } else {
        set.join(", ")
    };
    let mut check = Check::ok(id, message);
    check.details = topic(name);
    check
}

/// Group name of a gid, from /etc/group.
fn group_name(ctx: &Ctx<'_>, gid: u32) -> Option<String> {
    let groups = ctx.root.read("/etc/group").ok()?;
    groups.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 3 && f[2].parse() == Ok(gid)).then(|| f[0].to_string())
    })
}

/// The user's name and primary gid, from /etc/passwd.
fn user(ctx: &Ctx<'_>) -> Option<(String, u32)> {
    let passwd = ctx.root.read("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 4 && f[2].parse() == Ok(ctx.uid))
            .then(|| Some((f[0].to_string(), f[3].parse().ok()?)))?
    })
}

/// Whether `user` is a member of group `gid` per /etc/group.
fn member(ctx: &Ctx<'_>, user: &str, gid: u32) -> bool {
    ctx.root.read("/etc/group").is_ok_and(|groups| {
        groups.lines().any(|l| {
            let f: Vec<&str> = l.split(':').collect();
            f.len() >= 4 && f[2].parse() == Ok(gid) && f[3].split(',').any(|m| m == user)
        })
    })
}

fn kfd_device(ctx: &Ctx<'_>) -> Check {
    let id = "rocm.kfd_access";
    if !ctx.root.exists("/dev/kfd") {
        return Check::warn(id, "no /dev/kfd: ROCm cannot run (amdgpu not loaded?)")
            .fix("sudo modprobe amdgpu");
    }
    let Some(stat) = ctx.system.stat("/dev/kfd") else {
        return Check::skip(id, "/dev/kfd's owner and mode are unknown");
    };
    let group = group_name(ctx, stat.gid).unwrap_or_else(|| stat.gid.to_string());
    let perms = format!("/dev/kfd mode {:o}, group {group}", stat.mode);
    if ctx.as_root {
        return Check::ok(id, format!("{perms}; root may open it"));
    }
    if stat.mode & 0o006 == 0o006 {
        return Check::ok(id, format!("{perms}; everyone may open it"));
    }
    let who = user(ctx);
    let name = who
        .as_ref()
        .map_or_else(|| format!("uid {}", ctx.uid), |(n, _)| n.clone());
    let in_group = who
        .as_ref()
        .is_some_and(|(n, primary)| *primary == stat.gid || member(ctx, n, stat.gid));
    if stat.uid == ctx.uid && stat.mode & 0o600 == 0o600 {
        Check::ok(id, format!("{perms}; {name} owns it"))
    } else if in_group && stat.mode & 0o060 == 0o060 {
        Check::ok(
            id,
            format!("{perms}; {name} is in group {group} (per /etc/group)"),
        )
    } else {
        Check::warn(
            id,
            format!("{perms}; {name} is not in group {group}: ROCm programs cannot open it"),
        )
        .fix(format!(
            "sudo usermod -aG {group} {name}  (then log in again)"
        ))
    }
}

/// Debian's package of the ROCm runtime (ROCr).
const RUNTIME_PACKAGE: &str = "libhsa-runtime64-1";

fn runtime(ctx: &Ctx<'_>) -> Check {
    let id = "rocm.runtime";
    if let Ok(v) = ctx.root.read("/opt/rocm/.info/version") {
        return Check::ok(id, format!("ROCm {} (/opt/rocm)", v.trim()));
    }
    // dpkg's own query, not its database files (their format is dpkg's
    // business).
    let packaged = ctx
        .system
        .run(
            "dpkg-query",
            &[
                "--show",
                "--showformat=${db:Status-Status} ${Version}",
                RUNTIME_PACKAGE,
            ],
        )
        .ok()
        .filter(|o| o.code == 0)
        .and_then(|o| {
            o.stdout
                .trim()
                .strip_prefix("installed ")
                .map(str::to_string)
        });
    match packaged {
        Some(v) => Check::ok(id, format!("Debian's ROCm runtime, libhsa-runtime64-1 {v}")),
        None => Check::ok(
            id,
            "no ROCm runtime found (/opt/rocm/.info/version, libhsa-runtime64-1)",
        ),
    }
}

fn pools() -> Check {
    let mut check = Check::ok(
        "rocm.pools",
        "the bit does not change ROCm's memory pools today: no ROCm code reads it",
    );
    check.details = topic("does-not-change");
    check
}
