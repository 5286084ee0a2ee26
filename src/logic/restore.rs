// SPDX-License-Identifier: GPL-2.0

//! What unloading writes back to a bank the module patched.
//!
//! The module remembers, per patched bank, exactly the bits it set (never a
//! bit that was set before). On unload it clears those bits and only those:
//! any other bit, set by anyone at any time, stays as it is.

use super::pass::Incomplete;

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

/// Why a bank that unload did not restore is reported as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unrestored<R> {
    /// The bank is gone, and its bit with it: nothing was left set.
    Gone(GoneBecause),
    /// The bank may still be there with the bit set: the user must be told,
    /// with the way to clear it.
    MaybeStillSet(StillSetBecause<R>),
}

/// Why a record's bank is known to be gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoneBecause {
    /// KFD is not loaded: its topology was freed.
    KfdUnloaded,
    /// amdgpu was unloaded (and maybe loaded again) since the bank was
    /// patched: the bank was freed with the old topology.
    AmdgpuReloaded,
    /// A complete walk of an unchanging topology did not meet it.
    NotInTopology,
}

/// Why a record's bank may still hold the bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StillSetBecause<R> {
    /// The last walk met the bank and could not write (the refusal).
    WriteRefused(R),
    /// The last walk did not see everything, so the bank may be where it
    /// did not look.
    WalkIncomplete(Incomplete),
    /// No walk could run: KFD's topology kept changing until the time
    /// unload may wait ran out.
    NoWalk,
    /// A complete walk did not meet the bank, but KFD removed no device
    /// since the bank was last seen, so it cannot have left (it may sit
    /// where a sysfs rebuild hid it).
    NoRemoval,
}

/// What unload reports for a record it did not restore. `refusal`: why the
/// last walk could not write the bank, if it met it; `last_walk`: whether
/// the last walk was complete, `None` if none ran; `kfd_live`: KFD is
/// loaded now; `outdated`: the record is from an earlier KFD instance
/// ([`super::pass::outdated`]); `removed_since`: KFD removed a device since
/// the bank was last seen ([`super::pass::forgettable`]).
///
/// A record is reported gone only when KFD is gone, or its instance is, or
/// a complete walk did not meet it after KFD removed a device. Anything
/// else may have left the bit set, and says so.
pub fn unrestored<R>(
    refusal: Option<R>,
    last_walk: Option<Result<(), Incomplete>>,
    kfd_live: bool,
    outdated: bool,
    removed_since: bool,
) -> Unrestored<R> {
    if !kfd_live {
        return Unrestored::Gone(GoneBecause::KfdUnloaded);
    }
    if outdated {
        return Unrestored::Gone(GoneBecause::AmdgpuReloaded);
    }
    if let Some(refusal) = refusal {
        return Unrestored::MaybeStillSet(StillSetBecause::WriteRefused(refusal));
    }
    match last_walk {
        None => Unrestored::MaybeStillSet(StillSetBecause::NoWalk),
        Some(Err(why)) => Unrestored::MaybeStillSet(StillSetBecause::WalkIncomplete(why)),
        Some(Ok(())) if removed_since => Unrestored::Gone(GoneBecause::NotInTopology),
        Some(Ok(())) => Unrestored::MaybeStillSet(StillSetBecause::NoRemoval),
    }
}

impl core::fmt::Display for GoneBecause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::KfdUnloaded => "KFD's topology was freed (amdgpu unloaded)",
            Self::AmdgpuReloaded => "amdgpu was unloaded since the bank was patched",
            Self::NotInTopology => "no longer in KFD's topology",
        })
    }
}

impl<R: core::fmt::Display> core::fmt::Display for StillSetBecause<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::WriteRefused(refusal) => refusal.fmt(f),
            Self::WalkIncomplete(why) => {
                f.write_str("the walk did not find the bank, and did not see everything: ")?;
                why.fmt(f)
            }
            Self::NoWalk => {
                f.write_str("KFD's topology kept changing for as long as unload may wait")
            }
            Self::NoRemoval => f.write_str(
                "the walk did not find the bank, but KFD removed no device since it was seen",
            ),
        }
    }
}
