// SPDX-License-Identifier: GPL-2.0

//! Topology checks: KFD's topology, every GPU in it with its chip, and,
//! for the nodes the rule in force selects, whether every selected bank has
//! the bit. Read and judged with the code of `rdna1-fg status`
//! ([`crate::topology`], [`crate::selection`], [`crate::devices`]).
//!
//! The rule in force: the parameters of the loaded module (its status
//! file), else the `options rdna1_fg` lines of modprobe.d (what `modprobe`
//! would load it with), else the module's defaults.

use super::kernel::KernelConfig;
use super::{Check, Ctx};
use crate::devices;
use crate::format::pci_address;
use crate::selection::{node_selected, NodeTally};
use crate::topology::{self, NoTopology, Node};
use rdna1_fg::logic::rules::{Config, RawParams};
use rdna1_fg::logic::walk::TOPOLOGY_DIR;

/// Reads the topology (for the log checks too).
pub fn read(ctx: &Ctx<'_>) -> Result<Vec<Node>, NoTopology> {
    topology::read(&ctx.root.path(TOPOLOGY_DIR))
}

/// The rule the checks judge by, and where it comes from.
pub struct Rule {
    /// The rule (`None`: the parameters found are invalid).
    pub config: Option<Config>,
    /// Where it comes from, for the messages.
    pub source: String,
}

/// The modprobe.d directories `modprobe` reads, in its order of precedence.
const MODPROBE_DIRS: [&str; 3] = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/lib/modprobe.d"];

/// The rule in force: from the status file's parameters line, else from
/// modprobe.d's `options rdna1_fg`, else the defaults.
pub fn rule_in_force(ctx: &Ctx<'_>, status_parameters: Option<&str>) -> Rule {
    if let Some(params) = status_parameters {
        return Rule {
            config: parse_rule(params),
            source: "the loaded module's parameters".to_string(),
        };
    }
    let mut options = Vec::new();
    for dir in MODPROBE_DIRS {
        let mut files = ctx.root.list(dir);
        files.sort();
        for name in files.iter().filter(|n| n.ends_with(".conf")) {
            let Ok(text) = ctx.root.read(&format!("{dir}/{name}")) else {
                continue;
            };
            for line in text.lines() {
                let mut words = line.split_whitespace();
                if words.next() == Some("options") && words.next() == Some("rdna1_fg") {
                    options.extend(words.map(str::to_string));
                }
            }
        }
    }
    if options.is_empty() {
        return Rule {
            config: Config::from_params(RawParams::default()).ok(),
            source: "the module's defaults".to_string(),
        };
    }
    Rule {
        config: parse_rule(&options.join(" ")),
        source: "the options in modprobe.d".to_string(),
    }
}

/// A rule from `device_id=... heap_mask=...` words (others are ignored).
fn parse_rule(words: &str) -> Option<Config> {
    let mut raw = RawParams::default();
    for word in words.split_whitespace() {
        let Some((key, value)) = word.split_once('=') else {
            continue;
        };
        let number = || {
            value
                .strip_prefix("0x")
                .map_or_else(|| value.parse().ok(), |h| u32::from_str_radix(h, 16).ok())
        };
        match key {
            "device_id" => raw.device_id = number()?,
            "heap_mask" => raw.heap_mask = number()?,
            _ => {}
        }
    }
    Config::from_params(raw).ok()
}

/// The topology checks.
pub fn checks(
    ctx: &Ctx<'_>,
    nodes: &Result<Vec<Node>, NoTopology>,
    loaded: Option<bool>,
    config: Option<&KernelConfig>,
    rule: &Rule,
    out: &mut Vec<Check>,
) {
    let ids = ["topology.kfd", "topology.gpus", "topology.flag"];
    if !ctx.is_running() {
        out.extend(ids.map(|id| ctx.not_running(id)));
        return;
    }
    let nodes = match nodes {
        Ok(n) => n,
        Err(_) => {
            let mut c = Check::fail(
                "topology.kfd",
                format!("no KFD topology at {TOPOLOGY_DIR}: amdgpu is not loaded, or sees no GPU"),
            );
            c = if config.is_some_and(|c| c.get("CONFIG_HSA_AMD") != "y") {
                c.fix(super::kernel::RUST_KERNEL)
            } else {
                c.fix("sudo modprobe amdgpu")
            };
            out.push(c);
            out.extend(
                ids[1..]
                    .iter()
                    .map(|&id| Check::skip(id, "no KFD topology")),
            );
            return;
        }
    };
    out.push(Check::ok(
        "topology.kfd",
        format!("{TOPOLOGY_DIR}: {} node(s)", nodes.len()),
    ));
    out.push(gpus(nodes, rule));
    out.push(match &rule.config {
        Some(config) => flag(nodes, config, loaded),
        None => Check::skip(
            "topology.flag",
            format!("the parameters of {} are invalid", rule.source),
        ),
    });
}

