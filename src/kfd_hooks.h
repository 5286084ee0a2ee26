/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfd_hooks.h - the interface between kfd_hooks.c and the Rust side
 * (mirrored in kfd_hooks.rs; both sides assert the sizes and values below at
 * compile time, so a change on one side alone does not build).
 */
#ifndef RDNA1_FG_KFD_HOOKS_H
#define RDNA1_FG_KFD_HOOKS_H

#include <linux/types.h>

/* rdna1_fg_hooks_start(): amdgpu is not loaded; hooks wait for it. */
#define RDNA1_FG_WAITING 1

/* rdna1_fg_hooks_start() flags. */
#define RDNA1_FG_NO_SHOW_PROBE 1 /* test only: leave mem_show unprobed */
/*
 * Test only: (N << RDNA1_FG_FAIL_PROBE_SHIFT), N = probe + 1, makes that
 * probe's registration fail with -ENOENT, as if amdgpu lacked the function.
 */
#define RDNA1_FG_FAIL_PROBE_SHIFT 8

/* The probes, in registration order (index into rdna1_fg_probe_names). */
enum rdna1_fg_probe {
	RDNA1_FG_PROBE_SHOW,
	RDNA1_FG_PROBE_SHUTDOWN,
	RDNA1_FG_PROBE_REMOVE,
	RDNA1_FG_PROBE_ADD,
	RDNA1_FG_PROBE_COUNT,
};

enum rdna1_fg_hit {
	RDNA1_FG_HIT_ADD_DEVICE,
	RDNA1_FG_HIT_REMOVE_DEVICE,
	RDNA1_FG_HIT_SHUTDOWN,
	RDNA1_FG_HIT_AMDGPU_LIVE,
	RDNA1_FG_HIT_AMDGPU_GOING,
	RDNA1_FG_HIT_PROBE_ERRORS,
	RDNA1_FG_HIT_COUNT,
};

/*
 * A snapshot of the hooks, for the work and the status file. The trigger
 * kind is an enum rdna1_fg_hit value.
 */
struct rdna1_fg_hook_stats {
	u64 hits[RDNA1_FG_HIT_COUNT];
	u64 trigger_ns;
	u64 trigger_kind;
	u64 now_ns;
	/*
	 * Topology generation: moves at every entry and return of add/remove,
	 * at shutdown, and when the probes are registered or unregistered.
	 */
	u64 topology_gen;
	/* Adds and removes in progress (entered, not returned). */
	s64 topology_changing;
	/* The kprobe core's nmissed of the mem_show probe and of the others. */
	u64 show_missed;
	u64 other_missed;
	/* The last failed registration: its errno (0: none) and probe. */
	s32 last_error;
	u32 last_error_probe;
	/* KFD is loaded and hooked, and has not started shutting down. */
	u8 kfd_live;
	u8 probes_registered;
	u8 show_probe_registered;
	u8 pad[5];
};

#define RDNA1_FG_HOOK_STATS_SIZE 120

/* Implemented in Rust (kfd_hooks.rs): the topology work, process context. */
void rdna1_fg_topology_work(void *ctx);
/* Implemented in Rust (kfd_mem.rs): runs inside mem_show, atomic context. */
void rdna1_fg_mem_show_hook(const void *task, bool in_task, const void *attr);

int rdna1_fg_hooks_start(void *ctx, u32 flags, u32 *failed_probe);
int rdna1_fg_hooks_register_now(u32 *failed_probe);
void rdna1_fg_hooks_stop_registering(void);
void rdna1_fg_hooks_run_now(void);
void rdna1_fg_hooks_retry(u32 ms);
void rdna1_fg_hooks_stop(void);
void rdna1_fg_hook_stats(struct rdna1_fg_hook_stats *out);
const char *rdna1_fg_probe_name(u32 probe);
u32 rdna1_fg_cmpxchg_u32(u32 *field, u32 old, u32 new);
u64 rdna1_fg_now_ns(void);

#endif
