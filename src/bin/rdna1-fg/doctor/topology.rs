// SPDX-License-Identifier: GPL-2.0

//! Topology checks: KFD's topology, every GPU in it with its chip, and,
//! for the GPUs the module's default rule selects, whether every selected
//! bank has the bit. Read and judged with the code of `rdna1-fg status`
//! ([`crate::topology`], [`crate::selection`], [`crate::devices`]).

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

/// The topology checks.
pub fn checks(
    ctx: &Ctx<'_>,
    nodes: &Result<Vec<Node>, NoTopology>,
    loaded: Option<bool>,
    config: Option<&KernelConfig>,
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
    let rule = Config::from_params(RawParams::default()).ok();
    out.push(gpus(nodes, rule.as_ref()));
    out.push(match rule {
        Some(rule) => flag(nodes, &rule, loaded),
        None => Check::skip("topology.flag", "the default rule is invalid"),
    });
}

fn gpus(nodes: &[Node], rule: Option<&Config>) -> Check {
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
        let sel = rule.is_some_and(|r| node_selected(r, node) == Some(true));
        selected += usize::from(sel);
        lines.push(format!(
            "node {}: {vendor:04x}:{device:04x} ({chip}{gfx}){at}{}",
            node.id,
            if sel { ", selected" } else { "" }
        ));
    }
    let mut check = if lines.is_empty() {
        Check::warn(id, "no GPU node: KFD sees no GPU")
            .fix("lspci -nnk -d 1002:  (is the GPU there, with amdgpu as its driver?)")
    } else if selected == 0 {
        Check::warn(
            id,
            format!(
                "{} GPU(s), none a Navi 10 (device 0x731f): rdna1_fg has nothing to do",
                lines.len()
            ),
        )
        .fix("none: rdna1_fg marks Navi 10 (device 0x731f) only; its device_id parameter selects another device (see rdna1-fg status)")
    } else {
        Check::ok(
            id,
            format!(
                "{} GPU(s), {selected} selected (device 0x731f)",
                lines.len()
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
