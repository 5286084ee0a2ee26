// SPDX-License-Identifier: GPL-2.0

//! Signature and Secure Boot checks: whether Secure Boot is on, who signed
//! the module, and, with Secure Boot on, whether DKMS's key is enrolled in
//! the machine owner's key list (MOK), without which the kernel refuses the
//! module.

use super::dkms::Module;
use super::ko;
use super::system::RunError;
use super::{Check, Ctx};

/// The EFI variable that says whether Secure Boot is on: 4 bytes of
/// attributes, then one byte, 1 for on.
pub const SECURE_BOOT_VAR: &str =
    "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0a98e9f2d0c";

/// DKMS's signing certificate (DER), made on its first signed build.
pub const MOK_PUB: &str = "/var/lib/dkms/mok.pub";

/// Whether Secure Boot is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SecureBoot {
    On,
    Off,
    NoEfi,
    Unknown,
}

/// The signature checks.
pub fn checks(ctx: &Ctx<'_>, module: Option<&Module>, out: &mut Vec<Check>) {
    let (sb, check) = secure_boot(ctx);
    out.push(check);
    let key_cn = ctx
        .root
        .read_bytes(MOK_PUB, 64 * 1024)
        .ok()
        .and_then(|der| ko::common_name(&der));
    out.push(signer(ctx, module, sb, key_cn.as_deref()));
    out.push(key_enrolled(ctx, sb));
}

fn secure_boot(ctx: &Ctx<'_>) -> (SecureBoot, Check) {
    let id = "signature.secure_boot";
    if !ctx.root.is_dir("/sys/firmware/efi") {
        return (
            SecureBoot::NoEfi,
            Check::ok(id, "off: booted without EFI (no /sys/firmware/efi)"),
        );
    }
    if let Ok(bytes) = ctx.root.read_bytes(SECURE_BOOT_VAR, 64) {
        if let Some(&value) = bytes.get(4) {
            return if value == 1 {
                (
                    SecureBoot::On,
                    Check::ok(id, "on: the kernel loads signed modules only"),
                )
            } else {
                (SecureBoot::Off, Check::ok(id, "off"))
            };
        }
    }
    match ctx.system.run("mokutil", &["--sb-state"]) {
        Ok(o) if o.stdout.contains("SecureBoot enabled") => (
            SecureBoot::On,
            Check::ok(
                id,
                "on (mokutil --sb-state): the kernel loads signed modules only",
            ),
        ),
        Ok(o) if o.stdout.contains("SecureBoot disabled") => {
            (SecureBoot::Off, Check::ok(id, "off (mokutil --sb-state)"))
        }
        Ok(o) => (
            SecureBoot::Unknown,
            Check::skip(
                id,
                format!("cannot tell: mokutil --sb-state said '{}'", o.stdout.trim()),
            ),
        ),
        Err(RunError::NotInstalled) => (
            SecureBoot::Unknown,
            Check::skip(
                id,
                format!("cannot tell: {SECURE_BOOT_VAR} unreadable and mokutil not installed"),
            )
            .fix("sudo apt install mokutil"),
        ),
        Err(RunError::Failed(e)) => (
            SecureBoot::Unknown,
            Check::skip(id, format!("cannot tell: {e}")),
        ),
    }
}

fn signer(ctx: &Ctx<'_>, module: Option<&Module>, sb: SecureBoot, key_cn: Option<&str>) -> Check {
    let id = "signature.signer";
    let Some(module) = module else {
        return Check::skip(id, "no module file (see dkms.module_file)");
    };
    let file = match &module.file {
        Ok(f) => f,
        Err(e) => return Check::skip(id, format!("module file unreadable: {e}")),
    };
    let resign = format!(
        "sudo dkms install --force rdna1_fg/{} -k {}",
        file.get("version").unwrap_or("VERSION"),
        ctx.release
    );
    match (&file.signature, sb) {
        (None, SecureBoot::On) => Check::fail(
            id,
            "the module is not signed: with Secure Boot on, the kernel refuses it",
        )
        .detail("DKMS signs what it builds with /var/lib/dkms/mok.key when it has one")
        .fix("sudo dkms generate_mok")
        .fix(resign),
        (None, _) => Check::ok(
            id,
            "not signed: fine without Secure Boot (loading taints the kernel)",
        ),
        (Some(sig), _) => {
            let name = sig.signer.as_deref().unwrap_or("an unknown signer");
            let text = format!("signed by '{name}' ({})", ko::hash_name(sig.hash));
            match (sb, key_cn, sig.signer.as_deref()) {
                (SecureBoot::On, Some(key), Some(s)) if key != s => Check::warn(
                    id,
                    format!("{text}, not by DKMS's key '{key}' ({MOK_PUB}): the kernel loads it only if that signer's key is enrolled"),
                )
                .fix(resign),
                _ => Check::ok(id, text),
            }
        }
    }
}

fn key_enrolled(ctx: &Ctx<'_>, sb: SecureBoot) -> Check {
    let id = "signature.key_enrolled";
    match sb {
        SecureBoot::On => {}
        SecureBoot::Unknown => return Check::skip(id, "Secure Boot state unknown"),
        SecureBoot::Off | SecureBoot::NoEfi => {
            return Check::skip(id, "Secure Boot is off: no key needs to be enrolled")
        }
    }
    if !ctx.root.exists(MOK_PUB) {
        return Check::fail(id, format!("DKMS has no signing key ({MOK_PUB})"))
            .fix("sudo dkms generate_mok")
            .fix(format!("sudo mokutil --import {MOK_PUB}"))
            .fix(
                "reboot, and in MokManager choose Enroll MOK, then the password given to mokutil",
            );
    }
    match ctx.system.run("mokutil", &["--test-key", MOK_PUB]) {
        Ok(o) if o.stdout.contains("is already enrolled") => {
            Check::ok(id, format!("DKMS's key {MOK_PUB} is enrolled"))
        }
        Ok(o) if o.stdout.contains("already in the enrollment request") => Check::warn(
            id,
            format!("DKMS's key {MOK_PUB} waits to be enrolled at the next boot"),
        )
        .fix("reboot, and in MokManager choose Enroll MOK, then the password given to mokutil"),
        Ok(o) if o.stdout.contains("is not enrolled") => Check::fail(
            id,
            format!("DKMS's key {MOK_PUB} is not enrolled: with Secure Boot on, the kernel refuses rdna1_fg"),
        )
        .fix(format!("sudo mokutil --import {MOK_PUB}"))
        .fix("reboot, and in MokManager choose Enroll MOK, then the password given to mokutil"),
        Ok(o) => Check::warn(
            id,
            format!("mokutil --test-key said '{}'", format!("{}{}", o.stdout, o.stderr).trim()),
        )
        .fix(format!("sudo mokutil --test-key {MOK_PUB}  (run it as root, and read what it says)")),
        Err(RunError::NotInstalled) => {
            Check::skip(id, "mokutil is not installed").fix("sudo apt install mokutil")
        }
        Err(RunError::Failed(e)) => Check::skip(id, e),
    }
}
