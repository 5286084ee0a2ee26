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
use crate::logic::messages::Tally;
use crate::logic::messages::{
    Adopted, AlreadySet, BankRef, NoMatch, NoTopology, Patched, Refused, Rescan, Summary, Trigger,
    Unloaded, WouldPatch, WriteProbeBack, WriteProbeSilent,
};
use crate::logic::pass::{self, KfdEpoch, PassSight, WalkSight};
use crate::logic::props::{find_u32, MemBankProps, PropsError};
use crate::logic::restore::{self, GoneBecause};
use crate::logic::rules::{BankAction, Config};
use crate::logic::status::{BankStatus, Counters, Latency, ModuleState, StatusHeader, WriteProbe};
use crate::logic::textbuf::TextBuf;
use crate::logic::walk::{self, Outcome, SelectedNode, Topology, Visitor, TOPOLOGY_DIR};
use crate::records::{BankIdentity, PatchRecord, Records};
use crate::sysfs_file::{
    node_file_path, topology_file_path, topology_path, FileError, SysfsFile, SysfsMount,
};
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
/// The first walk again after one that saw KFD's topology change.
const RESCAN_AFTER_CHANGE_MS: u32 = 100;

/// One bank's open `properties` file, and the attribute KFD showed for it.
pub(crate) struct OpenBank {
    file: SysfsFile,
    /// `None`: the probe on `mem_show` did not run for the read.
    pub(crate) attr: Option<usize>,
}

/// The live topology, read through the module's sysfs mount.
pub(crate) struct KfdSysfs<'m> {
    pub(crate) mount: &'m SysfsMount,
    /// Test only (`test_fail_restore_read=1`, restore walks): every bank's
    /// read fails as if the seq_file buffer could not be allocated.
    pub(crate) fail_bank_reads: bool,
}

impl<'m> KfdSysfs<'m> {
    /// The topology as it is, for a walk.
    pub(crate) fn new(mount: &'m SysfsMount) -> Self {
        Self {
            mount,
            fail_bank_reads: false,
        }
    }
}

