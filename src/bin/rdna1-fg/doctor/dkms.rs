// SPDX-License-Identifier: GPL-2.0

//! DKMS checks: `rdna1_fg` installed by DKMS for the kernel
//! (`/var/lib/dkms/rdna1_fg`), the `.ko` that `modprobe` would load
//! (`modules.dep`), and that its vermagic is this kernel's.
//!
//! DKMS's own tree says it all: `VERSION/source` once the module is added,
//! `VERSION/RELEASE/ARCH/module/` once built, and the symlink
//! `kernel-RELEASE-ARCH` once installed. Reading it needs no `dkms status`.

use super::build::{BuildFacts, PREPARE};
use super::ko::{self, ModuleFile, MAX_MODULE_BYTES};
use super::{Check, Ctx};

/// DKMS's tree of the module.
pub const DKMS_DIR: &str = "/var/lib/dkms/rdna1_fg";

/// The module's file name, before any compression suffix.
const KO: &str = "rdna1_fg.ko";

/// The module file `modprobe` would load, read.
#[derive(Debug)]
pub struct Module {
    /// Its path.
    pub path: String,
    /// What it says, when it could be read.
    pub file: Result<ModuleFile, String>,
}

/// The DKMS checks; returns the module file for the signature checks.
pub fn checks(ctx: &Ctx<'_>, facts: &BuildFacts, out: &mut Vec<Check>) -> Option<Module> {
    let (version, is_installed) = installed(ctx, facts, out);
    let module = module_file(ctx, version.as_deref(), is_installed, out)?;
    out.push(vermagic(ctx, &module, version.as_deref()));
    Some(module)
}

/// The versions DKMS has of the module.
fn versions(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.root
        .list(DKMS_DIR)
        .into_iter()
        .filter(|v| !v.starts_with("kernel-") && ctx.root.is_dir(&format!("{DKMS_DIR}/{v}")))
        .collect()
}

/// Returns the version DKMS has, and whether it is installed for the kernel.
fn installed(ctx: &Ctx<'_>, facts: &BuildFacts, out: &mut Vec<Check>) -> (Option<String>, bool) {
    let id = "dkms.installed";
    let rel = &ctx.release;
    let versions = versions(ctx);
    let Some(last) = versions.last() else {
        out.push(
            Check::fail(id, format!("rdna1_fg is not in DKMS (no {DKMS_DIR})"))
                .fix("sudo apt install rdna1-fg-dkms"),
        );
        return (None, false);
    };
    let link = ctx.root.list(DKMS_DIR).into_iter().find(|n| {
        n.strip_prefix("kernel-")
            .is_some_and(|r| r.starts_with(&format!("{rel}-")))
    });
    let built = versions
        .iter()
        .rev()
        .find(|v| !ctx.root.list(&format!("{DKMS_DIR}/{v}/{rel}")).is_empty());
    let check = match (link, built) {
        (Some(link), _) => {
            // kernel-RELEASE-ARCH -> VERSION/RELEASE/ARCH
            let target = std::fs::read_link(ctx.root.path(&format!("{DKMS_DIR}/{link}")))
                .ok()
                .and_then(|t| t.iter().next().map(|v| v.to_string_lossy().into_owned()));
            let v = target.unwrap_or_else(|| last.clone());
            let check = Check::ok(id, format!("rdna1_fg {v} installed for {rel}"));
            out.push(check);
            return (Some(v), true);
        }
        (None, Some(v)) => Check::fail(
            id,
            format!("rdna1_fg {v} built for {rel} but not installed"),
        )
        .fix(format!("sudo dkms install rdna1_fg/{v} -k {rel}")),
        (None, None) => {
            let mut c = Check::fail(
                id,
                format!("rdna1_fg {last} is added to DKMS but not built for {rel}"),
            );
            if !matches!(facts.tree_state(), Some("prepared" | "not-needed")) {
                c = c.detail("no kernel tree with the Rust build artifacts (see build.tree)");
                c = c.fix(format!("sudo {PREPARE} {rel}"));
            }
            let log = format!("{DKMS_DIR}/{last}/build/make.log");
            if ctx.root.exists(&log) {
                c = c.detail(format!("the last build's log: {log}"));
            }
            c.fix(format!("sudo dkms autoinstall -k {rel}"))
        }
    };
    out.push(check);
    (Some(last.clone()), false)
}

/// The `modules.dep` entry of the module: its path under /lib/modules/REL.
fn dep_entry(dep: &str) -> Option<&str> {
    dep.lines().find_map(|line| {
        let (path, _) = line.split_once(':')?;
        let name = path.rsplit('/').next()?;
        (name == KO
            || name
                .strip_prefix(KO)
                .is_some_and(|ext| ext.starts_with('.')))
        .then_some(path)
    })
}

