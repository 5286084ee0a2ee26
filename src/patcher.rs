// SPDX-License-Identifier: GPL-2.0

//! Patching banks of the live KFD topology, keeping track of them while
//! KFD's topology changes, and restoring them.
//!
//! [`KfdSysfs`] reads the topology through sysfs for [`walk`]; [`Patcher`]
//! is the visitor that checks each selected bank's struct against its sysfs
//! text and sets `HOT_PLUGGABLE` through the write gate, remembering exactly
//! the bits it set; at unload the same walk finds the patched banks again by
//! identity and clears those bits. A record's struct address is only an
//! identity: it is never dereferenced. Every access goes through a fresh
//! sysfs lookup, and every write through the gate (see the concurrency notes
//! in `rdna1_fg.rs`).

use crate::kfd_hooks::{gate_state, msleep, now_ns, GateGuard, GateState, HookStats};
use crate::kfd_mem::{MemError, MemRef};
use crate::logic::messages::{
    AlreadySet, BankRef, Forgotten, NoMatch, NoTopology, NotRestored, Patched, Refused, Rescan,
    Restored, Summary, Trigger, Unloaded, WouldPatch,
};
use crate::logic::props::{find_u32, MemBankProps, PropsError};
use crate::logic::restore::{self, Restore};
use crate::logic::rules::{BankAction, Config};
use crate::logic::status::{BankStatus, Counters, Latency, ModuleState, StatusHeader};
use crate::logic::textbuf::TextBuf;
use crate::logic::walk::{self, Outcome, Topology, Visitor, TOPOLOGY_DIR};
use crate::sysfs_file::{topology_path, FileError, SysfsFile};
use core::fmt::{self, Write};
use kernel::alloc::AllocError;
use kernel::prelude::*;

/// Size of the buffer `properties` texts are read into (sysfs shows at most
/// a page; the extra room tells a full page from a truncated read).
pub(crate) const TEXT_BUF_LEN: usize = 2 * 4096;

/// The live topology, read through sysfs.
pub(crate) struct KfdSysfs;

impl Topology for KfdSysfs {
    type Bank = SysfsFile;
    type Error = FileError;

    fn node_properties<'b>(
        &mut self,
        node: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<&'b str>, FileError> {
        match SysfsFile::open(&topology_path(node, None)?)? {
            None => Ok(None),
            Some(file) => file.read_text(buf).map(Some),
        }
    }

    fn bank_properties<'b>(
        &mut self,
        node: u32,
        bank: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<(SysfsFile, &'b str)>, FileError> {
        match SysfsFile::open(&topology_path(node, Some(bank))?)? {
            None => Ok(None),
            Some(file) => {
                let text = file.read_text(buf)?;
                Ok(Some((file, text)))
            }
        }
    }
}

/// Why a bank was not written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refusal {
    /// Its sysfs file could not be used.
    File(FileError),
    /// Its struct could not be reached or did not match.
    Mem(MemError),
    /// Its sysfs text did not parse.
    Props(PropsError),
    /// No memory for the record that unload needs.
    NoMemory,
    /// The bank's sysfs file is gone.
    BankGone,
    /// KFD is adding or removing topology nodes, or the topology changed
    /// since it was read.
    TopologyChanging,
    /// KFD is not loaded (amdgpu unloaded or unloading).
    NoKfd,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(e) => write!(f, "sysfs: {e}"),
            Self::Mem(e) => e.fmt(f),
            Self::Props(e) => write!(f, "sysfs text: {e}"),
            Self::NoMemory => f.write_str("out of memory for the restore record"),
            Self::BankGone => f.write_str("the bank is no longer in KFD's topology"),
            Self::TopologyChanging => {
                f.write_str("KFD's topology is changing; the next rescan retries")
            }
            Self::NoKfd => f.write_str("KFD is not loaded"),
        }
    }
}

impl From<FileError> for Refusal {
    fn from(e: FileError) -> Self {
        Self::File(e)
    }
}
impl From<MemError> for Refusal {
    fn from(e: MemError) -> Self {
        Self::Mem(e)
    }
}
impl From<PropsError> for Refusal {
    fn from(e: PropsError) -> Self {
        Self::Props(e)
    }
}
impl From<AllocError> for Refusal {
    fn from(_: AllocError) -> Self {
        Self::NoMemory
    }
}

