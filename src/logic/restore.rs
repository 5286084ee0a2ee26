// SPDX-License-Identifier: GPL-2.0

//! What unloading writes back to a bank the module patched.
//!
//! The module remembers, per patched bank, exactly the bits it set (never a
//! bit that was set before). On unload it clears those bits and only those:
//! any other bit, set by anyone at any time, stays as it is.

/// The bits a patch from `before` to `after` set: what unload may clear.
/// Bits already set in `before` are never the module's.
pub fn bits_set(before: u32, after: u32) -> u32 {
    after & !before
}

/// The outcome of restoring one bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restore {
    /// Write `after` over `before`.
    Clear {
        /// `flags` now.
        before: u32,
        /// `flags` with the module's bits cleared.
        after: u32,
    },
    /// The bits the module set are already clear (someone else cleared them):
    /// nothing to write.
    AlreadyClear,
}

/// Plans the restore of a bank whose `flags` now read `current`, where the
/// module set the bits `set_by_us`.
pub fn plan(current: u32, set_by_us: u32) -> Restore {
    if current & set_by_us == 0 {
        Restore::AlreadyClear
    } else {
        Restore::Clear {
            before: current,
            after: current & !set_by_us,
        }
    }
}

/// What a pass of the walk saw, for deciding which records to forget.
#[derive(Clone, Copy, Debug)]
pub struct PassSight {
    /// The pass's number.
    pub id: u64,
    /// It read and identified every bank of the matching nodes.
    pub complete: bool,
    /// It could not read some node or bank at all.
    pub unreadable: bool,
}

/// Whether the record of a bank, not met by `pass` on a topology that did
/// not change during it, may be forgotten: its bank has left KFD's topology.
///
/// `seen` is the last pass that identified the bank, `maybe_seen` the last
/// pass that met a bank it could not identify but that had the record's
/// device, heap type and size. A complete pass proves it. Otherwise the
/// record goes only when `path_gone()` (its last known sysfs path no longer
/// exists) and nothing the pass failed to see could have been it: after a
/// renumbering (a GPU removed) the bank may sit at another index, where an
/// unreadable node or an unidentified bank would hide it. A record kept too
/// long costs memory; one forgotten too early leaves its bit set at unload.
pub fn forgettable(
    seen: u64,
    maybe_seen: u64,
    pass: PassSight,
    path_gone: impl FnOnce() -> bool,
) -> bool {
    if seen == pass.id {
        return false;
    }
    if pass.complete {
        return true;
    }
    if pass.unreadable || maybe_seen == pass.id {
        return false;
    }
    path_gone()
}
