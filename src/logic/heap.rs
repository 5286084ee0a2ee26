// SPDX-License-Identifier: GPL-2.0

//! KFD memory heap types and bank flags, as in `include/uapi/linux/kfd_sysfs.h`.

use core::fmt;

/// `HSA_MEM_FLAGS_HOT_PLUGGABLE`: bit 0 of a memory bank's `flags`.
pub const HOT_PLUGGABLE: u32 = 0x1;

/// Number of heap types KFD defines (`HSA_MEM_HEAP_TYPE_SYSTEM` ..= `GPU_SCRATCH`).
pub const HEAP_TYPE_COUNT: u32 = 6;

/// Mask with one bit for every known heap type.
pub const ALL_HEAPS_MASK: u32 = (1 << HEAP_TYPE_COUNT) - 1;

/// Heap type `HSA_MEM_HEAP_TYPE_SYSTEM`.
pub const HEAP_SYSTEM: u32 = 0;

/// Default heap mask: every heap type except SYSTEM (the GPU's own memory).
pub const DEFAULT_HEAP_MASK: u32 = ALL_HEAPS_MASK & !(1 << HEAP_SYSTEM);

/// Name of a heap type as KFD's headers spell it (`FB_PUBLIC`), or `UNKNOWN`.
pub fn heap_name(heap_type: u32) -> &'static str {
    match heap_type {
        0 => "SYSTEM",
        1 => "FB_PUBLIC",
        2 => "FB_PRIVATE",
        3 => "GPU_GDS",
        4 => "GPU_LDS",
        5 => "GPU_SCRATCH",
        _ => "UNKNOWN",
    }
}

/// Displays a heap mask as heap names joined by `|` (`FB_PUBLIC|FB_PRIVATE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapMask(pub u32);

impl HeapMask {
    /// Whether heap type `heap_type` is enabled in this mask.
    pub fn contains(self, heap_type: u32) -> bool {
        heap_type < 32 && self.0 & (1 << heap_type) != 0
    }
}

impl fmt::Display for HeapMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for heap_type in 0..HEAP_TYPE_COUNT {
            if self.contains(heap_type) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(heap_name(heap_type))?;
                first = false;
            }
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}
