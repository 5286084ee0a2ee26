//! Fixture roots for `rdna1-fg doctor --root`: `tests/doctor/base/` (a
//! healthy install on an RX 5700 XT), with a case's overlay
//! (`tests/doctor/CASE/`) copied over it after the paths listed in
//! `tests/doctor/CASE.remove` are taken away, and the few files that are
//! not text made here: the module (a tiny ELF with `.modinfo`, signed and
//! compressed as DKMS does), DKMS's certificate, the Secure Boot EFI
//! variable. The KFD topology comes from `tests/fixtures/`, the modprobe
//! file from `packaging/`, the status file from `tests/module/`.

#![allow(dead_code)]

#[path = "fake_ko.rs"]
mod fake_ko;

use std::path::{Path, PathBuf};

/// The release of the base.
pub const REL: &str = "7.2.13+deb14-amd64";

/// DKMS's signing key's common name.
pub const DKMS_CN: &str = "DKMS module signing key";

/// The module file of a case.
pub struct Ko {
    /// Path under the root.
    pub path: &'static str,
    /// Its vermagic.
    pub vermagic: &'static str,
    /// Its signer, if signed.
    pub signer: Option<&'static str>,
}

/// One case.
pub struct Case {
    /// Name: the overlay and the golden files.
    pub name: &'static str,
    /// The fixture under `tests/fixtures/` to use as KFD's topology.
    pub topology: Option<&'static str>,
    /// The module file.
    pub module: Option<Ko>,
    /// The SecureBoot EFI variable's value (none: no variable).
    pub secure_boot: Option<u8>,
    /// The case under `tests/module/` whose status file to use.
    pub status: Option<&'static str>,
    /// Effective uid to check as.
    pub uid: u32,
    /// Environment.
    pub env: &'static [(&'static str, &'static str)],
    /// Expected exit code.
    pub exit: i32,
}

/// The module DKMS installs for the base's kernel.
pub const BASE_KO: Ko = Ko {
    path: "lib/modules/7.2.13+deb14-amd64/updates/dkms/rdna1_fg.ko.xz",
    vermagic: "7.2.13+deb14-amd64 SMP preempt mod_unload modversions ",
    signer: Some(DKMS_CN),
};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a tree, keeping symlinks as they are.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = std::fs::symlink_metadata(&src).unwrap().file_type();
        if kind.is_symlink() {
            let _ = std::fs::remove_file(&dst);
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let file = root.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, bytes).unwrap();
}

/// Builds the root of `case` under `dir` (as `dir/NAME`) and returns it.
pub fn build(case: &Case, dir: &Path) -> PathBuf {
    let cases = manifest().join("tests/doctor");
    let root = dir.join(case.name);
    let _ = std::fs::remove_dir_all(&root);
    copy_tree(&cases.join("base"), &root);
    if let Ok(list) = std::fs::read_to_string(cases.join(format!("{}.remove", case.name))) {
        for path in list.lines().filter(|l| !l.trim().is_empty()) {
            let p = root.join(path.trim());
            let _ = std::fs::remove_dir_all(&p);
            let _ = std::fs::remove_file(&p);
        }
    }
    let overlay = cases.join(case.name);
    if overlay.is_dir() {
        copy_tree(&overlay, &root);
    }
    if let Some(fixture) = case.topology {
        copy_tree(
            &manifest().join("tests/fixtures").join(fixture),
            &root.join("sys/class/kfd/kfd/topology"),
        );
    }
    if let Some(ko) = &case.module {
        let mut elf = fake_ko::module(&[
            ("version", "0.1.0"),
            ("license", "GPL"),
            ("name", "rdna1_fg"),
            ("vermagic", ko.vermagic),
        ]);
        if let Some(cn) = ko.signer {
            elf = fake_ko::sign(elf, cn);
        }
        write(&root, ko.path, &fake_ko::compress(ko.path, &elf));
    }
    write(&root, "var/lib/dkms/mok.pub", &fake_ko::pkcs7(DKMS_CN));
    if let Some(value) = case.secure_boot {
        write(
            &root,
            "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0a98e9f2d0c",
            &[6, 0, 0, 0, value],
        );
    }
    let conf = std::fs::read(manifest().join("packaging/rdna1_fg-modprobe.conf")).unwrap();
    write(&root, "usr/lib/modprobe.d/rdna1_fg.conf", &conf);
    if let Some(status) = case.status {
        let text =
            std::fs::read(manifest().join("tests/module").join(status).join("status")).unwrap();
        write(&root, "sys/kernel/debug/rdna1_fg/status", &text);
    }
    root
}

/// Every case.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "healthy",
            topology: Some("navi10-rx5700xt-patched"),
            module: Some(BASE_KO),
            secure_boot: Some(1),
            status: Some("active"),
            uid: 0,
            env: &[],
            exit: 0,
        },
        Case {
            name: "secure-boot-key-not-enrolled",
            topology: Some("navi10-rx5700xt"),
            module: Some(BASE_KO),
            secure_boot: None,
            status: None,
            uid: 0,
            env: &[],
            exit: 1,
        },
        Case {
            name: "kernel-upgraded",
            topology: Some("navi10-rx5700xt"),
            module: Some(BASE_KO),
            secure_boot: Some(0),
            status: None,
            uid: 0,
            env: &[],
            exit: 1,
        },
        Case {
            name: "bank-refused",
            topology: Some("navi10-rx5700xt"),
            module: Some(BASE_KO),
            secure_boot: Some(1),
            status: None,
            uid: 0,
            env: &[],
            exit: 1,
        },
        Case {
            name: "patched-then-restored",
            topology: Some("navi10-rx5700xt"),
            module: Some(BASE_KO),
            secure_boot: Some(1),
            status: None,
            uid: 0,
            env: &[],
            exit: 1,
        },
        Case {
            name: "not-root",
            topology: Some("navi10-rx5700xt-patched"),
            module: Some(BASE_KO),
            secure_boot: Some(1),
            status: Some("active"),
            uid: 1000,
            env: &[("HSA_OVERRIDE_GFX_VERSION", "10.3.0")],
            exit: 0,
        },
        Case {
            name: "no-kfd",
            topology: None,
            module: Some(BASE_KO),
            secure_boot: Some(1),
            status: Some("waiting"),
            uid: 0,
            env: &[],
            exit: 1,
        },
    ]
}
