// SPDX-License-Identifier: GPL-2.0

//! Patching banks of the live KFD topology, keeping track of them while
//! KFD's topology changes, and restoring them.
//!
//! [`KfdSysfs`] reads the topology through the module's sysfs mount for
//! [`walk`]; every bank is read with an `Observe` request, so the probe on
//! `mem_show` reports which attribute (and so which struct) the text came
//! from. [`Patcher`] is the visitor: it decides, then reads the same open file
//! again with a `Write` request, and the probe writes from inside KFD's
//! `mem_show` (see `kfd_mem.rs`). It remembers exactly the bits it set; at
//! unload the same walk finds the patched banks again by identity and clears
//! those bits the same way. A record's attribute address is only an
//! identity: the module never dereferences it.

use crate::kfd_hooks::{hook_stats, now_ns, HookStats, TopologyGen};
use crate::kfd_mem::{read_bank, BankRead};
use crate::logic::handoff::{Request, Served, ShowRefusal};
use crate::logic::heap::HOT_PLUGGABLE;
use crate::logic::messages::{
    Adopted, AlreadySet, BankRef, Forgotten, NoMatch, NoTopology, NotRestored, Patched, Refused,
    Rescan, Restored, Summary, Trigger, Unloaded, WouldPatch, WriteProbeBack, WriteProbeSilent,
};
use crate::logic::props::{find_u32, MemBankProps, PropsError};
use crate::logic::restore::{self, PassSight, Restore};
use crate::logic::rules::{BankAction, Config};
use crate::logic::status::{BankStatus, Counters, Latency, ModuleState, StatusHeader, WriteProbe};
use crate::logic::textbuf::TextBuf;
use crate::logic::walk::{self, Outcome, Topology, Visitor, TOPOLOGY_DIR};
use crate::sysfs_file::{topology_path, FileError, SysfsFile, SysfsMount};
use core::fmt::{self, Write};
use kernel::alloc::AllocError;
use kernel::prelude::*;
use kernel::time::{delay::fsleep, Delta};

/// Size of the buffers `properties` texts are read into (sysfs shows at most
/// a page; the extra room tells a full page from a truncated read).
pub(crate) const TEXT_BUF_LEN: usize = 2 * 4096;

/// The first retry after the write probe did not run, and the longest.
const RETRY_FIRST_MS: u32 = 1000;
const RETRY_MAX_MS: u32 = 8000;

/// One bank's open `properties` file, and the attribute KFD showed for it.
pub(crate) struct OpenBank {
    file: SysfsFile,
    /// `None`: the probe on `mem_show` did not run for the read.
    attr: Option<usize>,
}

/// The live topology, read through the module's sysfs mount.
pub(crate) struct KfdSysfs<'m> {
    mount: &'m SysfsMount,
}

impl Topology for KfdSysfs<'_> {
    type Bank = OpenBank;
    type Error = FileError;

    fn node_properties<'b>(
        &mut self,
        node: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<&'b str>, FileError> {
        match SysfsFile::open(self.mount, &topology_path(node, None)?)? {
            None => Ok(None),
            Some(file) => file.read_text(buf).map(Some),
        }
    }

    fn bank_properties<'b>(
        &mut self,
        node: u32,
        bank: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<(OpenBank, &'b str)>, FileError> {
        let Some(file) = SysfsFile::open(self.mount, &topology_path(node, Some(bank))?)? else {
            return Ok(None);
        };
        let BankRead { text, served } = read_bank(&file, Request::Observe, buf);
        let attr = match served {
            Some(Served::Observed { attr }) => Some(attr),
            _ => None,
        };
        Ok(Some((OpenBank { file, attr }, text?)))
    }
}

/// Why a bank was not written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refusal {
    /// Its sysfs file could not be used.
    File(FileError),
    /// The probe refused the write.
    Show(ShowRefusal),
    /// Its sysfs text did not parse.
    Props(PropsError),
    /// No memory for the record that unload needs.
    NoMemory,
    /// The probe on `mem_show` did not run for the module's read.
    WriteProbeNotRun,
    /// The probe on `mem_show` is not registered (test setting).
    WriteProbeLeftOut,
    /// The bank is no longer in KFD's topology.
    BankGone,
    /// KFD is not loaded (amdgpu unloaded or unloading).
    NoKfd,
}