fn gpus(nodes: &[Node], rule: &Rule) -> Check {
    let device = rule
        .config
        .map_or("?".to_string(), |c| format!("0x{:x}", c.device_id));
    let cpu_rule = rule.config.is_some_and(|c| c.device_id == 0);
    let id = "topology.gpus";
    let mut lines = Vec::new();
    let mut selected = 0;
    for node in nodes {
        let Ok(info) = &node.info else {
            lines.push(format!("node {}: unreadable", node.id));
            continue;
        };
        let (vendor, device) = (info.ids.vendor_id, info.ids.device_id);
        if vendor == 0 && device == 0 {
            continue;
        }
        let chip = devices::lookup(vendor, device).map_or("not RDNA1".to_string(), |d| {
            format!("{}, RDNA1", d.chip.name)
        });
        let gfx = info
            .gfx_target_version
            .and_then(devices::gfx_target)
            .map(|g| format!(", {g}"))
            .unwrap_or_default();
        let at = match (info.domain, info.location_id) {
            (Some(d), Some(l)) => format!(" at {}", pci_address(d, l)),
            _ => String::new(),
        };
        let sel = rule
            .config
            .as_ref()
            .is_some_and(|r| node_selected(r, node) == Some(true));
        selected += usize::from(sel);
        lines.push(format!(
            "node {}: {vendor:04x}:{device:04x} ({chip}{gfx}){at}{}",
            node.id,
            if sel { ", selected" } else { "" }
        ));
    }
    let mut check = if lines.is_empty() && cpu_rule {
        Check::ok(
            id,
            format!(
                "no GPU node; {} select the CPU nodes (device_id=0)",
                rule.source
            ),
        )
    } else if lines.is_empty() {
        Check::warn(id, "no GPU node: KFD sees no GPU")
            .fix("lspci -nnk -d 1002:  (is the GPU there, with amdgpu as its driver?)")
    } else if selected == 0 && !cpu_rule {
        Check::warn(
            id,
            format!(
                "{} GPU(s), none with device {device} ({}): rdna1_fg has nothing to do",
                lines.len(),
                rule.source
            ),
        )
        .fix("none: rdna1_fg marks Navi 10 (device 0x731f) by default; its device_id parameter selects another device (see rdna1-fg status)")
    } else {
        Check::ok(
            id,
            format!(
                "{} GPU(s), {selected} selected (device {device}, {})",
                lines.len(),
                rule.source
            ),
        )
    };
    check.details = lines;
    check
}

fn flag(nodes: &[Node], rule: &Config, loaded: Option<bool>) -> Check {
    let id = "topology.flag";
    let mut details = Vec::new();
    let (mut with, mut without, mut unreadable) = (0, 0, 0);
    for node in nodes
        .iter()
        .filter(|n| node_selected(rule, n) == Some(true))
    {
        let t = NodeTally::of(rule, node);
        with += t.with_flag.len();
        without += t.without_flag.len();
        unreadable += t.unreadable.len();
        for (bank, p) in &t.with_flag {
            details.push(format!(
                "node {} bank {bank}: flags {:#x}, HOT_PLUGGABLE set",
                node.id, p.flags
            ));
        }
        for (bank, p) in &t.without_flag {
            details.push(format!(
                "node {} bank {bank}: flags {:#x}, HOT_PLUGGABLE not set",
                node.id, p.flags
            ));
        }
        for e in &t.unreadable {
            details.push(format!("unreadable: {e}"));
        }
    }
    let total = with + without;
    let mut check = if total + unreadable == 0 {
        Check::skip(id, "no selected bank")
    } else if without == 0 && unreadable == 0 {
        Check::ok(
            id,
            format!("HOT_PLUGGABLE set on every selected bank ({with} of {total})"),
        )
    } else {
        let c = Check::fail(
            id,
            format!(
                "HOT_PLUGGABLE set on {with} of {total} selected bank(s){}",
                if unreadable > 0 {
                    format!(", {unreadable} unreadable")
                } else {
                    String::new()
                }
            ),
        );
        match loaded {
            Some(false) => c.fix("sudo modprobe rdna1_fg"),
            _ => c.fix(
                "sudo rdna1-fg status  (the module's state and refusals; see also log.warnings)",
            ),
        }
    };
    check.details = details;
    check
}
