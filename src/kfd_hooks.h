/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfd_hooks.h - the interface between kfd_hooks.c and the Rust side
 * (mirrored by hand in kfd_hooks.rs; keep the two in step).
 */
#ifndef RDNA1_FG_KFD_HOOKS_H
#define RDNA1_FG_KFD_HOOKS_H

#include <linux/types.h>

struct file;

/* rdna1_fg_hooks_start(): amdgpu is not loaded; hooks wait for it. */
#define RDNA1_FG_WAITING 1

/* rdna1_fg_gate_state() */
#define RDNA1_FG_GATE_OPEN 0
#define RDNA1_FG_GATE_CHANGING 1
#define RDNA1_FG_GATE_NO_KFD 2

enum rdna1_fg_hit {
	RDNA1_FG_HIT_ADD_DEVICE,
	RDNA1_FG_HIT_REMOVE_DEVICE,
	RDNA1_FG_HIT_SHUTDOWN,
	RDNA1_FG_HIT_AMDGPU_LIVE,
	RDNA1_FG_HIT_AMDGPU_GOING,
	RDNA1_FG_HIT_PROBE_ERRORS,
	RDNA1_FG_HIT_MISSED,
	RDNA1_FG_HIT_COUNT,
};

struct rdna1_fg_hook_stats {
	u64 hits[RDNA1_FG_HIT_COUNT];
	u64 trigger_ns;
	u64 trigger_kind;
	u64 now_ns;
	bool probes_registered;
};

/* Implemented in Rust (kfd_hooks.rs): rescan or forget, in process context. */
void rdna1_fg_topology_work(void *ctx);

int rdna1_fg_hooks_start(void *ctx);
void rdna1_fg_hooks_quiesce(void);
void rdna1_fg_hooks_stop(void);
int rdna1_fg_gate_state(u64 *epoch);
bool rdna1_fg_gate_enter(u64 epoch, unsigned long *irq_flags);
void rdna1_fg_gate_leave(unsigned long irq_flags);
/* Inside the gate: *field = new if it is old; returns whether it was. */
bool rdna1_fg_gate_swap_u32(u32 *field, u32 old, u32 new);
void rdna1_fg_msleep(unsigned int ms);
struct file *rdna1_fg_open_sysfs(const char *path);
void rdna1_fg_hook_stats(struct rdna1_fg_hook_stats *out);
u64 rdna1_fg_now_ns(void);

#endif
