// SPDX-License-Identifier: GPL-2.0

//! The Rust side of `kfd_layout.c`: the layout of `struct
//! kfd_mem_properties` from KFD's own header in the tree the module was
//! built against, or the known layout when that tree had none.

use crate::logic::layout::{LayoutSource, MemPropsLayout, KFD_MEM_PROPERTIES};

/// `struct rdna1_fg_layout` (`kfd_layout.h`).
#[repr(C)]
struct RawLayout {
    from_header: u32,
    heap_type: u32,
    size_in_bytes: u32,
    flags: u32,
    width: u32,
    mem_clk_max: u32,
    attr: u32,
}

// `RDNA1_FG_LAYOUT_SIZE` and the field offsets, as `kfd_layout.h` has them.
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<RawLayout>() == 28);
    assert!(offset_of!(RawLayout, from_header) == 0);
    assert!(offset_of!(RawLayout, heap_type) == 4);
    assert!(offset_of!(RawLayout, size_in_bytes) == 8);
    assert!(offset_of!(RawLayout, flags) == 12);
    assert!(offset_of!(RawLayout, width) == 16);
    assert!(offset_of!(RawLayout, mem_clk_max) == 20);
    assert!(offset_of!(RawLayout, attr) == 24);
};

extern "C" {
    static rdna1_fg_build_tree_layout: RawLayout;
}

/// The layout to assume, and where it comes from.
pub(crate) fn build_tree_layout() -> (MemPropsLayout, LayoutSource) {
    // SAFETY: `rdna1_fg_build_tree_layout` is a `const` object of
    // `kfd_layout.c`, initialized at compile time and never written; its
    // type matches `RawLayout` (asserted on both sides).
    let raw = unsafe { &rdna1_fg_build_tree_layout };
    if raw.from_header == 0 {
        return (KFD_MEM_PROPERTIES, LayoutSource::KnownTable);
    }
    // `u32` to `usize` is lossless on every target the kernel builds Rust for.
    let at = |offset: u32| offset as usize;
    let layout = MemPropsLayout {
        heap_type: at(raw.heap_type),
        size_in_bytes: at(raw.size_in_bytes),
        flags: at(raw.flags),
        width: at(raw.width),
        mem_clk_max: at(raw.mem_clk_max),
        attr: at(raw.attr),
    };
    (layout, LayoutSource::KernelHeader)
}
