// SPDX-License-Identifier: GPL-2.0

//! Patching banks of the live KFD topology, and restoring them.
//!
//! [`KfdSysfs`] reads the topology through sysfs for [`walk`]; [`Patcher`]
//! is the visitor that checks each selected bank's struct against its sysfs
//! text and sets `HOT_PLUGGABLE`, remembering exactly the bits it set, and
//! that clears those bits again in [`Patcher::restore_all`].

use crate::kfd_mem::{MemError, MemRef};
use crate::logic::layout::MemPropsLayout;
use crate::logic::messages::{
    AlreadySet, BankRef, NoMatch, NoTopology, NotRestored, Patched, Refused, Restored, Summary,
    Tally, Unloaded, WouldPatch,
};
use crate::logic::props::{MemBankProps, PropsError};
use crate::logic::restore::{self, Restore};
use crate::logic::rules::{BankAction, Config};
use crate::logic::walk::{self, Outcome, Topology, Visitor, TOPOLOGY_DIR};
use crate::sysfs_file::{topology_path, FileError, SysfsFile};
use core::fmt;
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
    /// At unload: the bank's sysfs file is gone.
    BankGone,
    /// At unload: the bank's sysfs file now shows another struct.
    BankReplaced,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(e) => write!(f, "sysfs: {e}"),
            Self::Mem(e) => e.fmt(f),
            Self::Props(e) => write!(f, "sysfs text: {e}"),
            Self::NoMemory => f.write_str("out of memory for the restore record"),
            Self::BankGone => f.write_str("the bank no longer exists"),
            Self::BankReplaced => f.write_str("the bank is no longer the struct that was patched"),
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
    at: BankRef,
    mem: MemRef,
    /// Exactly the bits this module set (never a bit that was set before).
    bits: u32,
}

/// Applies the rule to the topology and undoes it.
pub(crate) struct Patcher {
    config: Config,
    layout: MemPropsLayout,
    // INVARIANT: one record per bank whose bits this module set and has not
    // yet restored; `bits` of each is non-zero.
    records: KVec<PatchRecord>,
}

impl Patcher {
    /// A patcher for `config`, assuming `layout`.
    pub(crate) fn new(config: Config, layout: MemPropsLayout) -> Self {
        Self {
            config,
            layout,
            records: KVec::new(),
        }
    }

    /// Walks the live topology once, patching what the rule selects, and
    /// logs the outcome.
    pub(crate) fn apply(&mut self, buf: &mut [u8]) -> Tally {
        let config = self.config;
        let tally = walk::walk(&mut KfdSysfs, &config, buf, self);
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
        tally
    }

    fn patch(
        &mut self,
        device_id: u16,
        at: BankRef,
        file: &SysfsFile,
        sysfs: &MemBankProps,
        before: u32,
        after: u32,
    ) -> Result<(), Refusal> {
        let mem = MemRef::from_attribute(file.attribute()?, &self.layout)?;
        mem.verify(&self.layout, sysfs)?;
        let line = Patched {
            device_id,
            at,
            before,
            after,
        };
        if self.config.dry_run {
            info(WouldPatch(line));
            return Ok(());
        }
        // Room for the record first: once the bit is written, the record
        // that lets unload clear it must never fail to be kept.
        self.records.reserve(1, GFP_KERNEL)?;
        mem.write_flags(&self.layout, after)?;
        let record = PatchRecord {
            device_id,
            at,
            mem,
            bits: restore::bits_set(before, after),
        };
        if self.records.push_within_capacity(record).is_err() {
            // Not reachable after `reserve`; undo rather than forget the bit.
            mem.write_flags(&self.layout, before)?;
            return Err(Refusal::NoMemory);
        }
        info(line);
        Ok(())
    }

    /// Clears the bits this module set, bank by bank, after checking each
    /// bank again; logs every bank and a summary.
    pub(crate) fn restore_all(&mut self, buf: &mut [u8]) {
        let mut done = Unloaded {
            restored: 0,
            not_restored: 0,
        };
        for record in self.records.drain_all() {
            match restore_one(&self.layout, &record, buf) {
                Ok(Restore::Clear { before, after }) => {
                    done.restored += 1;
                    info(Restored {
                        device_id: record.device_id,
                        at: record.at,
                        before,
                        after,
                    });
                }
                Ok(Restore::AlreadyClear) => {
                    done.not_restored += 1;
                    info(NotRestored {
                        device_id: record.device_id,
                        at: record.at,
                        reason: &"the bit was already cleared by someone else",
                    });
                }
                Err(reason) => {
                    done.not_restored += 1;
                    info(NotRestored {
                        device_id: record.device_id,
                        at: record.at,
                        reason: &reason,
                    });
                }
            }
        }
        info(done);
    }
}

/// Restores one bank: finds it again by its sysfs path, checks that it is
/// the same struct and that the layout still matches, then clears the bits.
fn restore_one(
    layout: &MemPropsLayout,
    record: &PatchRecord,
    buf: &mut [u8],
) -> Result<Restore, Refusal> {
    let path = topology_path(record.at.node, Some(record.at.bank))?;
    let file = SysfsFile::open(&path)?.ok_or(Refusal::BankGone)?;
    let sysfs = MemBankProps::parse(file.read_text(buf)?)?;
    let mem = MemRef::from_attribute(file.attribute()?, layout)?;
    if mem != record.mem {
        return Err(Refusal::BankReplaced);
    }
    mem.verify(layout, &sysfs)?;
    let plan = restore::plan(sysfs.flags, record.bits);
    if let Restore::Clear { after, .. } = plan {
        mem.write_flags(layout, after)?;
    }
    Ok(plan)
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
        match action {
            BankAction::Skip => Outcome::Ignored,
            BankAction::AlreadySet => {
                info(AlreadySet {
                    device_id,
                    at,
                    flags: sysfs.flags,
                });
                Outcome::AlreadySet
            }
            BankAction::Patch { before, after } => {
                match self.patch(device_id, at, &file, sysfs, before, after) {
                    Ok(()) => Outcome::Patched,
                    Err(reason) => {
                        self.refused(at.node, Some(at.bank), &reason);
                        Outcome::Refused
                    }
                }
            }
        }
    }

    fn refused(&mut self, node: u32, bank: Option<u32>, reason: &dyn fmt::Display) {
        info(Refused {
            device_id: self.config.device_id,
            node,
            bank,
            reason,
        });
    }
}

/// Logs one line at info level (`rdna1_fg: KFD: ...`).
pub(crate) fn info(line: impl fmt::Display) {
    pr_info!("{}\n", format_args!("{line}"));
}