impl Refusal {
    /// Whether the bank is still there with its bit set: the user must be
    /// told how to clear it.
    fn leaves_bit_set(self) -> bool {
        !matches!(self, Self::BankGone | Self::NoKfd)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(e) => write!(f, "sysfs: {e}"),
            Self::Show(e) => e.fmt(f),
            Self::Props(e) => write!(f, "sysfs text: {e}"),
            Self::NoMemory => f.write_str("out of memory for the restore record"),
            Self::WriteProbeNotRun => f.write_str(
                "the probe on KFD's mem_show did not run (kprobes disarmed or the probe missed)",
            ),
            Self::WriteProbeLeftOut => {
                f.write_str("the probe on KFD's mem_show is not registered (test_no_write_probe=1)")
            }
            Self::BankGone => f.write_str("the bank is no longer in KFD's topology"),
            Self::NoKfd => f.write_str("KFD is not loaded"),
        }
    }
}

impl From<FileError> for Refusal {
    fn from(e: FileError) -> Self {
        Self::File(e)
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
    /// The bank's attribute address: an identity, never dereferenced.
    attr: usize,
    /// The bank's size: with `attr`, tells the same bank from a new one.
    size_in_bytes: u64,
    /// `flags` before the patch.
    before: u32,
    /// Exactly the bits this module set (never a bit that was set before,
    /// unless adopted with `adopt=1`).
    bits: u32,
    /// The pass that last saw the bank.
    seen: u64,
    /// The last pass that met a bank it could not identify (the write probe
    /// did not run) with this record's device, heap type and size: it may
    /// have been this one, so that pass must not forget it.
    maybe_seen: u64,
    /// Why the last restore attempt wrote nothing.
    not_restored: Option<Refusal>,
}

impl PatchRecord {
    fn is(&self, attr: usize, sysfs: &MemBankProps) -> bool {
        self.attr == attr
            && self.at.heap_type == sysfs.heap_type
            && self.size_in_bytes == sysfs.size_in_bytes
    }
}

/// The pass in progress.
#[derive(Clone, Copy)]
struct Pass {
    /// Pass number (`Counters::scans`).
    id: u64,
    /// The event that caused the pass, and when it happened.
    trigger: Option<(Trigger, u64)>,
    /// Every bank of the matching nodes was read and identified.
    complete: bool,
    /// A node or bank could not be read at all: any record may be behind it.
    unreadable: bool,
    /// A bank could not be written because the write probe did not run.
    probe_not_run: bool,
    /// A bank was patched.
    patched: bool,
    /// A retry: refusals for want of the write probe are counted, not
    /// logged again.
    quiet: bool,
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
    // INVARIANT: one record per bank whose bits this module set (or adopted)
    // and has neither restored nor forgotten; `bits` of each is non-zero.
    records: KVec<PatchRecord>,
    /// The buffer of the second read of a bank (the one that writes).
    scratch: KVec<u8>,
    counters: Counters,
    last_latency: Option<Latency>,
    last_error: TextBuf<200>,
    pass: Pass,
    mode: Mode,
    /// The write probe did not run on the last read that needed it.
    probe_silent: bool,
    /// The next retry's delay.
    retry_ms: u32,
    unloaded: Unloaded,
}

impl Patcher {
    /// The rule in force.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// A patcher for `config`.
    pub(crate) fn new(config: Config) -> Result<Self> {
        Ok(Self {
            config,
            records: KVec::new(),
            scratch: KVec::from_elem(0u8, TEXT_BUF_LEN, GFP_KERNEL)?,
            counters: Counters::default(),
            last_latency: None,
            last_error: TextBuf::new(),
            pass: Pass {
                id: 0,
                trigger: None,
                complete: true,
                unreadable: false,
                probe_not_run: false,
                patched: false,
                quiet: false,
            },
            mode: Mode::Patch,
            probe_silent: false,
            retry_ms: RETRY_FIRST_MS,
            unloaded: Unloaded {
                restored: 0,
                not_restored: 0,
            },
        })
    }

