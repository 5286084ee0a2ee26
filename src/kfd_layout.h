/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfd_layout.h - the layout of KFD's struct kfd_mem_properties as the tree
 * the module is built against declares it (kfd_layout.c), for the Rust side
 * (mirrored in kfd_layout.rs, which asserts the same size and offsets).
 */
#ifndef RDNA1_FG_KFD_LAYOUT_H
#define RDNA1_FG_KFD_LAYOUT_H

#include <linux/types.h>

struct rdna1_fg_layout {
	/* 1: the offsets below come from kfd_topology.h; 0: no header. */
	u32 from_header;
	u32 heap_type;
	u32 size_in_bytes;
	u32 flags;
	u32 width;
	u32 mem_clk_max;
	u32 attr;
};

#define RDNA1_FG_LAYOUT_SIZE 28

extern const struct rdna1_fg_layout rdna1_fg_build_tree_layout;

#endif
