// SPDX-License-Identifier: GPL-2.0

//! Unload: clearing the bits the module set, and saying what became of
//! every record.
//!
//! The restore walks the topology like a patch pass, finds each recorded
//! bank again by identity and clears its bits through the probe on
//! `mem_show`. While KFD's topology changes it waits and walks again, for a
//! bounded time. Then every record left is reported by
//! `logic::restore::unrestored`: "forgotten" (an info line) only when its
//! bank is known to be gone — KFD unloaded, the KFD instance gone, or a
//! complete walk of an unchanging topology did not meet it — and otherwise
//! "not restored" (a warning), with the reason and the way to clear the bit.

use crate::kfd_hooks::hook_stats;
use crate::logic::messages::{BankRef, Forgotten, NotRestored, Restored, Unloaded};
use crate::logic::pass::{self, Incomplete};
use crate::logic::props::MemBankProps;
use crate::logic::restore::{self, Restore, Unrestored};
use crate::logic::walk::{Outcome, SelectedNode};
use crate::patcher::{epoch_of, info, warn, KfdSysfs, Mode, OpenBank, Patcher, Refusal};
use crate::sysfs_file::SysfsMount;
use kernel::time::{delay::fsleep, Delta};

/// Restore walks unload makes at most, and the wait between two while
/// KFD's topology changes: five seconds in all.
const ATTEMPTS: u32 = 50;
const WAIT_MS: i64 = 100;

impl Patcher {
    /// Clears the bits this module set, then reports every record it could
    /// not clear, and a summary.
    pub(crate) fn restore_all(&mut self, mount: &SysfsMount, buf: &mut [u8]) {
        let mut last_walk: Option<Result<(), Incomplete>> = None;
        for _ in 0..ATTEMPTS {
            if self.records.is_empty() {
                break;
            }
            let hooks = hook_stats();
            if !hooks.kfd_live {
                break;
            }
            self.forget_outdated(epoch_of(&hooks));
            if hooks.topology.changing {
                fsleep(Delta::from_millis(WAIT_MS));
                continue;
            }
            self.begin_pass(None, &hooks, Mode::Restore, false);
            for record in self.records.iter_mut() {
                record.not_restored = None;
            }
            let mut topology = KfdSysfs::new(mount);
            topology.fail_bank_reads = self.config.fail_restore_reads;
            self.walk(&mut topology, buf);
            let walked = self.pass.sight.complete();
            last_walk = Some(walked);
            match walked {
                // KFD is changing its topology: what the walk could not
                // restore may be where it did not look. Walk again.
                Err(why) if why.topology_changed() || self.pass.vanished => {
                    fsleep(Delta::from_millis(WAIT_MS));
                }
                // A whole walk, or one that waiting would not complete (a
                // read failing, the probe not running).
                _ => break,
            }
        }
        self.report_unrestored(last_walk);
    }

    /// Reports each record left after the restore walks, and the summary.
    fn report_unrestored(&mut self, last_walk: Option<Result<(), Incomplete>>) {
        let hooks = hook_stats();
        let now = epoch_of(&hooks);
        let config = self.config;
        for record in self.records.drain_all() {
            let verdict = restore::unrestored(
                record.not_restored,
                last_walk,
                hooks.kfd_live,
                pass::outdated(record.id.epoch, now),
                record.removed_since(hooks.hits.remove_device),
            );
            match verdict {
                Unrestored::Gone(because) => {
                    self.counters.forgotten += 1;
                    info(Forgotten {
                        device_id: record.device_id,
                        at: record.at,
                        reason: &because,
                    });
                }
                Unrestored::MaybeStillSet(because) => {
                    self.unloaded.not_restored += 1;
                    warn(NotRestored {
                        device_id: record.device_id,
                        at: record.at,
                        reason: &because,
                        hint: Some(&config),
                    });
                }
            }
        }
        info(Unloaded { ..self.unloaded });
    }

    /// In a restore walk: clears the recorded bits of this bank, if it is
    /// one the module patched.
    pub(crate) fn restore_bank(
        &mut self,
        node: SelectedNode,
        at: BankRef,
        bank: &OpenBank,
        sysfs: &MemBankProps,
    ) -> Result<Outcome, Refusal> {
        let attr = match self.identify(bank) {
            Ok(attr) => attr,
            // amdgpu went away during the restore: its records are
            // outdated, and reported so.
            Err(why @ Refusal::KfdChanged) => return Err(why),
            Err(why) => {
                // Not identified: every record not yet restored may be this one.
                for record in self.records.iter_mut() {
                    record.not_restored = Some(why);
                }
                return Err(why);
            }
        };
        let id = self.identity(node, attr, sysfs);
        let Some(index) = self.records.find(&id) else {
            return Ok(Outcome::Ignored);
        };
        let Some(record) = self.records.get(index) else {
            return Ok(Outcome::Ignored);
        };
        let (device_id, bits) = (record.device_id, record.bits);
        let plan = restore::plan(sysfs.flags, bits);
        if let Restore::Clear { after, .. } = plan {
            if let Err(reason) = self.write(bank, attr, sysfs, Some(after)) {
                // Kept for another walk; reported if none succeeds. A bank
                // that went away between the two reads is the walk's
                // business (it is incomplete), not the bank's.
                if let Some(record) = self.records.get_mut(index) {
                    record.at = at;
                    if !matches!(reason, Refusal::Vanished | Refusal::KfdChanged) {
                        record.not_restored = Some(reason);
                    }
                }
                return Err(reason);
            }
        }
        // Done with this bank: it no longer holds a bit of ours.
        self.records.remove(index);
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
}