/// A bank the module patched: what it set, and where.
struct PatchRecord {
    device_id: u16,
    /// Where the bank was last seen.
    at: BankRef,
    /// The struct's address: an identity, never dereferenced.
    mem: MemRef,
    /// The bank's size: with `mem`, tells the same bank from a new one.
    size_in_bytes: u64,
    /// `flags` before the patch.
    before: u32,
    /// Exactly the bits this module set (never a bit that was set before).
    bits: u32,
    /// The pass that last saw the bank.
    seen: u64,
}

impl PatchRecord {
    fn is(&self, mem: MemRef, sysfs: &MemBankProps) -> bool {
        self.mem == mem
            && self.at.heap_type == sysfs.heap_type
            && self.size_in_bytes == sysfs.size_in_bytes
    }
}

/// The pass in progress.
#[derive(Clone, Copy)]
struct Pass {
    /// Pass number (`Counters::scans`).
    id: u64,
    /// Gate epoch the pass read the topology at; writes need it unchanged.
    epoch: u64,
    /// The event that caused the pass, and when it happened.
    trigger: Option<(Trigger, u64)>,
}

/// What a walk does to the banks it visits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Patch them (load, rescans).
    Patch,
    /// Clear the bits recorded for them (unload).
    Restore,
}

/// Applies the rule to the topology, follows it as it changes, undoes it.
pub(crate) struct Patcher {
    config: Config,
    // INVARIANT: one record per bank whose bits this module set and has
    // neither restored nor forgotten; `bits` of each is non-zero.
    records: KVec<PatchRecord>,
    counters: Counters,
    last_latency: Option<Latency>,
    last_error: TextBuf<200>,
    pass: Pass,
    mode: Mode,
    unloaded: Unloaded,
}

impl Patcher {
    /// A patcher for `config`.
    pub(crate) fn new(config: Config) -> Self {
        Self {
            config,
            records: KVec::new(),
            counters: Counters::default(),
            last_latency: None,
            last_error: TextBuf::new(),
            pass: Pass {
                id: 0,
                epoch: 0,
                trigger: None,
            },
            mode: Mode::Patch,
            unloaded: Unloaded {
                restored: 0,
                not_restored: 0,
            },
        }
    }

    /// Walks the live topology, patching what the rule selects, keeping
    /// track of banks patched before and forgetting those that are gone.
    /// `epoch` is the gate epoch read before the walk.
    pub(crate) fn rescan(&mut self, buf: &mut [u8], epoch: u64, why: Trigger, hooks: &HookStats) {
        self.counters.scans += 1;
        self.pass = Pass {
            id: self.counters.scans,
            epoch,
            trigger: hooks.trigger.filter(|(t, _)| *t == why),
        };
        if why != Trigger::Load {
            info(Rescan(why));
        }
        let config = self.config;
        self.mode = Mode::Patch;
        let tally = walk::walk(&mut KfdSysfs, &config, buf, self);
        // Banks not seen in a complete pass have left the topology. A pass
        // is complete if nothing was refused and the topology did not change
        // while it ran (adding a node rebuilds every node's sysfs tree, so a
        // pass during that sees only part of it).
        if tally.refused == 0 && gate_state() == GateState::Open(epoch) {
            let pass = self.pass.id;
            self.forget_where(|r| r.seen != pass, "no longer in KFD's topology");
        }
        if tally.nodes == 0 {
            info(NoTopology { path: TOPOLOGY_DIR });
        } else if tally.matched_nodes == 0 {
            info(NoMatch {
                device_id: config.device_id,
                nodes: tally.nodes,
            });
        } else {
            info(Summary {
                tally,
                dry_run: config.dry_run,
            });
        }
    }

    /// Forgets every record: KFD's topology is gone (amdgpu unloaded), so
    /// there is nothing to restore and nothing may be touched.
    pub(crate) fn forget_all(&mut self, reason: &str) {
        self.forget_where(|_| true, reason);
    }

    fn forget_where(&mut self, gone: impl Fn(&PatchRecord) -> bool, reason: &str) {
        let mut i = 0;
        while i < self.records.len() {
            if !self.records.get(i).is_some_and(&gone) {
                i += 1;
                continue;
            }
            if let Ok(record) = self.records.remove(i) {
                self.counters.forgotten += 1;
                info(Forgotten {
                    device_id: record.device_id,
                    at: record.at,
                    reason,
                });
            }
        }
    }

    fn note_error(&mut self, what: &dyn fmt::Display) {
        self.last_error = TextBuf::new();
        // A message longer than the buffer is cut: `write!` stops at the
        // first piece that does not fit.
        let _ = write!(self.last_error, "{what}");
    }

