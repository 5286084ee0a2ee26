// SPDX-License-Identifier: GPL-2.0

//! Kernel checks: the release, and the options rdna1_fg needs in its config
//! (`/boot/config-RELEASE`, else the `.config` of its linux-headers in
//! `/usr/src`, else `/proc/config.gz` for the running kernel):
//! Rust, KFD, kprobes on ftrace, and amdgpu as a module.

use super::{Check, Ctx};
use flate2::read::GzDecoder;
use std::collections::BTreeMap;
use std::io::Read;

/// A kernel's config: `CONFIG_X` → `y`, `m`, or a value; `n` for
/// `# CONFIG_X is not set`.
#[derive(Debug, Default)]
pub struct KernelConfig {
    values: BTreeMap<String, String>,
    /// Where it was read.
    pub source: String,
}

impl KernelConfig {
    /// Parses a `.config`.
    pub fn parse(text: &str, source: String) -> Self {
        let mut values = BTreeMap::new();
        for line in text.lines() {
            if let Some((key, value)) = line.split_once('=') {
                if key.starts_with("CONFIG_") {
                    values.insert(key.to_string(), value.trim_matches('"').to_string());
                }
            } else if let Some(key) = line
                .strip_prefix("# ")
                .and_then(|l| l.strip_suffix(" is not set"))
            {
                values.insert(key.to_string(), "n".to_string());
            }
        }
        Self { values, source }
    }

    /// The value of `key`; `n` when unset.
    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map_or("n", String::as_str)
    }
}

/// Longest config read (Debian's are about 300 KiB).
const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;

/// The kernel checks; returns the config when one was read.
pub fn checks(ctx: &Ctx<'_>, out: &mut Vec<Check>) -> Option<KernelConfig> {
    out.push(release(ctx));
    let config = match read_config(ctx) {
        Ok(config) => {
            out.push(Check::ok(
                "kernel.config",
                format!("read from {}", config.source),
            ));
            config
        }
        Err(why) => {
            out.push(Check::fail("kernel.config", why).fix(format!(
                "sudo apt install --reinstall linux-image-{}",
                ctx.release
            )));
            for id in [
                "kernel.rust",
                "kernel.hsa_amd",
                "kernel.kprobes",
                "kernel.amdgpu",
            ] {
                out.push(Check::skip(id, "no kernel config to read"));
            }
            return None;
        }
    };
    out.push(rust(&config));
    out.push(hsa_amd(&config));
    out.push(kprobes(&config));
    out.push(amdgpu(&config));
    Some(config)
}

fn release(ctx: &Ctx<'_>) -> Check {
    match &ctx.running {
        Some(r) if *r == ctx.release => Check::ok("kernel.release", format!("{r}, running")),
        Some(r) => Check::ok(
            "kernel.release",
            format!(
                "{} (not the running kernel, {r}: the state, log and topology checks are skipped)",
                ctx.release
            ),
        ),
        None => Check::ok(
            "kernel.release",
            format!("{} (running kernel unknown)", ctx.release),
        ),
    }
}

fn read_config(ctx: &Ctx<'_>) -> Result<KernelConfig, String> {
    let boot = format!("/boot/config-{}", ctx.release);
    match ctx.root.read_bytes(&boot, MAX_CONFIG_BYTES) {
        Ok(bytes) => return Ok(KernelConfig::parse(&String::from_utf8_lossy(&bytes), boot)),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("cannot read {boot}: {e}"))
        }
        Err(_) => {}
    }
    // Debian's linux-headers package carries the same config (DKMS builds
    // against it), for systems whose /boot has none.
    let headers = format!("/usr/src/linux-headers-{}/.config", ctx.release);
    if let Ok(bytes) = ctx.root.read_bytes(&headers, MAX_CONFIG_BYTES) {
        return Ok(KernelConfig::parse(
            &String::from_utf8_lossy(&bytes),
            headers,
        ));
    }
    if !ctx.is_running() {
        return Err(format!("no {boot} or {headers}"));
    }
    let gz = "/proc/config.gz";
    let bytes = ctx
        .root
        .read_bytes(gz, MAX_CONFIG_BYTES)
        .map_err(|e| format!("no {boot}, and {gz}: {e}"))?;
    let mut text = String::new();
    GzDecoder::new(&bytes[..])
        .take(MAX_CONFIG_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("no {boot}, and {gz} is not readable gzip text: {e}"))?;
    Ok(KernelConfig::parse(&text, gz.to_string()))
}

