// SPDX-License-Identifier: GPL-2.0

//! The assumed layout of KFD's `struct kfd_mem_properties`, and its check.
//!
//! The module has no KFD headers (they are private to amdgpu), so it assumes
//! the field offsets of the kernel it was written for and verifies them at run
//! time, before every write: the bytes at the assumed offsets must equal what
//! the bank's sysfs `properties` file says at that moment. The sysfs file is
//! printed by KFD's `mem_show()` from the same struct, so a match on all five
//! fields (one of them the 64-bit size) is strong evidence that the offsets
//! are right; any difference means "do not write".
//!
//! ```text
//! struct kfd_mem_properties {           // Linux 6.x .. 7.3, x86_64
//!     struct list_head   list;          //  0
//!     uint32_t           heap_type;     // 16
//!     uint64_t           size_in_bytes; // 24
//!     uint32_t           flags;         // 32
//!     uint32_t           width;         // 36
//!     uint32_t           mem_clk_max;   // 40
//!     struct kfd_node   *gpu;           // 48
//!     struct kobject    *kobj;          // 56
//!     struct attribute   attr;          // 64
//! };
//! ```

use super::props::MemBankProps;
use core::fmt;

/// Byte offsets of the fields the module reads or writes, from the start of
/// the struct, and of `attr`, the member sysfs hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemPropsLayout {
    /// Offset of `heap_type` (u32).
    pub heap_type: usize,
    /// Offset of `size_in_bytes` (u64).
    pub size_in_bytes: usize,
    /// Offset of `flags` (u32): the only field ever written.
    pub flags: usize,
    /// Offset of `width` (u32).
    pub width: usize,
    /// Offset of `mem_clk_max` (u32).
    pub mem_clk_max: usize,
    /// Offset of `attr` (struct attribute): the struct starts this many bytes
    /// before the attribute sysfs knows.
    pub attr: usize,
}

/// Where the layout the module assumes comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutSource {
    /// [`KFD_MEM_PROPERTIES`]: the tree the module was built against had no
    /// KFD header (Debian's `linux-headers` packages have none).
    KnownTable,
    /// `offsetof` in KFD's own `kfd_topology.h`, in the tree the module was
    /// built against (`src/kfd_layout.c`).
    KernelHeader,
}

impl fmt::Display for LayoutSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KnownTable => "the known layout",
            Self::KernelHeader => "kfd_topology.h of the build tree",
        })
    }
}

/// The layout of Linux 6.1 to 7.3 on x86_64, and of AMD's out-of-tree
/// amdgpu (its `attr_props` sits where `attr` does): `kfd_mem_properties.tsv`
/// next to this file lists the releases it was read from, and
/// `tests/layout_table.rs` checks them.
pub const KFD_MEM_PROPERTIES: MemPropsLayout = MemPropsLayout {
    heap_type: 16,
    size_in_bytes: 24,
    flags: 32,
    width: 36,
    mem_clk_max: 40,
    attr: 64,
};

/// Size of the read buffer: no layout may need more bytes than this.
pub const MAX_SPAN: usize = 64;

impl MemPropsLayout {
    /// How many bytes from the struct start hold every checked field.
    pub const fn span(&self) -> usize {
        let mut end = self.heap_type + 4;
        let candidates = [
            self.size_in_bytes + 8,
            self.flags + 4,
            self.width + 4,
            self.mem_clk_max + 4,
        ];
        let mut i = 0;
        while i < candidates.len() {
            if candidates[i] > end {
                end = candidates[i];
            }
            i += 1;
        }
        end
    }

    /// This layout with every data field moved by `bytes` (`attr` stays).
    /// Tests use it to force a mismatch on a real kernel. `None` if a field
    /// would leave the readable span.
    pub fn shifted(&self, bytes: i32) -> Option<Self> {
        let by = isize::try_from(bytes).ok()?;
        let shift = |offset: usize| offset.checked_add_signed(by);
        let layout = Self {
            heap_type: shift(self.heap_type)?,
            size_in_bytes: shift(self.size_in_bytes)?,
            flags: shift(self.flags)?,
            width: shift(self.width)?,
            mem_clk_max: shift(self.mem_clk_max)?,
            attr: self.attr,
        };
        (layout.span() <= MAX_SPAN.min(layout.attr)).then_some(layout)
    }

    /// Checks the bytes `raw` read from the start of the struct against the
    /// values sysfs shows.
    pub fn verify(&self, raw: &[u8], sysfs: &MemBankProps) -> Result<(), Mismatch> {
        let checks = [
            ("heap_type", self.heap_type, 4, u64::from(sysfs.heap_type)),
            ("size_in_bytes", self.size_in_bytes, 8, sysfs.size_in_bytes),
            ("flags", self.flags, 4, u64::from(sysfs.flags)),
            ("width", self.width, 4, u64::from(sysfs.width)),
            (
                "mem_clk_max",
                self.mem_clk_max,
                4,
                u64::from(sysfs.mem_clk_max),
            ),
        ];
        for (field, offset, size, expected) in checks {
            let found = read_le(raw, offset, size).ok_or(Mismatch {
                field,
                offset,
                found: None,
                expected,
            })?;
            if found != expected {
                return Err(Mismatch {
                    field,
                    offset,
                    found: Some(found),
                    expected,
                });
            }
        }
        Ok(())
    }
}

/// Reads a little-endian unsigned integer of `size` (4 or 8) bytes at `offset`.
pub fn read_le(raw: &[u8], offset: usize, size: usize) -> Option<u64> {
    let bytes = raw.get(offset..offset.checked_add(size)?)?;
    match size {
        4 => Some(u64::from(u32::from_le_bytes(bytes.try_into().ok()?))),
        8 => Some(u64::from_le_bytes(bytes.try_into().ok()?)),
        _ => None,
    }
}

/// A field whose bytes differ from what sysfs shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Field name.
    pub field: &'static str,
    /// Assumed offset.
    pub offset: usize,
    /// Value found there (`None`: outside the bytes read).
    pub found: Option<u64>,
    /// Value sysfs shows.
    pub expected: u64,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.found {
            Some(found) => write!(
                f,
                "{} at offset {} reads {:#x}, sysfs shows {:#x}",
                self.field, self.offset, found, self.expected
            ),
            None => write!(
                f,
                "{} at offset {} lies outside the bytes read",
                self.field, self.offset
            ),
        }
    }
}