    fn find_record(&self, mem: MemRef, sysfs: &MemBankProps) -> Option<usize> {
        self.records.iter().position(|r| r.is(mem, sysfs))
    }

    /// Handles one selected bank; returns what happened.
    fn visit(
        &mut self,
        device_id: u16,
        at: BankRef,
        file: &SysfsFile,
        sysfs: &MemBankProps,
        action: BankAction,
    ) -> Result<Outcome, Refusal> {
        let layout = self.config.layout;
        let mem = MemRef::from_attribute(file.attribute()?, &layout)?;
        let known = self.find_record(mem, sysfs);
        let (before, after) = match (action, known) {
            (BankAction::Skip, _) => return Ok(Outcome::Ignored),
            (BankAction::AlreadySet, Some(i)) => {
                // Ours, from an earlier pass: the node may have a new index.
                if let Some(record) = self.records.get_mut(i) {
                    record.at = at;
                    record.seen = self.pass.id;
                }
                return Ok(Outcome::Kept);
            }
            (BankAction::AlreadySet, None) => {
                self.counters.already_set += 1;
                info(AlreadySet {
                    device_id,
                    at,
                    flags: sysfs.flags,
                });
                return Ok(Outcome::AlreadySet);
            }
            (BankAction::Patch { before, after }, _) => (before, after),
        };
        let line = Patched {
            device_id,
            at,
            before,
            after,
        };
        if self.config.dry_run {
            mem.verify(&layout, sysfs)?;
            info(WouldPatch(line));
            return Ok(Outcome::Patched);
        }
        if known.is_none() {
            // Room for the record first: once the bit is written, the record
            // that lets unload clear it must never fail to be kept.
            self.records.reserve(1, GFP_KERNEL)?;
        }
        {
            let gate = GateGuard::enter(self.pass.epoch).ok_or(Refusal::TopologyChanging)?;
            mem.set_flags(&gate, &layout, sysfs, after)?;
        }
        let written = now_ns();
        let bits = restore::bits_set(before, after);
        match known.and_then(|i| self.records.get_mut(i)) {
            // Someone cleared our bit; it is set again and still ours.
            Some(record) => {
                record.at = at;
                record.seen = self.pass.id;
                record.bits |= bits;
            }
            None => {
                let record = PatchRecord {
                    device_id,
                    at,
                    mem,
                    size_in_bytes: sysfs.size_in_bytes,
                    before,
                    bits,
                    seen: self.pass.id,
                };
                if self.records.push_within_capacity(record).is_err() {
                    // Not reachable after `reserve`; undo rather than forget
                    // the bit.
                    let gate =
                        GateGuard::enter(self.pass.epoch).ok_or(Refusal::TopologyChanging)?;
                    let patched = MemBankProps {
                        flags: after,
                        ..*sysfs
                    };
                    mem.set_flags(&gate, &layout, &patched, before)?;
                    return Err(Refusal::NoMemory);
                }
            }
        }
        self.counters.patched += 1;
        if let Some((trigger, at_ns)) = self.pass.trigger {
            self.last_latency = Some(Latency {
                ns: written.saturating_sub(at_ns),
                trigger,
            });
        }
        info(line);
        Ok(Outcome::Patched)
    }

    /// Clears the bits this module set: walks the topology, finds each
    /// patched bank again by identity and clears its bits through the gate.
    /// While KFD is adding or removing a node it waits and walks again, for a
    /// bounded time; what it cannot reach is reported, not written. Logs every
    /// bank and a summary.
    pub(crate) fn restore_all(&mut self, buf: &mut [u8]) {
        const ATTEMPTS: u32 = 50;
        const WAIT_MS: u32 = 100;
        let config = self.config;
        self.mode = Mode::Restore;
        for _ in 0..ATTEMPTS {
            if self.records.is_empty() {
                break;
            }
            match gate_state() {
                GateState::NoKfd => break,
                GateState::Changing => msleep(WAIT_MS),
                GateState::Open(epoch) => {
                    self.pass.epoch = epoch;
                    walk::walk(&mut KfdSysfs, &config, buf, self);
                    if gate_state() == GateState::Open(epoch) {
                        // A whole pass on a stable topology: what it did
                        // not find is gone.
                        break;
                    }
                }
            }
        }
        let reason = match gate_state() {
            GateState::NoKfd => Refusal::NoKfd,
            GateState::Changing => Refusal::TopologyChanging,
            GateState::Open(_) => Refusal::BankGone,
        };
        for record in self.records.drain_all() {
            self.unloaded.not_restored += 1;
            info(NotRestored {
                device_id: record.device_id,
                at: record.at,
                reason: &reason,
            });
        }
        info(Unloaded { ..self.unloaded });
    }

