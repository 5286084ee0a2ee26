// SPDX-License-Identifier: GPL-2.0

//! The records of the banks the module patched: what it set, on which bank,
//! in which instance of KFD's topology.
//!
//! A record's identity is the node's `gpu_id`, the bank's attribute address,
//! heap type and size, and the KFD instance ([`KfdEpoch`]) it was written
//! in. The address is only compared, never dereferenced: within one KFD
//! instance a live bank keeps its struct, and a record from an earlier
//! instance is forgotten before any walk can compare it with the structs
//! of a new one (`logic/pass.rs`).

use crate::logic::messages::{BankRef, Forgotten, NotRestored};
use crate::logic::pass::KfdEpoch;
use crate::logic::rules::Config;
use crate::logic::status::Counters;
use crate::patcher::{info, warn, Refusal};
use kernel::alloc::AllocError;
use kernel::prelude::*;

/// What tells one bank from another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BankIdentity {
    /// The node's `gpu_id` (`None`: it could not be read).
    pub(crate) gpu_id: Option<u32>,
    /// The bank's attribute address, as the probe on `mem_show` saw it.
    pub(crate) attr: usize,
    /// `heap_type`.
    pub(crate) heap_type: u32,
    /// `size_in_bytes`.
    pub(crate) size_in_bytes: u64,
    /// The KFD instance the bank belongs to.
    pub(crate) epoch: KfdEpoch,
}

/// A bank the module patched: what it set, and where.
pub(crate) struct PatchRecord {
    pub(crate) device_id: u16,
    pub(crate) id: BankIdentity,
    /// Where the bank was last seen.
    pub(crate) at: BankRef,
    /// `flags` before the patch.
    pub(crate) before: u32,
    /// Exactly the bits this module set (never a bit that was set before,
    /// unless adopted with `adopt=1`).
    pub(crate) bits: u32,
    /// The pass that last saw the bank.
    pub(crate) seen: u64,
    /// KFD's device removals counted when that pass began: a bank can
    /// leave KFD's topology only through a removal after it.
    pub(crate) removes_seen: u64,
    /// The last pass that met a bank it could not identify (the write probe
    /// did not run) with this record's `gpu_id`, heap type and size: it may
    /// have been this one, so that pass must not forget it.
    pub(crate) maybe_seen: u64,
    /// Why the current restore walk could not clear the bits of the bank,
    /// having met it (reset at every restore walk).
    pub(crate) not_restored: Option<Refusal>,
}

/// The records.
pub(crate) struct Records {
    // INVARIANT: one record per bank whose bits this module set (or adopted)
    // and has neither restored nor forgotten; `bits` of each is non-zero.
    list: KVec<PatchRecord>,
}

impl PatchRecord {
    /// Whether KFD removed a device since the bank was last seen, with
    /// `removes_now` removals counted by the hooks now: without one, the
    /// bank cannot have left KFD's topology (`logic::pass::forgettable`).
    pub(crate) fn removed_since(&self, removes_now: u64) -> bool {
        removes_now > self.removes_seen
    }
}

impl Records {
    pub(crate) fn new() -> Self {
        Self { list: KVec::new() }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &PatchRecord> {
        self.list.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut PatchRecord> {
        self.list.iter_mut()
    }

    pub(crate) fn get(&self, index: usize) -> Option<&PatchRecord> {
        self.list.get(index)
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut PatchRecord> {
        self.list.get_mut(index)
    }

    /// The record of the bank `id`, if any.
    pub(crate) fn find(&self, id: &BankIdentity) -> Option<usize> {
        self.list.iter().position(|r| r.id == *id)
    }

    /// Room for one more record: taken before a bit is written, so that
    /// once it is, the record that lets unload clear it is always kept.
    pub(crate) fn reserve_one(&mut self) -> Result<(), AllocError> {
        self.list.reserve(1, GFP_KERNEL)
    }

    /// Keeps a record, in the room [`Records::reserve_one`] made.
    pub(crate) fn keep(&mut self, record: PatchRecord, config: &Config) {
        if let Err(kernel::alloc::kvec::PushError(record)) = self.list.push_within_capacity(record)
        {
            // Not reachable after `reserve_one`. The bit stays set: say so.
            warn(NotRestored {
                device_id: record.device_id,
                at: record.at,
                reason: &Refusal::NoMemory,
                hint: Some(config),
            });
        }
    }

    /// The record at `index` is done with: its bank holds no bit of ours.
    pub(crate) fn remove(&mut self, index: usize) {
        let _ = self.list.remove(index);
    }

    /// Forgets, with a line each, the records `gone` says have left KFD.
    pub(crate) fn forget_where(
        &mut self,
        gone: impl Fn(&PatchRecord) -> bool,
        reason: &dyn core::fmt::Display,
        counters: &mut Counters,
    ) {
        let mut i = 0;
        while i < self.list.len() {
            if !self.list.get(i).is_some_and(&gone) {
                i += 1;
                continue;
            }
            if let Ok(record) = self.list.remove(i) {
                counters.forgotten += 1;
                info(Forgotten {
                    device_id: record.device_id,
                    at: record.at,
                    reason,
                });
            }
        }
    }

    /// A bank of `gpu_id` with this heap type and size could not be
    /// identified by `pass`: any record it may be is marked as maybe seen.
    pub(crate) fn maybe_seen(
        &mut self,
        gpu_id: Option<u32>,
        heap_type: u32,
        size_in_bytes: u64,
        pass: u64,
    ) {
        for record in self.list.iter_mut() {
            if record.id.gpu_id == gpu_id
                && record.id.heap_type == heap_type
                && record.id.size_in_bytes == size_in_bytes
            {
                record.maybe_seen = pass;
            }
        }
    }

    /// Takes every record out, for unload's report.
    pub(crate) fn drain_all(&mut self) -> impl Iterator<Item = PatchRecord> + '_ {
        self.list.drain_all()
    }
}
