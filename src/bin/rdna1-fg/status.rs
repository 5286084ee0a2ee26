// SPDX-License-Identifier: GPL-2.0

//! `rdna1-fg status`: every node and bank, the module's state, and a verdict
//! per selected GPU. The report is built once and shown as JSON or, by
//! [`crate::status_text`], as text.

use crate::devices::{self, Device};
use crate::format::{flag_names, human_size, pci_address, pci_id};
use crate::module_status::{ModuleInfo, StatusFile};
use crate::selection::{bank_selected, node_selected, NodeTally, RuleJson};
use crate::topology::{FileError, Node, NodeInfo};
use rdna1_fg::logic::heap::{heap_name, HOT_PLUGGABLE};
use rdna1_fg::logic::props::MemBankProps;
use rdna1_fg::logic::rules::Config;
use serde::Serialize;
use std::path::PathBuf;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    /// The topology directory read.
    pub topology: PathBuf,
    /// The rule.
    pub rule: RuleJson,
    /// Every node.
    pub nodes: Vec<NodeReport>,
    /// The module.
    pub module: ModuleInfo,
    /// One per selected node.
    pub verdicts: Vec<Verdict>,
    /// Remarks on the selection.
    pub notes: Vec<String>,
}

/// A node's `properties` fields.
#[derive(Debug, Serialize)]
pub struct NodeFields {
    /// PCI vendor id (0: CPU node).
    pub vendor_id: u32,
    /// PCI device id (0: CPU node).
    pub device_id: u32,
    /// KFD's gfx target version (`100100` for gfx1010).
    pub gfx_target_version: Option<u32>,
    /// PCI domain.
    pub domain: Option<u32>,
    /// PCI bus << 8 | devfn.
    pub location_id: Option<u32>,
}

/// One product name of a device id.
#[derive(Debug, Serialize)]
pub struct Product {
    /// PCI revision, hex.
    pub revision: String,
    /// Name, from libdrm's amdgpu.ids.
    pub name: &'static str,
}

/// One node.
#[derive(Debug, Serialize)]
pub struct NodeReport {
    /// Node number.
    pub node: u32,
    /// `cpu`, `gpu`, or `unknown` (unreadable).
    pub kind: &'static str,
    /// Its fields, when readable.
    pub properties: Option<NodeFields>,
    /// Why not.
    pub error: Option<FileError>,
    /// `1002:731f`.
    pub pci_id: Option<String>,
    /// `0000:03:00.0`.
    pub pci_address: Option<String>,
    /// `gfx1010`.
    pub gfx_target: Option<String>,
    /// Whether the device id is an RDNA1 one.
    pub rdna1: bool,
    /// The RDNA1 chip.
    pub chip: Option<&'static str>,
    /// Product names for the device id.
    pub products: Vec<Product>,
    /// Whether the rule selects the node.
    pub selected: bool,
    /// Its banks.
    pub banks: Vec<BankReport>,
}

/// A bank's `properties` fields.
#[derive(Debug, Serialize)]
pub struct BankFields {
    /// Heap type number.
    pub heap_type: u32,
    /// Size.
    pub size_in_bytes: u64,
    /// `HSA_MEM_FLAGS_*` bits.
    pub flags: u32,
    /// Bus width in bits.
    pub width: u32,
    /// Memory clock in MHz.
    pub mem_clk_max: u32,
}

/// One bank.
#[derive(Debug, Serialize)]
pub struct BankReport {
    /// Bank number.
    pub bank: u32,
    /// Its fields, when readable.
    pub properties: Option<BankFields>,
    /// Why not.
    pub error: Option<FileError>,
    /// Heap type name.
    pub heap: Option<&'static str>,
    /// Size in binary units.
    pub size: Option<String>,
    /// Names of the set flags (unnamed bits in hex).
    pub flag_names: Vec<String>,
    /// Whether `HOT_PLUGGABLE` is set.
    pub hot_pluggable: Option<bool>,
    /// Whether the rule selects it.
    pub selected: bool,
    /// Whether the module's status file lists it as patched by the module.
    pub patched_by_module: bool,
}

/// The verdict on one selected node.
#[derive(Debug, Serialize)]
pub struct Verdict {
    /// Node number.
    pub node: u32,
    /// The RDNA1 chip, if it is one.
    pub chip: Option<&'static str>,
    /// `flag_set`, `flag_partly_set`, `flag_not_set`, `no_selected_bank`, or `unreadable`.
    pub verdict: &'static str,
    /// Selected, readable banks.
    pub selected_banks: usize,
    /// Of which with `HOT_PLUGGABLE`.
    pub with_flag: usize,
    /// Unreadable banks.
    pub unreadable: usize,
    /// The verdict in words.
    pub text: String,
}

/// Builds the report.
pub fn build(
    topology: PathBuf,
    config: &Config,
    nodes: &[Node],
    module: ModuleInfo,
) -> StatusReport {
    let reports = nodes
        .iter()
        .map(|n| node_report(config, n, module.status.as_ref()))
        .collect();
    let verdicts = nodes
        .iter()
        .filter(|n| node_selected(config, n) != Some(false))
        .map(|n| verdict(config, n, &module))
        .collect();
    let notes = notes(config, nodes);
    StatusReport {
        topology,
        rule: RuleJson::new(config),
        nodes: reports,
        module,
        verdicts,
        notes,
    }
}