/// KFD's `topology/generation_id`, which it moves at every add and remove.
pub(crate) fn generation(mount: &SysfsMount, buf: &mut [u8]) -> Option<u64> {
    let path = topology_file_path("generation_id").ok()?;
    let file = SysfsFile::open(mount, &path).ok()??;
    file.read_text(buf).ok()?.trim_ascii().parse().ok()
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

    fn gpu_id(&mut self, node: u32, buf: &mut [u8]) -> Result<Option<u32>, FileError> {
        // Every KFD node has one: a missing file is a node going away.
        let file = SysfsFile::open(self.mount, &node_file_path(node, "gpu_id")?)?
            .ok_or(FileError::Open(ENOENT))?;
        let id = file
            .read_text(buf)?
            .trim_ascii()
            .parse()
            .map_err(|_| FileError::NotANumber)?;
        Ok(Some(id))
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
        if self.fail_bank_reads {
            return Err(FileError::Read(ENOMEM));
        }
        let BankRead { text, served } = read_bank(&file, Request::Observe, buf);
        if matches!(text, Err(FileError::Read(e)) if e == ENODEV) {
            // Removed since it was opened: as if it had not been there (the
            // node comes out short of banks, and the pass walks again soon).
            return Ok(None);
        }
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
    /// Its `properties` could not be read (at unload: the line before
    /// says why).
    Unreadable,
    /// The probe on `mem_show` did not run for the module's read.
    WriteProbeNotRun,
    /// The probe on `mem_show` is not registered (test setting).
    WriteProbeLeftOut,
    /// The bank's sysfs file went away between the read that showed it
    /// and the read that would have written (`ENODEV`: KFD rebuilt its
    /// sysfs tree, or removed the node): the topology is walked again.
    Vanished,
    /// amdgpu went away (and maybe came back) since the pass began: its
    /// banks are not the ones the pass looked at.
    KfdChanged,
}

impl Refusal {
    /// KFD's topology changed under the pass: the walk that follows
    /// settles it, nothing for the user to do.
    fn transient(self) -> bool {
        matches!(self, Self::Vanished | Self::KfdChanged)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::File(e) => write!(f, "sysfs: {e}"),
            Self::Show(e) => e.fmt(f),
            Self::Props(e) => write!(f, "sysfs text: {e}"),
            Self::NoMemory => f.write_str("out of memory for the restore record"),
            Self::Unreadable => {
                f.write_str("its properties could not be read (see the refusal above)")
            }
            Self::WriteProbeNotRun => f.write_str(
                "the probe on KFD's mem_show did not run (kprobes disarmed or the probe missed)",
            ),
            Self::WriteProbeLeftOut => {
                f.write_str("the probe on KFD's mem_show is not registered (test_no_write_probe=1)")
            }
            Self::Vanished => {
                f.write_str("the bank went away between two reads (KFD's topology changed)")
            }
            Self::KfdChanged => f.write_str("amdgpu was unloaded during the pass"),
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

/// The pass in progress.
#[derive(Clone, Copy)]
pub(crate) struct Pass {
    /// Pass number (`Counters::scans`).
    pub(crate) id: u64,
    /// The event that caused the pass, and when it happened.
    trigger: Option<(Trigger, u64)>,
    /// The KFD instance the pass acts on: no bank is taken for one of its
    /// banks, and no write is made, once amdgpu has gone since
    /// (`Patcher::identify`, `Patcher::write`).
    pub(crate) epoch: KfdEpoch,
    /// KFD's device removals the hooks had counted when the pass began.
    pub(crate) removes: u64,
    /// What its walk saw (filled in by the walk, completed after it).
    pub(crate) sight: WalkSight,
    /// A bank could not be written because the write probe did not run.
    probe_not_run: bool,
    /// A bank went away between its two reads: walk again soon.
    pub(crate) vanished: bool,
    /// A bank was patched.
    patched: bool,
    /// A retry: refusals for want of the write probe are counted, not
    /// logged again.
    quiet: bool,
}

impl Pass {
    fn new(id: u64, trigger: Option<(Trigger, u64)>, hooks: &HookStats, quiet: bool) -> Self {
        Self {
            id,
            trigger,
            epoch: epoch_of(hooks),
            removes: hooks.hits.remove_device,
            sight: WalkSight::default(),
            probe_not_run: false,
            vanished: false,
            patched: false,
            quiet,
        }
    }
}

/// The KFD instance the hooks see now.
pub(crate) fn epoch_of(hooks: &HookStats) -> KfdEpoch {
    KfdEpoch::from_counts(hooks.hits.shutdown, hooks.hits.amdgpu_going)
}

/// What a walk does to the banks it visits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Patch them (load, rescans).
    Patch,
    /// Clear the bits recorded for them (unload).
    Restore,
}

/// Applies the rule to the topology, follows it as it changes, undoes it.
pub(crate) struct Patcher {
    pub(crate) config: Config,
    pub(crate) records: Records,
    /// The buffer of the second read of a bank (the one that writes).
    scratch: KVec<u8>,
    pub(crate) counters: Counters,
    last_latency: Option<Latency>,
    last_error: TextBuf<200>,
    pub(crate) pass: Pass,
    pub(crate) mode: Mode,
    /// The write probe did not run on the last read that needed it.
    probe_silent: bool,
    /// The next retry's delay.
    retry_ms: u32,
    /// The next rescan's delay while KFD's topology keeps changing.
    change_retry_ms: u32,
    pub(crate) unloaded: Unloaded,
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
            records: Records::new(),
            scratch: KVec::from_elem(0u8, TEXT_BUF_LEN, GFP_KERNEL)?,
            counters: Counters::default(),
            last_latency: None,
            last_error: TextBuf::new(),
            pass: Pass {
                id: 0,
                trigger: None,
                epoch: KfdEpoch(0),
                removes: 0,
                sight: WalkSight::default(),
                probe_not_run: false,
                vanished: false,
                patched: false,
                quiet: false,
            },
            mode: Mode::Patch,
            probe_silent: false,
            retry_ms: RETRY_FIRST_MS,
            change_retry_ms: RESCAN_AFTER_CHANGE_MS,
            unloaded: Unloaded {
                restored: 0,
                not_restored: 0,
            },
        })
    }

    /// Begins a pass on the KFD instance and removal count of `hooks`.
    pub(crate) fn begin_pass(
        &mut self,
        trigger: Option<(Trigger, u64)>,
        hooks: &HookStats,
        mode: Mode,
        quiet: bool,
    ) {
        self.counters.scans += 1;
        self.mode = mode;
        self.pass = Pass::new(self.counters.scans, trigger, hooks, quiet);
    }

    /// Forgets the records of an earlier KFD instance: amdgpu went away
    /// since they were written, and their banks with it, even if amdgpu
    /// came back before this pass (its new structs may sit where the old
    /// ones were).
    pub(crate) fn forget_outdated(&mut self, now: KfdEpoch) {
        self.records.forget_where(
            |r| pass::outdated(r.id.epoch, now),
            &GoneBecause::AmdgpuReloaded,
            &mut self.counters,
        );
    }

    /// Walks the topology with this pass, and completes what the pass saw:
    /// KFD's generation and the hooks' before and after the walk, and the
    /// nodes short of banks.
    pub(crate) fn walk(&mut self, topology: &mut KfdSysfs<'_>, buf: &mut [u8]) -> Tally {
        let config = self.config;
        let hooks_before = hook_stats().topology;
        self.pass.sight.generation_before = generation(topology.mount, buf);
        let tally = walk::walk(topology, &config, buf, self);
        self.pass.sight.generation_after = generation(topology.mount, buf);
        self.pass.sight.hooks_stable = stable(hooks_before, hook_stats().topology);
        self.pass.sight.short_nodes = tally.short_nodes;
        tally
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
        self.forget_outdated(epoch_of(hooks));
        self.begin_pass(
            hooks.trigger.filter(|(t, _)| *t == why),
            hooks,
            Mode::Patch,
            quiet,
        );
        if why != Trigger::Load && !quiet {
            info(Rescan(why));
        }
        let config = self.config;
        let tally = self.walk(&mut KfdSysfs::new(mount), buf);
        // Banks not met by a pass over an unchanging topology have left it
        // (adding or removing a node rebuilds every node's sysfs tree, so a
        // pass during that sees only part of it), one by one: a record is
        // forgotten when no bank of the pass could have been it (see
        // `forgettable`). This is bookkeeping only: no write depends on it.
        let sight = PassSight {
            id: self.pass.id,
            walk: self.pass.sight,
        };
        let removes_now = hook_stats().hits.remove_device;
        self.records.forget_where(
            |r| forgettable(r, sight, removes_now, mount),
            &GoneBecause::NotInTopology,
            &mut self.counters,
        );
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
        if self.pass.vanished || !self.pass.sight.stable() || self.pass.sight.short_nodes != 0 {
            // KFD is changing its topology (a bank went away between two
            // reads, its generation or the hooks moved, a node showed fewer
            // banks than it has): walk the new one soon, then less often
            // while it keeps changing.
            let delay = self.change_retry_ms;
            self.change_retry_ms = self.change_retry_ms.saturating_mul(2).min(RETRY_MAX_MS);
            return Some(delay);
        }
        self.change_retry_ms = RESCAN_AFTER_CHANGE_MS;
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
    pub(crate) fn forget_all(&mut self, reason: &dyn fmt::Display) {
        self.records
            .forget_where(|_| true, reason, &mut self.counters);
    }

    fn note_error(&mut self, what: &dyn fmt::Display) {
        self.last_error = TextBuf::new();
        // A message longer than the buffer is cut: `write!` stops at the
        // first piece that does not fit.
        let _ = write!(self.last_error, "{what}");
    }

    /// The identity of a bank the probe showed at `attr`, in this pass's
    /// KFD instance.
    pub(crate) fn identity(
        &self,
        node: SelectedNode,
        attr: usize,
        sysfs: &MemBankProps,
    ) -> BankIdentity {
        BankIdentity {
            gpu_id: node.gpu_id,
            attr,
            heap_type: sysfs.heap_type,
            size_in_bytes: sysfs.size_in_bytes,
            epoch: self.pass.epoch,
        }
    }

    /// The probe did not run for a read that needed it.
    pub(crate) fn probe_did_not_run(&mut self) -> Refusal {
        self.counters.probe_not_run += 1;
        self.pass.sight.unidentified = true;
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
    pub(crate) fn probe_ran(&mut self) {
        if self.probe_silent {
            self.probe_silent = false;
            info(WriteProbeBack);
        }
    }

    /// The attribute KFD showed for `bank`, if the probe saw it, and if it
    /// belongs to the KFD instance the pass began on: after amdgpu went
    /// away (and perhaps came back), an attribute is no identity any more
    /// (a new struct may sit where an old one was).
    pub(crate) fn identify(&mut self, bank: &OpenBank) -> Result<usize, Refusal> {
        let attr = match bank.attr {
            Some(attr) => {
                self.probe_ran();
                attr
            }
            None => return Err(self.probe_did_not_run()),
        };
        if epoch_of(&hook_stats()) != self.pass.epoch {
            self.pass.sight.unidentified = true;
            return Err(Refusal::KfdChanged);
        }
        Ok(attr)
    }

    /// Reads `bank` again with a write request: the probe checks the struct
    /// against `sysfs` (what the first read showed) and, for `Some(new)`,
    /// changes `flags` from `sysfs.flags` to `new`.
    ///
    /// No write is asked for once amdgpu has gone since the pass began: the
    /// records this pass keeps belong to the KFD instance it began on. (A
    /// file of a newer instance was opened after the going, so its read
    /// sees the moved epoch here.)
    pub(crate) fn write(
        &mut self,
        bank: &OpenBank,
        attr: usize,
        sysfs: &MemBankProps,
        new: Option<u32>,
    ) -> Result<(), Refusal> {
        if epoch_of(&hook_stats()) != self.pass.epoch {
            self.pass.sight.unidentified = true;
            return Err(Refusal::KfdChanged);
        }
        if self.config.write_delay_ms != 0 {
            // Test only: a window between the two reads of a bank.
            fsleep(Delta::from_millis(i64::from(self.config.write_delay_ms)));
        }
        let request = Request::Write {
            attr,
            expect: *sysfs,
            new,
            layout: self.config.layout,
        };
        // The text `mem_show` printed after the write is not needed: what
        // the probe did is the result, even if the read failed afterwards.
        let BankRead { served, text } = read_bank(&bank.file, request, &mut self.scratch);
        match served {
            // The file was removed since the first read: kernfs refuses the
            // read before `show()` (no probe could run). The bank went away,
            // not the probe.
            None if matches!(text, Err(FileError::Read(e)) if e == ENODEV) => {
                self.pass.sight.unidentified = true;
                self.pass.vanished = true;
                Err(Refusal::Vanished)
            }
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
        node: SelectedNode,
        at: BankRef,
        bank: &OpenBank,
        sysfs: &MemBankProps,
        action: BankAction,
    ) -> Result<Outcome, Refusal> {
        if action == BankAction::Skip {
            return Ok(Outcome::Ignored);
        }
        let device_id = node.device_id;
        let attr = match self.identify(bank) {
            Ok(attr) => attr,
            Err(refusal) => {
                self.records.maybe_seen(
                    node.gpu_id,
                    sysfs.heap_type,
                    sysfs.size_in_bytes,
                    self.pass.id,
                );
                return Err(refusal);
            }
        };
        let id = self.identity(node, attr, sysfs);
        let known = self.records.find(&id);
        if let Some(record) = known.and_then(|i| self.records.get_mut(i)) {
            // Ours, from an earlier pass: the node may have a new index.
            record.at = at;
            record.seen = self.pass.id;
            record.removes_seen = self.pass.removes;
        }
        let (before, after) = match (action, known) {
            (BankAction::Skip, _) => return Ok(Outcome::Ignored),
            (BankAction::AlreadySet, Some(_)) => return Ok(Outcome::Kept),
            (BankAction::AlreadySet, None) if self.config.adopt && !self.config.dry_run => {
                return self.adopt(device_id, at, id, sysfs);
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
            self.records.reserve_one()?;
        }
        self.write(bank, attr, sysfs, Some(after))?;
        let written = now_ns();
        let bits = restore::bits_set(before, after);
        match known.and_then(|i| self.records.get_mut(i)) {
            // Someone cleared our bit; it is set again and still ours.
            Some(record) => record.bits |= bits,
            None => self.records.keep(
                PatchRecord {
                    device_id,
                    id,
                    at,
                    before,
                    bits,
                    seen: self.pass.id,
                    removes_seen: self.pass.removes,
                    maybe_seen: 0,
                    not_restored: None,
                },
                &self.config,
            ),
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

    /// With `adopt=1`: takes a bit already set as the module's own.
    fn adopt(
        &mut self,
        device_id: u16,
        at: BankRef,
        id: BankIdentity,
        sysfs: &MemBankProps,
    ) -> Result<Outcome, Refusal> {
        self.records.reserve_one()?;
        self.records.keep(
            PatchRecord {
                device_id,
                id,
                at,
                before: sysfs.flags & !HOT_PLUGGABLE,
                bits: HOT_PLUGGABLE,
                seen: self.pass.id,
                removes_seen: self.pass.removes,
                maybe_seen: 0,
                not_restored: None,
            },
            &self.config,
        );
        self.counters.adopted += 1;
        info(Adopted {
            device_id,
            at,
            flags: sysfs.flags,
        });
        Ok(Outcome::Kept)
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

/// Whether `record`, not met by `pass`, is gone (`pass::forgettable`); its
/// path is looked up only when that decides.
fn forgettable(
    record: &PatchRecord,
    pass: PassSight,
    removes_now: u64,
    mount: &SysfsMount,
) -> bool {
    pass::forgettable(
        record.seen,
        record.maybe_seen,
        record.removed_since(removes_now),
        pass,
        || {
            topology_path(record.at.node, Some(record.at.bank))
                .is_ok_and(|path| matches!(SysfsFile::open(mount, &path), Ok(None)))
        },
    )
}

/// Whether the topology stayed the same from `before` to `after`, as the
/// hooks saw it.
pub(crate) fn stable(before: TopologyGen, after: TopologyGen) -> bool {
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
        node: SelectedNode,
        at: BankRef,
        bank: OpenBank,
        sysfs: &MemBankProps,
        action: BankAction,
    ) -> Outcome {
        let done = match self.mode {
            Mode::Patch => self.visit(node, at, &bank, sysfs, action),
            Mode::Restore => self.restore_bank(node, at, &bank, sysfs),
        };
        match done {
            Ok(outcome) => outcome,
            Err(reason) => {
                // The refusals that leave the bank unidentified have marked
                // the pass's sight already (`identify`, `write`). A retry pass does not repeat "the probe did not run" for
                // each bank (`WriteProbeSilent` said it once); any other
                // refusal it meets is news, and is said.
                let repeated = matches!(
                    reason,
                    Refusal::WriteProbeNotRun | Refusal::WriteProbeLeftOut
                );
                self.log_refusal(
                    at.node,
                    Some(at.bank),
                    &reason,
                    repeated,
                    reason.transient(),
                );
                Outcome::Refused
            }
        }
    }

    fn refused(&mut self, node: u32, bank: Option<u32>, reason: &dyn fmt::Display) {
        // A node or bank that could not be read: the pass did not see all.
        self.pass.sight.unreadable = true;
        if let (Mode::Restore, Some(bank)) = (self.mode, bank) {
            // Unload tells the bank's own failure, not just an incomplete walk.
            for record in self.records.iter_mut() {
                if record.at.node == node && record.at.bank == bank {
                    record.not_restored = Some(Refusal::Unreadable);
                }
            }
        }
        self.log_refusal(node, bank, reason, false, false);
    }
}

impl Patcher {
    /// Counts and records a refusal, and logs it unless this is a retry
    /// pass and the refusal is one the pass that began the retries logged;
    /// at info level when it is `transient` (the next walk settles it),
    /// else as a warning.
    fn log_refusal(
        &mut self,
        node: u32,
        bank: Option<u32>,
        reason: &dyn fmt::Display,
        repeated_on_retry: bool,
        transient: bool,
    ) {
        self.counters.refused += 1;
        let line = Refused {
            device_id: self.config.device_id,
            node,
            bank,
            reason,
        };
        self.note_error(&line);
        if self.pass.quiet && repeated_on_retry {
            return;
        }
        if transient {
            info(line);
        } else {
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
