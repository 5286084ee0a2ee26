// SPDX-License-Identifier: GPL-2.0

//! `rdna1-fg verify`: does every bank the rule selects carry
//! `HOT_PLUGGABLE`? Exit 0 yes, 1 no, 2 nothing selected or unreadable.

use crate::format::{flags_text, human_size};
use crate::selection::{node_selected, rule_line, NodeTally, RuleJson};
use crate::topology::{FileError, Node};
use rdna1_fg::logic::heap::{heap_name, HOT_PLUGGABLE};
use rdna1_fg::logic::rules::Config;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The outcome.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    /// The topology directory read.
    pub topology: PathBuf,
    /// The rule.
    pub rule: RuleJson,
    /// Every selected, readable bank.
    pub banks: Vec<CheckedBank>,
    /// Nodes and banks that could not be read (a node whose selection is
    /// unknown, or a bank of a selected node).
    pub unreadable: Vec<FileError>,
    /// Selected banks with the flag.
    pub with_flag: usize,
    /// Selected banks without it.
    pub without_flag: usize,
    /// `ok`, `flag_missing`, `nothing_selected` or `unreadable`.
    pub result: &'static str,
    /// The exit code.
    pub exit_code: u8,
}

/// One selected bank.
#[derive(Debug, Serialize)]
pub struct CheckedBank {
    /// Node number.
    pub node: u32,
    /// Bank number.
    pub bank: u32,
    /// Heap type name.
    pub heap: &'static str,
    /// Size in bytes.
    pub size_in_bytes: u64,
    /// Flags.
    pub flags: u32,
    /// Whether `HOT_PLUGGABLE` is set.
    pub hot_pluggable: bool,
}

/// Checks the selected banks of `nodes`.
pub fn build(topology: PathBuf, config: &Config, nodes: &[Node]) -> VerifyReport {
    let mut banks = Vec::new();
    let mut unreadable = Vec::new();
    for node in nodes {
        match (node_selected(config, node), &node.info) {
            (None, Err(e)) => unreadable.push(e.clone()),
            (Some(true), _) => {
                let tally = NodeTally::of(config, node);
                unreadable.extend(tally.unreadable.into_iter().cloned());
                for (bank, p) in tally.with_flag.into_iter().chain(tally.without_flag) {
                    banks.push(CheckedBank {
                        node: node.id,
                        bank,
                        heap: heap_name(p.heap_type),
                        size_in_bytes: p.size_in_bytes,
                        flags: p.flags,
                        hot_pluggable: p.flags & HOT_PLUGGABLE != 0,
                    });
                }
            }
            _ => {}
        }
    }
    banks.sort_by_key(|b| (b.node, b.bank));
    let with_flag = banks.iter().filter(|b| b.hot_pluggable).count();
    let without_flag = banks.len() - with_flag;
    let (result, exit_code) = if !unreadable.is_empty() {
        ("unreadable", 2)
    } else if banks.is_empty() {
        ("nothing_selected", 2)
    } else if without_flag > 0 {
        ("flag_missing", 1)
    } else {
        ("ok", 0)
    };
    VerifyReport {
        topology,
        rule: RuleJson::new(config),
        banks,
        unreadable,
        with_flag,
        without_flag,
        result,
        exit_code,
    }
}

/// The outcome as text.
pub fn text(report: &VerifyReport, config: &Config) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "KFD topology: {}", report.topology.display());
    let _ = writeln!(out, "{}", rule_line(config));
    for b in &report.banks {
        let _ = writeln!(
            out,
            "node {} bank {}: {} {}, flags {}: HOT_PLUGGABLE {}",
            b.node,
            b.bank,
            b.heap,
            human_size(b.size_in_bytes),
            flags_text(b.flags),
            if b.hot_pluggable { "set" } else { "not set" }
        );
    }
    for e in &report.unreadable {
        let _ = writeln!(out, "unreadable: {e}");
    }
    let _ = writeln!(
        out,
        "{} bank(s) selected: {} with HOT_PLUGGABLE ({HOT_PLUGGABLE:#x}), {} without; {} unreadable file(s)",
        report.banks.len(),
        report.with_flag,
        report.without_flag,
        report.unreadable.len()
    );
    let verdict = match report.result {
        "ok" => "verify: OK".to_string(),
        "flag_missing" => format!(
            "verify: FAILED: {} bank(s) without HOT_PLUGGABLE",
            report.without_flag
        ),
        "nothing_selected" => format!(
            "verify: FAILED: no bank selected (no node with device_id {:#06x} has a bank of heap {})",
            config.device_id, config.heaps
        ),
        _ => "verify: FAILED: unreadable files".to_string(),
    };
    let _ = writeln!(out, "{verdict}");
    out
}