/// Where a kernel with what rdna1_fg needs comes from, on Debian.
pub const RUST_KERNEL: &str =
    "install a Debian kernel built with Rust, e.g.: sudo apt install -t trixie-backports linux-image-amd64";

fn rust(config: &KernelConfig) -> Check {
    let id = "kernel.rust";
    match config.get("CONFIG_RUST") {
        "y" => Check::ok(id, "CONFIG_RUST=y"),
        v => Check::fail(
            id,
            format!(
                "CONFIG_RUST={v}: no Rust module, rdna1_fg included, can be built for this kernel"
            ),
        )
        .fix(RUST_KERNEL),
    }
}

fn hsa_amd(config: &KernelConfig) -> Check {
    let id = "kernel.hsa_amd";
    match config.get("CONFIG_HSA_AMD") {
        "y" => Check::ok(id, "CONFIG_HSA_AMD=y (KFD)"),
        v => Check::fail(
            id,
            format!("CONFIG_HSA_AMD={v}: no KFD, so no topology to mark"),
        )
        .fix(RUST_KERNEL),
    }
}

fn kprobes(config: &KernelConfig) -> Check {
    let id = "kernel.kprobes";
    let wanted = [
        "CONFIG_KPROBES",
        "CONFIG_KRETPROBES",
        "CONFIG_KPROBES_ON_FTRACE",
    ];
    let missing: Vec<String> = wanted
        .iter()
        .filter(|k| config.get(k) != "y")
        .map(|k| format!("{k}={}", config.get(k)))
        .collect();
    if missing.is_empty() {
        Check::ok(id, wanted.map(|k| format!("{k}=y")).join(", "))
    } else {
        Check::fail(
            id,
            format!(
                "{}: rdna1_fg hooks KFD with kprobes on ftrace and cannot work without them",
                missing.join(", ")
            ),
        )
        .fix(RUST_KERNEL)
    }
}

fn amdgpu(config: &KernelConfig) -> Check {
    let id = "kernel.amdgpu";
    match config.get("CONFIG_DRM_AMDGPU") {
        "m" => Check::ok(id, "CONFIG_DRM_AMDGPU=m (amdgpu is a module)"),
        "y" => Check::fail(
            id,
            "CONFIG_DRM_AMDGPU=y: amdgpu is built in, but rdna1_fg hooks amdgpu's module (amdgpu:mem_show) and loads with it",
        )
        .fix(RUST_KERNEL),
        v => Check::fail(id, format!("CONFIG_DRM_AMDGPU={v}: no amdgpu driver")).fix(RUST_KERNEL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_and_unset_options() {
        let c = KernelConfig::parse(
            "CONFIG_RUST=y\n# CONFIG_KASAN is not set\nCONFIG_DRM_AMDGPU=m\nCONFIG_RUSTC_VERSION_TEXT=\"rustc 1.85.1\"\n",
            "t".into(),
        );
        assert_eq!(c.get("CONFIG_RUST"), "y");
        assert_eq!(c.get("CONFIG_KASAN"), "n");
        assert_eq!(c.get("CONFIG_MISSING"), "n");
        assert_eq!(c.get("CONFIG_RUSTC_VERSION_TEXT"), "rustc 1.85.1");
        assert_eq!(amdgpu(&c).state, super::super::State::Ok);
        let builtin = KernelConfig::parse("CONFIG_DRM_AMDGPU=y\n", "t".into());
        assert_eq!(amdgpu(&builtin).state, super::super::State::Fail);
        assert_eq!(kprobes(&builtin).state, super::super::State::Fail);
    }
}