    /// In a restore walk: clears the recorded bits of this bank, if it is
    /// one the module patched.
    fn restore_bank(
        &mut self,
        at: BankRef,
        file: &SysfsFile,
        sysfs: &MemBankProps,
    ) -> Result<Outcome, Refusal> {
        let layout = self.config.layout;
        let mem = MemRef::from_attribute(file.attribute()?, &layout)?;
        let Some(index) = self.find_record(mem, sysfs) else {
            return Ok(Outcome::Ignored);
        };
        let Some(record) = self.records.get(index) else {
            return Ok(Outcome::Ignored);
        };
        let (device_id, bits) = (record.device_id, record.bits);
        let plan = restore::plan(sysfs.flags, bits);
        if let Restore::Clear { after, .. } = plan {
            let written = GateGuard::enter(self.pass.epoch)
                .ok_or(Refusal::TopologyChanging)
                .and_then(|gate| Ok(mem.set_flags(&gate, &layout, sysfs, after)?));
            match written {
                Ok(()) => {}
                // The topology is changing: keep the record, walk again.
                Err(Refusal::TopologyChanging) => return Err(Refusal::TopologyChanging),
                Err(reason) => {
                    let _ = self.records.remove(index);
                    self.unloaded.not_restored += 1;
                    info(NotRestored {
                        device_id,
                        at,
                        reason: &reason,
                    });
                    return Ok(Outcome::Ignored);
                }
            }
        }
        // Done with this bank: it no longer holds a bit of ours.
        let _ = self.records.remove(index);
        match plan {
            Restore::Clear { before, after } => {
                self.unloaded.restored += 1;
                self.counters.restored += 1;
                info(Restored {
                    device_id,
                    at,
                    before,
                    after,
                });
            }
            Restore::AlreadyClear => {
                self.unloaded.not_restored += 1;
                info(NotRestored {
                    device_id,
                    at,
                    reason: &"the bit was already cleared by someone else",
                });
            }
        }
        Ok(Outcome::Ignored)
    }

    /// Writes the status file's text.
    pub(crate) fn write_status(
        &self,
        f: &mut fmt::Formatter<'_>,
        buf: &mut [u8],
        hooks: &HookStats,
    ) -> fmt::Result {
        let state = match gate_state() {
            GateState::Open(_) => ModuleState::Active,
            GateState::Changing => ModuleState::TopologyChanging,
            GateState::NoKfd => ModuleState::WaitingForKfd,
        };
        let header = StatusHeader {
            config: &self.config,
            state,
            counters: self.counters,
            hooks: hooks.hits,
            last_latency: self.last_latency,
            last_error: self.last_error.as_str(),
            patched_banks: self.records.len(),
        };
        write!(f, "{header}")?;
        for record in self.records.iter() {
            let now = current_flags(record.at, buf);
            let line = BankStatus {
                at: record.at,
                before: record.before,
                now,
            };
            write!(f, "{line}")?;
        }
        Ok(())
    }
}

/// `flags` of a bank as its sysfs file shows them now.
fn current_flags(at: BankRef, buf: &mut [u8]) -> Option<u32> {
    let path = topology_path(at.node, Some(at.bank)).ok()?;
    let file = SysfsFile::open(&path).ok()??;
    find_u32(file.read_text(buf).ok()?, "flags").ok()
}

impl Visitor<KfdSysfs> for Patcher {
    fn bank(
        &mut self,
        device_id: u16,
        at: BankRef,
        file: SysfsFile,
        sysfs: &MemBankProps,
        action: BankAction,
    ) -> Outcome {
        let done = match self.mode {
            Mode::Patch => self.visit(device_id, at, &file, sysfs, action),
            Mode::Restore => self.restore_bank(at, &file, sysfs),
        };
        match done {
            Ok(outcome) => outcome,
            Err(reason) => {
                self.refused(at.node, Some(at.bank), &reason);
                Outcome::Refused
            }
        }
    }

    fn refused(&mut self, node: u32, bank: Option<u32>, reason: &dyn fmt::Display) {
        self.counters.refused += 1;
        let line = Refused {
            device_id: self.config.device_id,
            node,
            bank,
            reason,
        };
        self.note_error(&line);
        info(line);
    }
}

/// Logs one line at info level (`rdna1_fg: KFD: ...`).
pub(crate) fn info(line: impl fmt::Display) {
    pr_info!("{}\n", format_args!("{line}"));
}