    fn begin_pass(&mut self, trigger: Option<(Trigger, u64)>, mode: Mode, quiet: bool) {
        self.counters.scans += 1;
        self.mode = mode;
        self.pass = Pass {
            id: self.counters.scans,
            trigger,
            complete: true,
            unreadable: false,
            probe_not_run: false,
            patched: false,
            quiet,
        };
    }

    /// Walks the live topology, patching what the rule selects, keeping
    /// track of banks patched before and forgetting those that are gone.
    /// Returns the delay of a retry, when a bank waits for the write probe.
    pub(crate) fn rescan(
        &mut self,
        mount: &SysfsMount,
        buf: &mut [u8],
        why: Trigger,
        hooks: &HookStats,
    ) -> Option<u32> {
        let quiet = why == Trigger::Retry;
        self.begin_pass(hooks.trigger.filter(|(t, _)| *t == why), Mode::Patch, quiet);
        if why != Trigger::Load && !quiet {
            info(Rescan(why));
        }
        let config = self.config;
        let before = hooks.topology;
        let tally = walk::walk(&mut KfdSysfs { mount }, &config, buf, self);
        // Banks not seen in a pass on a topology that did not change
        // meanwhile have left it (adding or removing a node rebuilds every
        // node's sysfs tree, so a pass during that sees only part of it),
        // one by one: a record is forgotten when no bank of the pass could
        // have been it (see `forgettable`). This is bookkeeping only: no
        // write depends on it.
        if stable(before, hook_stats().topology) {
            let pass = self.pass;
            self.forget_where(
                |r| forgettable(r, &pass, mount),
                "no longer in KFD's topology",
            );
        }
        if !quiet || self.pass.patched {
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
        if !self.pass.probe_not_run || !config.write_probe {
            self.retry_ms = RETRY_FIRST_MS;
            return None;
        }
        let delay = self.retry_ms;
        self.retry_ms = self.retry_ms.saturating_mul(2).min(RETRY_MAX_MS);
        Some(delay)
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

    fn find_record(&self, attr: usize, sysfs: &MemBankProps) -> Option<usize> {
        self.records.iter().position(|r| r.is(attr, sysfs))
    }

    /// The probe did not run for a read that needed it.
    fn probe_did_not_run(&mut self) -> Refusal {
        self.counters.probe_not_run += 1;
        self.pass.complete = false;
        self.pass.probe_not_run = true;
        if !self.probe_silent {
            self.probe_silent = true;
            warn(WriteProbeSilent {
                registered: self.config.write_probe,
            });
        }
        if self.config.write_probe {
            Refusal::WriteProbeNotRun
        } else {
            Refusal::WriteProbeLeftOut
        }
    }

    /// The probe ran for a read.
    fn probe_ran(&mut self) {
        if self.probe_silent {
            self.probe_silent = false;
            info(WriteProbeBack);
        }
    }

    /// The attribute KFD showed for `bank`, if the probe saw it.
    fn identify(&mut self, bank: &OpenBank) -> Result<usize, Refusal> {
        match bank.attr {
            Some(attr) => {
                self.probe_ran();
                Ok(attr)
            }
            None => Err(self.probe_did_not_run()),
        }
    }

    /// Reads `bank` again with a write request: the probe checks the struct
    /// against `sysfs` (what the first read showed) and, for `Some(new)`,
    /// changes `flags` from `sysfs.flags` to `new`.
    fn write(
        &mut self,
        bank: &OpenBank,
        attr: usize,
        sysfs: &MemBankProps,
        new: Option<u32>,
    ) -> Result<(), Refusal> {
        let request = Request::Write {
            attr,
            expect: *sysfs,
            new,
            layout: self.config.layout,
        };
        // The text `mem_show` printed after the write is not needed: what
        // the probe did is the result, even if the read failed afterwards.
        let BankRead { served, .. } = read_bank(&bank.file, request, &mut self.scratch);
        match served {
            None => Err(self.probe_did_not_run()),
            Some(served) => {
                self.probe_ran();
                match served {
                    Served::Refused(why) => Err(Refusal::Show(why)),
                    Served::Written { .. } | Served::Checked | Served::Observed { .. } => Ok(()),
                }
            }
        }
    }

    /// Handles one selected bank in a patch pass; returns what happened.
    fn visit(
        &mut self,
        device_id: u16,
        at: BankRef,
        bank: &OpenBank,
        sysfs: &MemBankProps,
        action: BankAction,
    ) -> Result<Outcome, Refusal> {
        if action == BankAction::Skip {
            return Ok(Outcome::Ignored);
        }
        let attr = match self.identify(bank) {
            Ok(attr) => attr,
            Err(refusal) => {
                let pass = self.pass.id;
                for record in self.records.iter_mut() {
                    if record.device_id == device_id
                        && record.at.heap_type == sysfs.heap_type
                        && record.size_in_bytes == sysfs.size_in_bytes
                    {
                        record.maybe_seen = pass;
                    }
                }
                return Err(refusal);
            }
        };
        let known = self.find_record(attr, sysfs);
        if let Some(record) = known.and_then(|i| self.records.get_mut(i)) {
            // Ours, from an earlier pass: the node may have a new index.
            record.at = at;
            record.seen = self.pass.id;
        }
        let (before, after) = match (action, known) {
            (BankAction::Skip, _) => return Ok(Outcome::Ignored),
            (BankAction::AlreadySet, Some(_)) => return Ok(Outcome::Kept),
            (BankAction::AlreadySet, None) if self.config.adopt && !self.config.dry_run => {
                return self.adopt(device_id, at, attr, sysfs);
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
            self.write(bank, attr, sysfs, None)?;
            info(WouldPatch(line));
            return Ok(Outcome::Patched);
        }
        if known.is_none() {
            // Room for the record first: once the bit is written, the record
            // that lets unload clear it must never fail to be kept.
            self.records.reserve(1, GFP_KERNEL)?;
        }
        self.write(bank, attr, sysfs, Some(after))?;
        let written = now_ns();
        let bits = restore::bits_set(before, after);
        match known.and_then(|i| self.records.get_mut(i)) {
            // Someone cleared our bit; it is set again and still ours.
            Some(record) => record.bits |= bits,
            None => self.keep(PatchRecord {
                device_id,
                at,
                attr,
                size_in_bytes: sysfs.size_in_bytes,
                before,
                bits,
                seen: self.pass.id,
                maybe_seen: 0,
                not_restored: None,
            }),
        }
        self.counters.patched += 1;
        self.pass.patched = true;
        if let Some((trigger, at_ns)) = self.pass.trigger {
            self.last_latency = Some(Latency {
                ns: written.saturating_sub(at_ns),
                trigger,
            });
        }
        info(line);
        Ok(Outcome::Patched)
    }

    /// Keeps a record, in the room reserved before its bit was written.
    fn keep(&mut self, record: PatchRecord) {
        if let Err(kernel::alloc::kvec::PushError(record)) =
            self.records.push_within_capacity(record)
        {
            // Not reachable after `reserve`. The bit stays set: say so.
            warn(NotRestored {
                device_id: record.device_id,
                at: record.at,
                reason: &Refusal::NoMemory,
                hint: Some(&self.config),
            });
        }
    }

    /// With `adopt=1`: takes a bit already set as the module's own.
    fn adopt(
        &mut self,
        device_id: u16,
        at: BankRef,
        attr: usize,
        sysfs: &MemBankProps,
    ) -> Result<Outcome, Refusal> {
        self.records.reserve(1, GFP_KERNEL)?;
        self.keep(PatchRecord {
            device_id,
            at,
            attr,
            size_in_bytes: sysfs.size_in_bytes,
            before: sysfs.flags & !HOT_PLUGGABLE,
            bits: HOT_PLUGGABLE,
            seen: self.pass.id,
            maybe_seen: 0,
            not_restored: None,
        });
        self.counters.adopted += 1;
        info(Adopted {
            device_id,
            at,
            flags: sysfs.flags,
        });
        Ok(Outcome::Kept)
    }

    /// Clears the bits this module set: walks the topology, finds each
    /// patched bank again by identity and clears its bits through the probe.
    /// While KFD is adding or removing a node (its sysfs tree is rebuilt) it
    /// waits and walks again, for a bounded time. What it cannot write is
    /// reported with a warning. Logs every bank and a summary.
    pub(crate) fn restore_all(&mut self, mount: &SysfsMount, buf: &mut [u8]) {
        const ATTEMPTS: u32 = 50;
        const WAIT_MS: i64 = 100;
        let config = self.config;
        for _ in 0..ATTEMPTS {
            if self.records.is_empty() {
                break;
            }
            let hooks = hook_stats();
            if !hooks.kfd_live {
                break;
            }
            if hooks.topology.changing {
                fsleep(Delta::from_millis(WAIT_MS));
                continue;
            }
            self.begin_pass(None, Mode::Restore, false);
            walk::walk(&mut KfdSysfs { mount }, &config, buf, self);
            if stable(hooks.topology, hook_stats().topology) {
                // A whole pass on a stable topology: what it could not
                // restore now, it cannot by waiting.
                break;
            }
        }
        let kfd_live = hook_stats().kfd_live;
        for record in self.records.drain_all() {
            let reason = match record.not_restored {
                _ if !kfd_live => Refusal::NoKfd,
                Some(reason) => reason,
                None => Refusal::BankGone,
            };
            self.unloaded.not_restored += 1;
            warn(NotRestored {
                device_id: record.device_id,
                at: record.at,
                reason: &reason,
                hint: reason.leaves_bit_set().then_some(&config),
            });
        }
        info(Unloaded { ..self.unloaded });
    }

    /// In a restore walk: clears the recorded bits of this bank, if it is
    /// one the module patched.
    fn restore_bank(
        &mut self,
        at: BankRef,
        bank: &OpenBank,
        sysfs: &MemBankProps,
    ) -> Result<Outcome, Refusal> {
        let Some(attr) = bank.attr else {
            // Not identified: every record not yet restored may be this one.
            let why = self.probe_did_not_run();
            for record in self.records.iter_mut() {
                record.not_restored = Some(why);
            }
            return Err(why);
        };
        self.probe_ran();
        let Some(index) = self.find_record(attr, sysfs) else {
            return Ok(Outcome::Ignored);
        };
        let Some(record) = self.records.get(index) else {
            return Ok(Outcome::Ignored);
        };
        let (device_id, bits) = (record.device_id, record.bits);
        let plan = restore::plan(sysfs.flags, bits);
        if let Restore::Clear { after, .. } = plan {
            if let Err(reason) = self.write(bank, attr, sysfs, Some(after)) {
                // Kept for another attempt; reported if none succeeds.
                if let Some(record) = self.records.get_mut(index) {
                    record.at = at;
                    record.not_restored = Some(reason);
                }
                return Err(reason);
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
                    hint: None,
                });
            }
        }
        Ok(Outcome::Ignored)
    }

    /// Where the module stands, for the status file.
    pub(crate) fn state(&self, hooks: &HookStats) -> ModuleState {
        if hooks.kfd_live {
            if self.probe_silent || hooks.hits.write_probe != WriteProbe::Registered {
                ModuleState::WritesBlocked
            } else {
                ModuleState::Active
            }
        } else if hooks.last_error.is_some() && hooks.hits.amdgpu_live > hooks.hits.amdgpu_going {
            ModuleState::HooksFailed
        } else {
            ModuleState::WaitingForKfd
        }
    }

    /// Writes the status file's text.
    pub(crate) fn write_status(
        &self,
        f: &mut impl Write,
        mount: &SysfsMount,
        buf: &mut [u8],
        hooks: &HookStats,
    ) -> fmt::Result {
        let header = StatusHeader {
            config: &self.config,
            state: self.state(hooks),
            counters: self.counters,
            hooks: hooks.hits,
            last_latency: self.last_latency,
            last_error: self.last_error.as_str(),
            patched_banks: self.records.len(),
        };
        write!(f, "{header}")?;
        for record in self.records.iter() {
            let now = current_flags(mount, record.at, buf);
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

/// Whether `record`, not seen by `pass` on a stable topology, is gone
/// (`restore::forgettable`); its path is looked up only when that decides.
fn forgettable(record: &PatchRecord, pass: &Pass, mount: &SysfsMount) -> bool {
    let sight = PassSight {
        id: pass.id,
        complete: pass.complete,
        unreadable: pass.unreadable,
    };
    restore::forgettable(record.seen, record.maybe_seen, sight, || {
        topology_path(record.at.node, Some(record.at.bank))
            .is_ok_and(|path| matches!(SysfsFile::open(mount, &path), Ok(None)))
    })
}

/// Whether the topology stayed the same from `before` to `after`.
fn stable(before: TopologyGen, after: TopologyGen) -> bool {
    !before.changing && !after.changing && before.gen == after.gen
}

/// `flags` of a bank as its sysfs file shows them now.
fn current_flags(mount: &SysfsMount, at: BankRef, buf: &mut [u8]) -> Option<u32> {
    let path = topology_path(at.node, Some(at.bank)).ok()?;
    let file = SysfsFile::open(mount, &path).ok()??;
    find_u32(file.read_text(buf).ok()?, "flags").ok()
}

impl Visitor<KfdSysfs<'_>> for Patcher {
    fn bank(
        &mut self,
        device_id: u16,
        at: BankRef,
        bank: OpenBank,
        sysfs: &MemBankProps,
        action: BankAction,
    ) -> Outcome {
        let done = match self.mode {
            Mode::Patch => self.visit(device_id, at, &bank, sysfs, action),
            Mode::Restore => self.restore_bank(at, &bank, sysfs),
        };
        match done {
            Ok(outcome) => outcome,
            Err(reason) => {
                // An identified bank still counts as seen: no `complete = false`.
                // A retry pass does not repeat "the probe did not run" for
                // each bank (`WriteProbeSilent` said it once); any other
                // refusal it meets is news, and is said.
                let repeated = matches!(
                    reason,
                    Refusal::WriteProbeNotRun | Refusal::WriteProbeLeftOut
                );
                self.log_refusal(at.node, Some(at.bank), &reason, repeated);
                Outcome::Refused
            }
        }
    }

    fn refused(&mut self, node: u32, bank: Option<u32>, reason: &dyn fmt::Display) {
        // A node or bank that could not be read: the pass did not see all.
        self.pass.complete = false;
        self.pass.unreadable = true;
        self.log_refusal(node, bank, reason, false);
    }
}

impl Patcher {
    /// Counts and records a refusal, and logs it unless this is a retry
    /// pass and the refusal is one the pass that began the retries logged.
    fn log_refusal(
        &mut self,
        node: u32,
        bank: Option<u32>,
        reason: &dyn fmt::Display,
        repeated_on_retry: bool,
    ) {
        self.counters.refused += 1;
        let line = Refused {
            device_id: self.config.device_id,
            node,
            bank,
            reason,
        };
        self.note_error(&line);
        if !(self.pass.quiet && repeated_on_retry) {
            warn(line);
        }
    }
}

// The `pr_*!` macros take the kernel crate's `Display`; the shared logic
// implements `core`'s, which `format_args!` bridges.

/// Logs one line at info level (`rdna1_fg: KFD: ...`).
pub(crate) fn info(line: impl fmt::Display) {
    pr_info!("{}\n", format_args!("{line}"));
}

/// Logs one line the user should act on, at warning level.
pub(crate) fn warn(line: impl fmt::Display) {
    pr_warn!("{}\n", format_args!("{line}"));
}

/// Logs one line about a failure, at error level.
pub(crate) fn error(line: impl fmt::Display) {
    pr_err!("{}\n", format_args!("{line}"));
}
