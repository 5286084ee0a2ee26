// SPDX-License-Identifier: GPL-2.0

//! Access to one live `struct kfd_mem_properties`, found through its sysfs
//! attribute and never trusted without the layout check.
//!
//! KFD's `mem_show()` finds the struct with
//! `container_of(attr, struct kfd_mem_properties, attr)`; [`MemRef::from_attribute`]
//! does the same with the assumed offset of `attr`. Reads go through
//! `copy_from_kernel_nofault`, so even a wrong address could not fault the
//! kernel. The one write, [`MemRef::set_flags`], is a compare and exchange
//! of `flags` inside the write gate, right after the layout check
//! ([`MemPropsLayout::verify`]): it only ever lands on the `flags` field of a
//! struct whose every field matches what sysfs shows at that moment.

use crate::kfd_hooks::GateGuard;
use crate::logic::layout::{MemPropsLayout, Mismatch, MAX_SPAN};
use crate::logic::props::MemBankProps;
use core::fmt;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// The name KFD gives every bank's attribute.
const ATTR_NAME: &[u8] = b"properties\0";

/// Why a struct was not read or written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum MemError {
    /// The attribute is not named `properties`.
    NotBankAttribute,
    /// The attribute sits too close to address 0 to have the assumed layout.
    BadAddress,
    /// A nofault copy failed (the address is not mapped).
    Fault,
    /// The bytes differ from sysfs.
    Layout(Mismatch),
    /// `flags` changed between the check and the store.
    Raced,
}

impl fmt::Display for MemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotBankAttribute => {
                f.write_str("the sysfs attribute is not a KFD bank's 'properties'")
            }
            Self::BadAddress => f.write_str("attribute address below the assumed struct offset"),
            Self::Fault => f.write_str("struct memory not readable"),
            Self::Layout(m) => write!(f, "layout check failed: {m}"),
            Self::Raced => f.write_str("flags changed under the write; nothing written"),
        }
    }
}

/// Address of a `struct kfd_mem_properties` (not a reference: KFD owns it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MemRef {
    base: usize,
}

impl MemRef {
    /// The struct that holds `attr` at `layout.attr`, if `attr` is a bank's
    /// `properties` attribute.
    pub(crate) fn from_attribute(
        attr: NonNull<bindings::attribute>,
        layout: &MemPropsLayout,
    ) -> Result<Self, MemError> {
        let mut name_ptr: *const c_char = core::ptr::null();
        // SAFETY: the destination is a local pointer-sized variable; the
        // source is read with a nofault copy, so an invalid `attr` yields an
        // error, not a fault.
        let rc = unsafe {
            bindings::copy_from_kernel_nofault(
                core::ptr::from_mut(&mut name_ptr).cast(),
                attr.as_ptr()
                    .cast::<u8>()
                    .wrapping_add(core::mem::offset_of!(bindings::attribute, name))
                    .cast(),
                size_of::<*const c_char>(),
            )
        };
        if rc != 0 || name_ptr.is_null() {
            return Err(MemError::NotBankAttribute);
        }
        let mut name = [0u8; ATTR_NAME.len()];
        // SAFETY: the destination is a local buffer of `name.len()` bytes;
        // the source is read with a nofault copy.
        let rc = unsafe {
            bindings::copy_from_kernel_nofault(
                name.as_mut_ptr().cast(),
                name_ptr.cast(),
                name.len(),
            )
        };
        if rc != 0 || name != *ATTR_NAME {
            return Err(MemError::NotBankAttribute);
        }
        let base = (attr.as_ptr() as usize)
            .checked_sub(layout.attr)
            .ok_or(MemError::BadAddress)?;
        Ok(Self { base })
    }

    /// Reads the struct's first bytes and checks them against `sysfs`.
    pub(crate) fn verify(
        &self,
        layout: &MemPropsLayout,
        sysfs: &MemBankProps,
    ) -> Result<(), MemError> {
        let mut raw = [0u8; MAX_SPAN];
        let span = layout.span().min(MAX_SPAN);
        // SAFETY: the destination is a local buffer of at least `span`
        // bytes; the source is read with a nofault copy, which returns an
        // error instead of faulting on an unmapped address.
        let rc = unsafe {
            bindings::copy_from_kernel_nofault(
                raw.as_mut_ptr().cast(),
                self.base as *const c_void,
                span,
            )
        };
        if rc != 0 {
            return Err(MemError::Fault);
        }
        layout.verify(&raw[..span], sysfs).map_err(MemError::Layout)
    }

    /// Checks the struct against `sysfs` and, if it matches, changes
    /// `flags` from `sysfs.flags` to `new` with one atomic compare and
    /// exchange. Only inside the write gate: while `_gate` exists KFD cannot
    /// start freeing the struct (see the concurrency notes in `rdna1_fg.rs`).
    pub(crate) fn set_flags(
        &self,
        gate: &GateGuard,
        layout: &MemPropsLayout,
        sysfs: &MemBankProps,
        new: u32,
    ) -> Result<(), MemError> {
        self.verify(layout, sysfs)?;
        let field = self
            .base
            .checked_add(layout.flags)
            .ok_or(MemError::BadAddress)?;
        if field % align_of::<u32>() != 0 {
            return Err(MemError::BadAddress);
        }
        // `verify` has just read the struct through a nofault copy and
        // matched all its fields against sysfs; a compare and exchange is
        // one atomic store, so sysfs readers see the old or the new value.
        // SAFETY: `field` is 4-aligned (checked above) and is the `flags` field
        // of that live `struct kfd_mem_properties`; `gate` keeps KFD from freeing it.
        let swapped = unsafe { gate.swap_u32(field as *mut u32, sysfs.flags, new) };
        if swapped {
            Ok(())
        } else {
            Err(MemError::Raced)
        }
    }
}
