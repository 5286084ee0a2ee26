// SPDX-License-Identifier: GPL-2.0

//! The walk over KFD's topology, independent of how files are read.
//!
//! KFD numbers its topology nodes `nodes/0`, `nodes/1`, ... without gaps, and
//! a node's memory banks `mem_banks/0`, `mem_banks/1`, ... likewise. The walk
//! reads each node's `properties`, keeps the nodes whose `device_id` matches
//! the rule, reads each of their banks' `properties`, decides with
//! [`rules::decide`] and hands every bank that needs attention to a
//! [`Visitor`]. The kernel module's visitor checks the layout and writes; the
//! host tool's visitor only reports.

use super::messages::{BankRef, Tally};
use super::props::{MemBankProps, NodeProps};
use super::rules::{self, BankAction, Config};
use core::fmt;

/// Where KFD publishes its topology in sysfs.
pub const TOPOLOGY_DIR: &str = "/sys/class/kfd/kfd/topology";

/// The same directory relative to the root of sysfs (the kernel module opens
/// it through its own mount of sysfs).
pub const TOPOLOGY_IN_SYSFS: &str = "class/kfd/kfd/topology";

/// Upper bound on nodes looked at (KFD's own limit is far lower).
pub const MAX_NODES: u32 = 256;

/// Upper bound on banks looked at per node.
pub const MAX_BANKS: u32 = 64;

/// A source of topology `properties` texts.
pub trait Topology {
    /// A handle on one bank's `properties` file, given to the visitor.
    type Bank;
    /// A read failure.
    type Error: fmt::Display;

    /// Reads `nodes/<node>/properties` into `buf`. `Ok(None)`: no such node.
    fn node_properties<'b>(
        &mut self,
        node: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<&'b str>, Self::Error>;

    /// The `gpu_id` of `nodes/<node>` (0 for a CPU node), part of a bank's
    /// identity; `Ok(None)` where the source does not have it. An error
    /// refuses the node, as an unreadable `properties` does: a bank whose
    /// identity is incomplete must not be taken for another.
    fn gpu_id(&mut self, _node: u32, _buf: &mut [u8]) -> Result<Option<u32>, Self::Error> {
        Ok(None)
    }

    /// Opens and reads `nodes/<node>/mem_banks/<bank>/properties` into `buf`.
    /// `Ok(None)`: no such bank.
    fn bank_properties<'b>(
        &mut self,
        node: u32,
        bank: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<(Self::Bank, &'b str)>, Self::Error>;
}

/// What a visitor did with a bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The bit was set (or, in a dry run, would have been).
    Patched,
    /// The bit is set, by this module in an earlier pass.
    Kept,
    /// The bit was already set, not by this module.
    AlreadySet,
    /// Nothing was written, for a reason the visitor logged.
    Refused,
    /// The visitor had nothing to do (not counted).
    Ignored,
}

/// A node the rule selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectedNode {
    /// Its PCI device id.
    pub device_id: u16,
    /// Its `gpu_id`, where the source has it ([`Topology::gpu_id`]).
    pub gpu_id: Option<u32>,
}

/// Acts on the banks the walk selects.
pub trait Visitor<T: Topology> {
    /// A bank of a matching node whose heap type is enabled; `action` is
    /// [`BankAction::Patch`] or [`BankAction::AlreadySet`].
    fn bank(
        &mut self,
        node: SelectedNode,
        at: BankRef,
        handle: T::Bank,
        sysfs: &MemBankProps,
        action: BankAction,
    ) -> Outcome;

    /// A node or bank whose `properties` could not be read or parsed.
    fn refused(&mut self, node: u32, bank: Option<u32>, reason: &dyn fmt::Display);
}

/// Walks the topology; returns the counts. `tally.nodes == 0` means there is
/// no topology at all (KFD always creates at least the CPU node 0).
/// `tally.short_nodes` counts the matching nodes where the walk met fewer
/// banks than the node's `mem_banks_count` (a bank gone mid-walk).
pub fn walk<T: Topology, V: Visitor<T>>(
    topology: &mut T,
    config: &Config,
    buf: &mut [u8],
    visitor: &mut V,
) -> Tally {
    let mut tally = Tally::default();
    for node in 0..MAX_NODES {
        let node_props = match topology.node_properties(node, buf) {
            Ok(None) => break,
            Ok(Some(text)) => NodeProps::parse(text),
            Err(e) => {
                tally.nodes += 1;
                tally.refused += 1;
                visitor.refused(node, None, &e);
                continue;
            }
        };
        tally.nodes += 1;
        let node_props = match node_props {
            Ok(p) => p,
            Err(e) => {
                tally.refused += 1;
                visitor.refused(node, None, &e);
                continue;
            }
        };
        if !config.node_matches(node_props.device_id) {
            continue;
        }
        tally.matched_nodes += 1;
        let gpu_id = match topology.gpu_id(node, buf) {
            Ok(id) => id,
            Err(e) => {
                tally.refused += 1;
                visitor.refused(node, None, &e);
                continue;
            }
        };
        let selected = SelectedNode {
            device_id: config.device_id,
            gpu_id,
        };
        let met = walk_banks(topology, config, selected, node, buf, visitor, &mut tally);
        if node_props.mem_banks_count != Some(met) {
            tally.short_nodes += 1;
        }
    }
    tally
}

/// Walks the banks of `node`; returns how many it met (read or not), up to
/// the first index that does not exist.
fn walk_banks<T: Topology, V: Visitor<T>>(
    topology: &mut T,
    config: &Config,
    selected: SelectedNode,
    node: u32,
    buf: &mut [u8],
    visitor: &mut V,
    tally: &mut Tally,
) -> u32 {
    let mut met = 0;
    for bank in 0..MAX_BANKS {
        let found = topology.bank_properties(node, bank, buf);
        if !matches!(found, Ok(None)) {
            met += 1;
        }
        let (handle, props) = match found {
            Ok(None) => break,
            Ok(Some((handle, text))) => (handle, MemBankProps::parse(text)),
            Err(e) => {
                tally.refused += 1;
                visitor.refused(node, Some(bank), &e);
                continue;
            }
        };
        let props = match props {
            Ok(p) => p,
            Err(e) => {
                tally.refused += 1;
                visitor.refused(node, Some(bank), &e);
                continue;
            }
        };
        let action = rules::decide(config, props.heap_type, props.flags);
        if action == BankAction::Skip {
            continue;
        }
        let at = BankRef {
            node,
            bank,
            heap_type: props.heap_type,
        };
        match visitor.bank(selected, at, handle, &props, action) {
            Outcome::Patched => tally.patched += 1,
            Outcome::Kept => tally.kept += 1,
            Outcome::AlreadySet => tally.already_set += 1,
            Outcome::Refused => tally.refused += 1,
            Outcome::Ignored => {}
        }
    }
    met
}
