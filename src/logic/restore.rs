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
