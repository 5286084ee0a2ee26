// SPDX-License-Identifier: GPL-2.0

//! Loading checks: the package's modprobe file with its softdep (so that
//! rdna1_fg loads with amdgpu), and the initramfs: when amdgpu is in it,
//! rdna1_fg must be too.
//!
//! The softdep lines are read from the installed file, not assumed: only
//! the file's name (`rdna1_fg.conf`, as the package installs it) is fixed
//! here.

use super::system::RunError;
use super::{Check, Ctx};

/// The package's modprobe file name.
pub const MODPROBE_FILE: &str = "rdna1_fg.conf";

/// modprobe.d directories, the first one holding a file name winning
/// (modprobe.d(5)).
const MODPROBE_DIRS: [&str; 5] = [
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// The loading checks.
pub fn checks(ctx: &Ctx<'_>, out: &mut Vec<Check>) {
    out.push(softdep(ctx));
    out.push(initramfs(ctx));
}

/// The lines of a modprobe file that are not comments, joined continuations left as they are.
fn directives(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether a directive names the module as a word.
fn names_module(line: &str) -> bool {
    line.split_whitespace()
        .any(|w| w == "rdna1_fg" || w == "rdna1-fg")
}

fn softdep(ctx: &Ctx<'_>) -> Check {
    let id = "loading.softdep";
    let found = MODPROBE_DIRS
        .iter()
        .map(|d| format!("{d}/{MODPROBE_FILE}"))
        .find(|p| ctx.root.exists(p));
    let mut others = Vec::new();
    for dir in MODPROBE_DIRS {
        for name in ctx.root.list(dir) {
            if !name.ends_with(".conf") {
                continue;
            }
            let path = format!("{dir}/{name}");
            if let Ok(text) = ctx.root.read(&path) {
                for line in directives(&text) {
                    let word = line.split_whitespace().next().unwrap_or("");
                    if names_module(line) && matches!(word, "blacklist" | "install" | "options") {
                        others.push((path.clone(), line.to_string(), word == "blacklist"));
                    }
                }
            }
        }
    }
    let Some(path) = found else {
        return Check::fail(
            id,
            format!("no {MODPROBE_FILE} in /etc/modprobe.d or /usr/lib/modprobe.d: amdgpu does not bring rdna1_fg along"),
        )
        .fix("sudo apt install --reinstall rdna1-fg-dkms");
    };
    let text = match ctx.root.read(&path) {
        Ok(t) => t,
        Err(e) => {
            return Check::warn(id, format!("cannot read {path}: {e}"))
                .fix("sudo apt install --reinstall rdna1-fg-dkms")
        }
    };
    let softdeps: Vec<&str> = directives(&text)
        .filter(|l| l.starts_with("softdep ") && names_module(l))
        .collect();
    let mut check = if softdeps.is_empty() {
        Check::warn(
            id,
            format!("{path} has no softdep line naming rdna1_fg: amdgpu does not bring it along"),
        )
        .fix("sudo apt install --reinstall rdna1-fg-dkms")
    } else {
        Check::ok(id, format!("{path}: {}", softdeps.join("; ")))
    };
    for (file, line, blacklist) in others {
        if blacklist {
            check.state = super::State::Warn;
            check = check.fix(format!("remove '{line}' from {file}"));
        }
        check = check.detail(format!("{file}: {line}"));
    }
    check
}

/// Whether an initramfs listing has a module of this name.
fn lists_module(listing: &str, name: &str) -> bool {
    listing.lines().any(|l| {
        let file = l.trim().rsplit('/').next().unwrap_or("");
        file.strip_prefix(name)
            .is_some_and(|rest| rest == ".ko" || rest.starts_with(".ko."))
    })
}

fn initramfs(ctx: &Ctx<'_>) -> Check {
    let id = "loading.initramfs";
    let rel = &ctx.release;
    let image = format!("/boot/initrd.img-{rel}");
    if !ctx.root.exists(&image) {
        return Check::skip(id, format!("no {image}"));
    }
    let update = format!("sudo update-initramfs -u -k {rel}");
    match ctx.system.run("lsinitramfs", &[&image]) {
        Ok(o) if o.code == 0 => {
            let amdgpu = lists_module(&o.stdout, "amdgpu");
            let ours = lists_module(&o.stdout, "rdna1_fg");
            match (amdgpu, ours) {
                (true, true) => Check::ok(id, format!("{image} has amdgpu and rdna1_fg")),
                (true, false) => Check::warn(
                    id,
                    format!("{image} has amdgpu but not rdna1_fg: amdgpu loads early, rdna1_fg only after the root file system is mounted"),
                )
                .fix(update),
                (false, _) => Check::ok(
                    id,
                    format!("{image} has no amdgpu: both load from the root file system"),
                ),
            }
        }
        Ok(o) if !ctx.as_root && o.stderr.contains("ermission denied") => {
            ctx.needs_root(id, &format!("{image} is readable by root only"))
        }
        Ok(o) => Check::skip(
            id,
            format!(
                "lsinitramfs failed (exit {}): {}",
                o.code,
                o.stderr.lines().next().unwrap_or("").trim()
            ),
        ),
        Err(RunError::NotInstalled) => {
            Check::skip(id, "lsinitramfs is not installed (initramfs-tools)")
        }
        Err(RunError::Failed(e)) => Check::skip(id, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initramfs_listings() {
        let l = "usr/lib/modules/7.2.13+deb14-amd64/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko.xz\nusr/lib/modules/7.2.13+deb14-amd64/updates/dkms/rdna1_fg.ko.xz\n";
        assert!(lists_module(l, "amdgpu"));
        assert!(lists_module(l, "rdna1_fg"));
        assert!(!lists_module("x/amdgpu_extra.ko\n", "amdgpu"));
        assert!(lists_module("x/amdgpu.ko\n", "amdgpu"));
    }

    #[test]
    fn directives_skip_comments() {
        let t = "# softdep amdgpu post: rdna1_fg\n\nsoftdep amdgpu post: rdna1_fg\n";
        let d: Vec<_> = directives(t).collect();
        assert_eq!(d, ["softdep amdgpu post: rdna1_fg"]);
        assert!(names_module(d[0]));
    }
}
