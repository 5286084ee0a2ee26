//! One version string for the module, DKMS and the Debian package: it is
//! written in dkms.conf (Kbuild passes it to the module's modinfo), and
//! Cargo.toml and debian/changelog must carry the same.

use std::path::Path;

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn dkms_version() -> String {
    read("dkms.conf")
        .lines()
        .find_map(|l| l.strip_prefix("PACKAGE_VERSION=\""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("PACKAGE_VERSION in dkms.conf")
        .to_string()
}

#[test]
fn cargo_dkms_and_debian_versions_agree() {
    let dkms = dkms_version();
    assert_eq!(env!("CARGO_PKG_VERSION"), dkms, "Cargo.toml vs dkms.conf");
    let changelog = read("debian/changelog");
    let first = changelog
        .lines()
        .next()
        .expect("debian/changelog has a line");
    assert!(
        first.starts_with(&format!("rdna1-fg ({dkms}) ")),
        "debian/changelog starts with '{first}', dkms.conf says {dkms}"
    );
}

#[test]
fn dkms_conf_names_the_module_and_its_needs() {
    let conf = read("dkms.conf");
    for line in [
        "PACKAGE_NAME=\"rdna1_fg\"",
        "BUILT_MODULE_NAME[0]=\"rdna1_fg\"",
        "AUTOINSTALL=\"yes\"",
        "BUILD_EXCLUSIVE_CONFIG=\"CONFIG_RUST CONFIG_HSA_AMD CONFIG_KPROBES CONFIG_KRETPROBES CONFIG_KPROBES_ON_FTRACE\"",
        "PRE_BUILD=\"scripts/rdna1-fg-dkms-check ${kernelver}\"",
    ] {
        assert!(conf.lines().any(|l| l == line), "dkms.conf lacks {line}");
    }
    assert!(
        read("Kbuild").contains("dkms.conf"),
        "Kbuild takes the version from dkms.conf"
    );
}
