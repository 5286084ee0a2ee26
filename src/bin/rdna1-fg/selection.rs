// SPDX-License-Identifier: GPL-2.0

//! Which nodes and banks the rule selects: the module's own decision
//! (`logic::rules`), applied to a topology read by [`crate::topology`].

use crate::format::heap_names;
use crate::topology::{FileError, Node};
use rdna1_fg::logic::heap::HOT_PLUGGABLE;
use rdna1_fg::logic::props::MemBankProps;
use rdna1_fg::logic::rules::{decide, BankAction, Config};
use serde::Serialize;

/// The rule, for reports.
#[derive(Debug, Serialize)]
pub struct RuleJson {
    /// PCI device id of the selected nodes.
    pub device_id: u16,
    /// Heap types selected, as a mask.
    pub heap_mask: u32,
    /// The same, as names.
    pub heaps: Vec<&'static str>,
}

impl RuleJson {
    /// The rule of `config`.
    pub fn new(config: &Config) -> Self {
        Self {
            device_id: config.device_id,
            heap_mask: config.heaps.0,
            heaps: heap_names(config.heaps.0),
        }
    }
}

/// The rule as one line of text.
pub fn rule_line(config: &Config) -> String {
    format!(
        "rule: device_id {:#06x}, heaps {}{}",
        config.device_id,
        config.heaps,
        if config.heaps.contains(rdna1_fg::logic::heap::HEAP_SYSTEM) {
            " (SYSTEM included: test setting)"
        } else {
            ""
        }
    )
}

/// Whether the rule selects this node; `None` when its properties are unreadable.
pub fn node_selected(config: &Config, node: &Node) -> Option<bool> {
    node.info
        .as_ref()
        .ok()
        .map(|info| config.node_matches(info.ids.device_id))
}

/// Whether the rule selects this bank of a selected node.
pub fn bank_selected(config: &Config, props: &MemBankProps) -> bool {
    decide(config, props.heap_type, props.flags) != BankAction::Skip
}

/// The selected banks of one node, counted.
#[derive(Debug, Default)]
pub struct NodeTally<'a> {
    /// Selected banks with the flag: `(bank, props)`.
    pub with_flag: Vec<(u32, &'a MemBankProps)>,
    /// Selected banks without it.
    pub without_flag: Vec<(u32, &'a MemBankProps)>,
    /// Banks that could not be read.
    pub unreadable: Vec<&'a FileError>,
}

impl<'a> NodeTally<'a> {
    /// Counts the banks of a selected node.
    pub fn of(config: &Config, node: &'a Node) -> Self {
        let mut tally = Self::default();
        for bank in &node.banks {
            match &bank.props {
                Err(e) => tally.unreadable.push(e),
                Ok(p) if !bank_selected(config, p) => {}
                Ok(p) if p.flags & HOT_PLUGGABLE != 0 => tally.with_flag.push((bank.id, p)),
                Ok(p) => tally.without_flag.push((bank.id, p)),
            }
        }
        tally
    }

    /// Selected banks that could be read.
    pub fn selected(&self) -> usize {
        self.with_flag.len() + self.without_flag.len()
    }
}