fn module_file(
    ctx: &Ctx<'_>,
    version: Option<&str>,
    installed: bool,
    out: &mut Vec<Check>,
) -> Option<Module> {
    let id = "dkms.module_file";
    let rel = &ctx.release;
    let modules = format!("/lib/modules/{rel}");
    let dep_file = format!("{modules}/modules.dep");
    let reinstall = format!(
        "sudo dkms install --force rdna1_fg/{} -k {rel}",
        version.unwrap_or("VERSION")
    );
    let dep = match ctx.root.read(&dep_file) {
        Ok(dep) => dep,
        Err(e) => {
            out.push(
                Check::fail(id, format!("cannot read {dep_file}: {e}"))
                    .fix(format!("sudo depmod {rel}")),
            );
            out.push(Check::skip("dkms.vermagic", "no module file"));
            return None;
        }
    };
    let Some(entry) = dep_entry(&dep) else {
        let dkms_dir = format!("{modules}/updates/dkms");
        let present = ctx
            .root
            .list(&dkms_dir)
            .into_iter()
            .find(|n| n.starts_with(KO));
        let check = match present {
            Some(name) => Check::fail(
                id,
                format!("{dkms_dir}/{name} is there but modules.dep does not list it: modprobe cannot find it"),
            )
            .fix(format!("sudo depmod {rel}")),
            None if installed => Check::fail(id, format!("no rdna1_fg module for {rel}: modprobe rdna1_fg would fail"))
                .fix(reinstall),
            None => Check::fail(id, format!("no rdna1_fg module for {rel}: modprobe rdna1_fg would fail"))
                .fix(format!("sudo dkms autoinstall -k {rel}  (after the fixes of dkms.installed)")),
        };
        out.push(check);
        out.push(Check::skip("dkms.vermagic", "no module file"));
        return None;
    };
    let path = if entry.starts_with('/') {
        entry.to_string()
    } else {
        format!("{modules}/{entry}")
    };
    let file = ctx
        .root
        .read_bytes(&path, MAX_MODULE_BYTES)
        .map_err(|e| format!("cannot read {path}: {e}"))
        .and_then(|bytes| {
            ko::decompress(&path, &bytes).map_err(|e| format!("cannot decompress {path}: {e}"))
        })
        .and_then(|elf| ko::parse(&elf).map_err(|e| format!("{path}: {e}")));
    let check = match &file {
        Err(e) if ctx.root.exists(&path) => {
            Check::warn(id, format!("modprobe would load {path}, but: {e}")).fix(reinstall)
        }
        Err(_) => Check::fail(id, format!("modules.dep lists {path}, which is missing"))
            .fix(reinstall)
            .fix(format!("sudo depmod {rel}")),
        Ok(_) if !entry.contains("updates/dkms/") => Check::warn(
            id,
            format!("modprobe would load {path}, not the one DKMS installs (updates/dkms/)"),
        )
        .fix(format!("remove {path}, then: sudo depmod {rel}")),
        Ok(_) => Check::ok(id, format!("modprobe would load {path}")),
    };
    out.push(check);
    Some(Module { path, file })
}

fn vermagic(ctx: &Ctx<'_>, module: &Module, version: Option<&str>) -> Check {
    let id = "dkms.vermagic";
    let rel = &ctx.release;
    let file = match &module.file {
        Ok(f) => f,
        Err(e) => return Check::skip(id, format!("module file unreadable: {e}")),
    };
    let Some(vermagic) = file.get("vermagic").map(str::trim) else {
        return Check::fail(id, format!("{} has no vermagic", module.path)).fix(format!(
            "sudo dkms install --force rdna1_fg/{} -k {rel}",
            version.unwrap_or("VERSION")
        ));
    };
    if vermagic.split_whitespace().next() == Some(rel.as_str()) {
        let mut c = Check::ok(id, format!("vermagic '{vermagic}'"));
        if let Some(v) = file.get("version") {
            c.message.push_str(&format!(", version {v}"));
        }
        c
    } else {
        Check::fail(
            id,
            format!("vermagic '{vermagic}' is not kernel {rel}'s: the kernel would refuse it"),
        )
        .fix(format!(
            "sudo dkms install --force rdna1_fg/{} -k {rel}",
            version.unwrap_or("VERSION")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_dep_entry_of_the_module() {
        let dep = "kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko.xz: kernel/a.ko.xz\nupdates/dkms/rdna1_fg.ko.xz:\n";
        assert_eq!(dep_entry(dep), Some("updates/dkms/rdna1_fg.ko.xz"));
        assert_eq!(
            dep_entry("updates/dkms/rdna1_fg.ko:\n"),
            Some("updates/dkms/rdna1_fg.ko")
        );
        assert_eq!(dep_entry("updates/dkms/rdna1_fg_other.ko:\n"), None);
        assert_eq!(dep_entry(""), None);
    }
}