fn node_report(config: &Config, node: &Node, status: Option<&StatusFile>) -> NodeReport {
    let selected = node_selected(config, node) == Some(true);
    let banks = node
        .banks
        .iter()
        .map(|b| bank_report(config, selected, node.id, b.id, &b.props, status))
        .collect();
    let mut report = NodeReport {
        node: node.id,
        kind: "unknown",
        properties: None,
        error: None,
        pci_id: None,
        pci_address: None,
        gfx_target: None,
        rdna1: false,
        chip: None,
        products: Vec::new(),
        selected,
        banks,
    };
    match &node.info {
        Err(e) => report.error = Some(e.clone()),
        Ok(info) => fill_node(&mut report, info),
    }
    report
}

fn fill_node(report: &mut NodeReport, info: &NodeInfo) {
    let (vendor_id, device_id) = (info.ids.vendor_id, info.ids.device_id);
    let gpu = vendor_id != 0 || device_id != 0;
    report.kind = if gpu { "gpu" } else { "cpu" };
    if gpu {
        report.pci_id = Some(pci_id(vendor_id, device_id));
        if let (Some(domain), Some(location)) = (info.domain, info.location_id) {
            report.pci_address = Some(pci_address(domain, location));
        }
    }
    report.gfx_target = info.gfx_target_version.and_then(devices::gfx_target);
    if let Some(device) = devices::lookup(vendor_id, device_id) {
        report.rdna1 = true;
        report.chip = Some(device.chip.name);
        report.products = products(device);
    }
    report.properties = Some(NodeFields {
        vendor_id,
        device_id,
        gfx_target_version: info.gfx_target_version,
        domain: info.domain,
        location_id: info.location_id,
    });
}

fn products(device: &Device) -> Vec<Product> {
    device
        .products
        .iter()
        .map(|&(revision, name)| Product {
            revision: format!("{revision:02x}"),
            name,
        })
        .collect()
}

fn bank_report(
    config: &Config,
    node_selected: bool,
    node: u32,
    bank: u32,
    props: &Result<MemBankProps, FileError>,
    status: Option<&StatusFile>,
) -> BankReport {
    let mut report = BankReport {
        bank,
        properties: None,
        error: None,
        heap: None,
        size: None,
        flag_names: Vec::new(),
        hot_pluggable: None,
        selected: false,
        patched_by_module: status.is_some_and(|s| s.lists_bank(node, bank)),
    };
    match props {
        Err(e) => report.error = Some(e.clone()),
        Ok(p) => {
            report.heap = Some(heap_name(p.heap_type));
            report.size = Some(human_size(p.size_in_bytes));
            report.flag_names = flag_names(p.flags);
            report.hot_pluggable = Some(p.flags & HOT_PLUGGABLE != 0);
            report.selected = node_selected && bank_selected(config, p);
            report.properties = Some(BankFields {
                heap_type: p.heap_type,
                size_in_bytes: p.size_in_bytes,
                flags: p.flags,
                width: p.width,
                mem_clk_max: p.mem_clk_max,
            });
        }
    }
    report
}

fn verdict(config: &Config, node: &Node, module: &ModuleInfo) -> Verdict {
    let tally = NodeTally::of(config, node);
    let (selected, with) = (tally.selected(), tally.with_flag.len());
    let unreadable = tally.unreadable.len() + usize::from(node.info.is_err());
    let why = if module.loaded {
        "; rdna1_fg is loaded: see its status file (dry_run, refused banks, last error)"
    } else {
        "; rdna1_fg is not loaded"
    };
    let (verdict, text) = if unreadable > 0 {
        let what = if node.info.is_err() {
            "the node's properties are unreadable".to_string()
        } else {
            format!("{unreadable} bank(s) unreadable")
        };
        ("unreadable", format!("cannot tell: {what}"))
    } else if selected == 0 {
        (
            "no_selected_bank",
            format!("no bank of a selected heap type ({})", config.heaps),
        )
    } else if with == selected {
        (
            "flag_set",
            format!("HOT_PLUGGABLE set on every selected bank ({with} of {selected})"),
        )
    } else if with == 0 {
        (
            "flag_not_set",
            format!("HOT_PLUGGABLE not set on any selected bank (0 of {selected}){why}"),
        )
    } else {
        (
            "flag_partly_set",
            format!("HOT_PLUGGABLE set on only {with} of {selected} selected banks{why}"),
        )
    };
    let chip = node
        .info
        .as_ref()
        .ok()
        .and_then(|i| devices::lookup(i.ids.vendor_id, i.ids.device_id))
        .map(|d| d.chip.name);
    Verdict {
        node: node.id,
        chip,
        verdict,
        selected_banks: selected,
        with_flag: with,
        unreadable,
        text,
    }
}

fn notes(config: &Config, nodes: &[Node]) -> Vec<String> {
    let mut notes = Vec::new();
    if !nodes.iter().any(|n| node_selected(config, n) == Some(true)) {
        notes.push(format!(
            "no node has device_id {:#06x}: the rule selects nothing",
            config.device_id
        ));
    }
    for node in nodes {
        let Ok(info) = &node.info else { continue };
        let Some(device) = devices::lookup(info.ids.vendor_id, info.ids.device_id) else {
            continue;
        };
        if !config.node_matches(info.ids.device_id) {
            notes.push(format!(
                "node {} is an RDNA1 GPU ({}, device_id {:#06x}) that the rule does not select (it selects device_id {:#06x}, the module's device_id parameter)",
                node.id, device.chip.name, device.device_id, config.device_id
            ));
        }
    }
    notes
}
