// SPDX-License-Identifier: GPL-2.0
/*
 * kfd_layout.c - the offsets of struct kfd_mem_properties from KFD's own
 * header, when the kernel tree the module is built against has it.
 *
 * Kbuild defines RDNA1_FG_KFD_TOPOLOGY_H and adds KFD's directory to the
 * include path when $(srctree)/drivers/gpu/drm/amd/amdkfd/kfd_topology.h
 * exists (a full source tree, or one prepared by rdna1-fg-prepare-kernel,
 * which keeps it). Debian's linux-headers packages have no KFD header: then
 * from_header is 0 and the Rust side uses its known layout
 * (src/logic/layout.rs). Either way, every write is preceded by the check of
 * the struct against the bank's sysfs text.
 */
#include <linux/build_bug.h>
#include <linux/stddef.h>

#include "kfd_layout.h"

static_assert(sizeof(struct rdna1_fg_layout) == RDNA1_FG_LAYOUT_SIZE);

#ifdef RDNA1_FG_KFD_TOPOLOGY_H
/* Named in kfd_topology.h's prototypes, defined in headers not kept. */
struct amdgpu_device;
struct kfd_node;
#include "kfd_topology.h"

/* The module reads and compares these as these sizes. */
static_assert(sizeof_field(struct kfd_mem_properties, heap_type) == 4);
static_assert(sizeof_field(struct kfd_mem_properties, size_in_bytes) == 8);
static_assert(sizeof_field(struct kfd_mem_properties, flags) == 4);
static_assert(sizeof_field(struct kfd_mem_properties, width) == 4);
static_assert(sizeof_field(struct kfd_mem_properties, mem_clk_max) == 4);

const struct rdna1_fg_layout rdna1_fg_build_tree_layout = {
	.from_header = 1,
	.heap_type = offsetof(struct kfd_mem_properties, heap_type),
	.size_in_bytes = offsetof(struct kfd_mem_properties, size_in_bytes),
	.flags = offsetof(struct kfd_mem_properties, flags),
	.width = offsetof(struct kfd_mem_properties, width),
	.mem_clk_max = offsetof(struct kfd_mem_properties, mem_clk_max),
	.attr = offsetof(struct kfd_mem_properties, attr),
};
#else
const struct rdna1_fg_layout rdna1_fg_build_tree_layout = { .from_header = 0 };
#endif
