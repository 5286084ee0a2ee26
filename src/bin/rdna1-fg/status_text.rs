// SPDX-License-Identifier: GPL-2.0

//! `rdna1-fg status` as text: the [`StatusReport`] for people.

use crate::format::flags_text;
use crate::module_status::{ModuleInfo, StatusFile, PATCHED_BANKS};
use crate::selection::rule_line;
use crate::status::{BankReport, NodeReport, StatusReport};
use rdna1_fg::logic::rules::Config;
use std::fmt::Write as _;

/// The report as text.
pub fn text(report: &StatusReport, config: &Config) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "KFD topology: {}", report.topology.display());
    let _ = writeln!(out, "{}", rule_line(config));
    for node in &report.nodes {
        out.push('\n');
        node_text(&mut out, node);
    }
    out.push('\n');
    module_text(&mut out, &report.module);
    out.push('\n');
    out.push_str("verdict:\n");
    for v in &report.verdicts {
        match v.chip {
            Some(chip) => writeln!(out, "  node {} ({chip}): {}", v.node, v.text),
            None => writeln!(out, "  node {}: {}", v.node, v.text),
        }
        .ok();
    }
    for note in &report.notes {
        let _ = writeln!(out, "  {note}");
    }
    out
}

fn node_text(out: &mut String, node: &NodeReport) {
    let _ = write!(out, "node {}: ", node.node);
    match (&node.properties, &node.error) {
        (Some(p), _) if node.kind == "cpu" => {
            let _ = write!(
                out,
                "CPU (vendor_id {:#06x}, device_id {:#06x})",
                p.vendor_id, p.device_id
            );
        }
        (Some(p), _) => {
            let _ = write!(out, "GPU {}", node.pci_id.as_deref().unwrap_or("?"));
            match node.chip {
                Some(chip) => {
                    let _ = write!(out, " ({chip}, RDNA1)");
                }
                None => out.push_str(" (not an RDNA1 device id)"),
            }
            if let Some(address) = &node.pci_address {
                let _ = write!(out, ", PCI {address}");
            }
            if let Some(v) = p.gfx_target_version {
                let _ = write!(out, ", gfx_target_version {v}");
                if let Some(t) = &node.gfx_target {
                    let _ = write!(out, " ({t})");
                }
            }
        }
        (None, Some(e)) => {
            let _ = write!(out, "unreadable: {e}");
        }
        (None, None) => out.push('?'),
    }
    out.push_str(if node.selected { ", selected\n" } else { "\n" });
    if node.rdna1 {
        let names: Vec<&str> = dedup(node.products.iter().map(|p| p.name));
        if names.is_empty() {
            out.push_str("  products: none named for this device id in libdrm's amdgpu.ids\n");
        } else {
            let _ = writeln!(out, "  products (by PCI revision): {}", names.join(", "));
        }
    }
    for bank in &node.banks {
        bank_text(out, bank);
    }
}

fn dedup<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for name in names {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn bank_text(out: &mut String, bank: &BankReport) {
    let _ = write!(out, "  bank {}: ", bank.bank);
    match (&bank.properties, &bank.error) {
        (Some(p), _) => {
            let _ = write!(
                out,
                "{}, {}, flags {}",
                bank.heap.unwrap_or("?"),
                bank.size.as_deref().unwrap_or("?"),
                flags_text(p.flags)
            );
        }
        (None, Some(e)) => {
            let _ = write!(out, "unreadable: {e}");
        }
        (None, None) => out.push('?'),
    }
    if bank.selected {
        out.push_str(", selected");
    }
    if bank.patched_by_module {
        out.push_str(", patched by rdna1_fg");
    }
    out.push('\n');
}

fn module_text(out: &mut String, module: &ModuleInfo) {
    if module.loaded {
        let _ = write!(
            out,
            "module rdna1_fg: loaded ({}",
            module.sys_module_dir.display()
        );
        if let Some(state) = &module.initstate {
            let _ = write!(out, ", initstate {state}");
        }
        out.push_str(")\n");
    } else {
        let _ = writeln!(
            out,
            "module rdna1_fg: not loaded (no {})",
            module.sys_module_dir.display()
        );
        return;
    }
    let _ = write!(out, "module status ({}):", module.status_file.display());
    match (&module.status, &module.status_error) {
        (Some(status), _) => {
            out.push('\n');
            status_text(out, status);
        }
        (None, Some(e)) => {
            let _ = writeln!(out, " {e}");
        }
        (None, None) => out.push('\n'),
    }
}

fn status_text(out: &mut String, status: &StatusFile) {
    if !status.recognised {
        out.push_str("  (not in a format this tool knows; the text as read:)\n");
        for line in status.raw.lines() {
            let _ = writeln!(out, "  | {}", printable(line));
        }
        return;
    }
    for (key, value) in &status.fields {
        if value.is_empty() {
            let _ = writeln!(out, "  {}:", printable(key));
        } else {
            let _ = writeln!(out, "  {}: {}", printable(key), printable(value));
        }
        let items = if key == PATCHED_BANKS {
            Some(&status.patched_banks)
        } else {
            status.lists.get(key)
        };
        for item in items.into_iter().flatten() {
            let _ = writeln!(out, "    {}", printable(item));
        }
    }
    if !status.other_lines.is_empty() {
        out.push_str("  other lines:\n");
        for line in &status.other_lines {
            let _ = writeln!(out, "  | {}", printable(line));
        }
    }
}

/// `line` with control characters escaped, so that a damaged file cannot
/// drive the terminal.
fn printable(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}
