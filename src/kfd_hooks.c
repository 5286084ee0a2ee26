// SPDX-License-Identifier: GPL-2.0
/*
 * kfd_hooks.c - the hooks of rdna1_fg on KFD, kept in C because the Rust
 * bindings have no kprobe API (its structs depend on the config).
 *
 * What lives here:
 *  - a module notifier that sees amdgpu go live (its init has run, so KFD's
 *    topology exists) and go away;
 *  - probes on KFD's own functions, registered while amdgpu is loaded:
 *      mem_show                     entry: the only place the module writes
 *                                   (hands the attribute to the Rust side)
 *      kfd_topology_shutdown        entry: amdgpu exit frees the topology
 *      kfd_topology_remove_device   entry and return: a GPU node is removed
 *      kfd_topology_add_device      entry and return: a GPU node is added
 *                                   (every node's sysfs tree is rebuilt)
 *    The last three trigger rescans and keep a topology generation and
 *    counts for bookkeeping (the shutdown probe also marks KFD gone and
 *    moves the KFD instance); no write depends on them having fired.
 *  - the topology work (rescans, restore) and its delayed retry.
 *
 * Probe handlers run in atomic context, on any preemption model: they take
 * no lock, allocate nothing and log nothing; they use atomics and
 * queue_work() only. See "Concurrency" in rdna1_fg.rs for the whole model.
 */

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "kfd_hooks.h"

/*
 * The interface's numbers, asserted with the same values in kfd_hooks.rs: a
 * change on one side alone does not build.
 */
static_assert(RDNA1_FG_WAITING == 1);
static_assert(RDNA1_FG_NO_SHOW_PROBE == 1);
static_assert(RDNA1_FG_FAIL_PROBE_SHIFT == 8);
static_assert(RDNA1_FG_PROBE_SHOW == 0 && RDNA1_FG_PROBE_SHUTDOWN == 1 &&
	      RDNA1_FG_PROBE_REMOVE == 2 && RDNA1_FG_PROBE_ADD == 3 &&
	      RDNA1_FG_PROBE_COUNT == 4);
static_assert(RDNA1_FG_HIT_ADD_DEVICE == 0 && RDNA1_FG_HIT_REMOVE_DEVICE == 1 &&
	      RDNA1_FG_HIT_SHUTDOWN == 2 && RDNA1_FG_HIT_AMDGPU_LIVE == 3 &&
	      RDNA1_FG_HIT_AMDGPU_GOING == 4 && RDNA1_FG_HIT_PROBE_ERRORS == 5 &&
	      RDNA1_FG_HIT_COUNT == 6);
static_assert(sizeof(struct rdna1_fg_hook_stats) == RDNA1_FG_HOOK_STATS_SIZE);
static_assert(RDNA1_FG_HOOK_STATS_SIZE == 120);
#define RFG_AT(field, offset) \
	static_assert(offsetof(struct rdna1_fg_hook_stats, field) == (offset))
RFG_AT(hits, 0);
RFG_AT(trigger_ns, 48);
RFG_AT(trigger_kind, 56);
RFG_AT(now_ns, 64);
RFG_AT(topology_gen, 72);
RFG_AT(topology_changing, 80);
RFG_AT(show_missed, 88);
RFG_AT(other_missed, 96);
RFG_AT(last_error, 104);
RFG_AT(last_error_probe, 108);
RFG_AT(kfd_live, 112);
RFG_AT(probes_registered, 113);
RFG_AT(show_probe_registered, 114);
RFG_AT(pad, 115);
#undef RFG_AT

/* The Rust `module!` has no version field; the C half gives it (Kbuild). */
MODULE_VERSION(RDNA1_FG_VERSION);

/*
 * The Rust side's state (an owned foreign reference), given at start and
 * handed back to Rust only after rfg_stop_all() has cancelled the work.
 */
static void *rfg_ctx;
static struct work_struct rfg_work;
static struct delayed_work rfg_retry;

static atomic64_t rfg_hits[RDNA1_FG_HIT_COUNT];
static atomic64_t rfg_trigger_ns;
static atomic64_t rfg_trigger_kind;
static atomic64_t rfg_topology_gen;
static atomic64_t rfg_topology_changing;
static atomic_t rfg_kfd_live;
static atomic_t rfg_last_error;
static atomic_t rfg_last_error_probe;
/* nmissed of unregistered probes, kept for the status file. */
static atomic64_t rfg_show_missed_before;
static atomic64_t rfg_other_missed_before;

/* Probe (un)registration: serialized between the notifier and module exit. */
static DEFINE_MUTEX(rfg_probe_mutex);
static bool rfg_probes_registered;
static bool rfg_show_probe_registered;
static bool rfg_stopping;
static u32 rfg_flags;

static const char *const rfg_probe_names[RDNA1_FG_PROBE_COUNT] = {
	[RDNA1_FG_PROBE_SHOW] = "mem_show",
	[RDNA1_FG_PROBE_SHUTDOWN] = "kfd_topology_shutdown",
	[RDNA1_FG_PROBE_REMOVE] = "kfd_topology_remove_device",
	[RDNA1_FG_PROBE_ADD] = "kfd_topology_add_device",
};

static void rfg_hit(enum rdna1_fg_hit hit)
{
	atomic64_inc(&rfg_hits[hit]);
}

static void rfg_trigger(enum rdna1_fg_hit kind)
{
	atomic64_set(&rfg_trigger_ns, ktime_get_ns());
	atomic64_set(&rfg_trigger_kind, kind);
	queue_work(system_dfl_wq, &rfg_work);
}

/*
 * mem_show(kobj, attr, buf) is running: hand the attribute to the Rust side,
 * which acts only if this is the module's own read on this very task.
 */
static int rfg_show_entry(struct kprobe *p, struct pt_regs *regs)
{
	rdna1_fg_mem_show_hook(current, in_task(),
			       (const void *)regs_get_kernel_argument(regs, 1));
	return 0;
}

/* Entry and return of add and remove run as pairs (see rfg_change_entry). */
static void rfg_change_begin(void)
{
	atomic64_inc(&rfg_topology_gen);
	atomic64_inc(&rfg_topology_changing);
}

static void rfg_change_end(void)
{
	atomic64_dec(&rfg_topology_changing);
	atomic64_inc(&rfg_topology_gen);
}

/*
 * A kretprobe's return handler runs only for an entry that got an instance
 * and whose entry handler returned 0; when none is free, neither runs
 * (counted in nmissed). So the "changing" count stays balanced.
 */
static int rfg_change_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	rfg_change_begin();
	return 0;
}

static int rfg_add_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	rfg_change_end();
	rfg_hit(RDNA1_FG_HIT_ADD_DEVICE);
	rfg_trigger(RDNA1_FG_HIT_ADD_DEVICE);
	return 0;
}

static int rfg_remove_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	rfg_change_end();
	rfg_hit(RDNA1_FG_HIT_REMOVE_DEVICE);
	rfg_trigger(RDNA1_FG_HIT_REMOVE_DEVICE);
	return 0;
}

static int rfg_shutdown_entry(struct kprobe *p, struct pt_regs *regs)
{
	rfg_hit(RDNA1_FG_HIT_SHUTDOWN);
	atomic64_inc(&rfg_topology_gen);
	atomic_set(&rfg_kfd_live, 0);
	queue_work(system_dfl_wq, &rfg_work);
	return 0;
}

static struct kprobe rfg_show_probe;
static struct kprobe rfg_shutdown_probe;
static struct kretprobe rfg_remove_probe;
static struct kretprobe rfg_add_probe;

/* A struct kprobe or kretprobe can be registered again only when cleared. */
static void rfg_reset_probes(void)
{
	memset(&rfg_show_probe, 0, sizeof(rfg_show_probe));
	/* MOD:SYM: amdgpu's own mem_show, not another module's. */
	rfg_show_probe.symbol_name = "amdgpu:mem_show";
	rfg_show_probe.pre_handler = rfg_show_entry;

	memset(&rfg_shutdown_probe, 0, sizeof(rfg_shutdown_probe));
	rfg_shutdown_probe.symbol_name = "kfd_topology_shutdown";
	rfg_shutdown_probe.pre_handler = rfg_shutdown_entry;

	memset(&rfg_remove_probe, 0, sizeof(rfg_remove_probe));
	rfg_remove_probe.kp.symbol_name = "kfd_topology_remove_device";
	rfg_remove_probe.entry_handler = rfg_change_entry;
	rfg_remove_probe.handler = rfg_remove_ret;
	rfg_remove_probe.maxactive = 16;

	memset(&rfg_add_probe, 0, sizeof(rfg_add_probe));
	rfg_add_probe.kp.symbol_name = "kfd_topology_add_device";
	rfg_add_probe.entry_handler = rfg_change_entry;
	rfg_add_probe.handler = rfg_add_ret;
	rfg_add_probe.maxactive = 16;
}

static u64 rfg_other_nmissed(void)
{
	return READ_ONCE(rfg_shutdown_probe.nmissed) + READ_ONCE(rfg_remove_probe.nmissed) +
	       READ_ONCE(rfg_remove_probe.kp.nmissed) + READ_ONCE(rfg_add_probe.nmissed) +
	       READ_ONCE(rfg_add_probe.kp.nmissed);
}

/* Called with rfg_probe_mutex held. */
static void rfg_unregister_probes_locked(void)
{
	if (!rfg_probes_registered)
		return;
	atomic_set(&rfg_kfd_live, 0);
	/* unregister_*probe() waits for running handlers to finish. */
	unregister_kretprobe(&rfg_add_probe);
	unregister_kretprobe(&rfg_remove_probe);
	unregister_kprobe(&rfg_shutdown_probe);
	atomic64_add(rfg_other_nmissed(), &rfg_other_missed_before);
	if (rfg_show_probe_registered) {
		unregister_kprobe(&rfg_show_probe);
		atomic64_add(READ_ONCE(rfg_show_probe.nmissed), &rfg_show_missed_before);
	}
	WRITE_ONCE(rfg_show_probe_registered, false);
	WRITE_ONCE(rfg_probes_registered, false);
	/* An add or remove cut short by amdgpu's exit never returns here. */
	atomic64_set(&rfg_topology_changing, 0);
	atomic64_inc(&rfg_topology_gen);
}

/* Test only: -ENOENT if the flags say that @probe's registration fails. */
static int rfg_forced_error(u32 probe)
{
	return (rfg_flags >> RDNA1_FG_FAIL_PROBE_SHIFT) == probe + 1 ? -ENOENT : 0;
}

/*
 * Called with rfg_probe_mutex held. Returns 0, or the kprobe core's error
 * with *failed set to the probe that failed (-ENOENT: its symbol was not
 * found, because amdgpu is not loaded or does not have it).
 */
static int rfg_register_probes_locked(u32 *failed)
{
	bool show = !(rfg_flags & RDNA1_FG_NO_SHOW_PROBE);
	int ret;

	if (rfg_probes_registered)
		return 0;
	rfg_reset_probes();
	*failed = RDNA1_FG_PROBE_SHOW;
	if (show) {
		ret = rfg_forced_error(RDNA1_FG_PROBE_SHOW) ?: register_kprobe(&rfg_show_probe);
		if (ret)
			return ret;
		/*
		 * An int3-based probe runs in exception context, where the handler
		 * cannot tell the reader's own call from an interrupt: it would never
		 * write. Only an ftrace-based one runs in the reader's context.
		 */
		if (!kprobe_ftrace(&rfg_show_probe)) {
			unregister_kprobe(&rfg_show_probe);
			return -EOPNOTSUPP;
		}
	}
	*failed = RDNA1_FG_PROBE_SHUTDOWN;
	ret = rfg_forced_error(RDNA1_FG_PROBE_SHUTDOWN) ?: register_kprobe(&rfg_shutdown_probe);
	if (ret)
		goto out_show;
	*failed = RDNA1_FG_PROBE_REMOVE;
	ret = rfg_forced_error(RDNA1_FG_PROBE_REMOVE) ?: register_kretprobe(&rfg_remove_probe);
	if (ret)
		goto out_shutdown;
	*failed = RDNA1_FG_PROBE_ADD;
	ret = rfg_forced_error(RDNA1_FG_PROBE_ADD) ?: register_kretprobe(&rfg_add_probe);
	if (ret)
		goto out_remove;
	WRITE_ONCE(rfg_show_probe_registered, show);
	WRITE_ONCE(rfg_probes_registered, true);
	/*
	 * No reset of rfg_topology_changing here: it is 0 from the last
	 * unregistration (or static init), and an add or remove that entered
	 * while the kretprobes were being armed has counted itself in and will
	 * count itself out.
	 */
	atomic64_inc(&rfg_topology_gen);
	atomic_set(&rfg_kfd_live, 1);
	return 0;

out_remove:
	unregister_kretprobe(&rfg_remove_probe);
out_shutdown:
	unregister_kprobe(&rfg_shutdown_probe);
out_show:
	if (show)
		unregister_kprobe(&rfg_show_probe);
	return ret;
}

static void rfg_note_error(int err, u32 probe)
{
	rfg_hit(RDNA1_FG_HIT_PROBE_ERRORS);
	atomic_set(&rfg_last_error_probe, probe);
	atomic_set(&rfg_last_error, err);
}

static int rfg_module_event(struct notifier_block *nb, unsigned long event, void *data)
{
	struct module *mod = data;
	u32 failed;
	int ret;

	if (strcmp(mod->name, "amdgpu") != 0)
		return NOTIFY_DONE;

	mutex_lock(&rfg_probe_mutex);
	switch (event) {
	case MODULE_STATE_LIVE:
		rfg_hit(RDNA1_FG_HIT_AMDGPU_LIVE);
		/* While rdna1_fg is unloading, no new hooks. */
		if (rfg_stopping)
			break;
		ret = rfg_register_probes_locked(&failed);
		if (ret)
			rfg_note_error(ret, failed);
		/* The work logs a failure, or rescans. */
		rfg_trigger(RDNA1_FG_HIT_AMDGPU_LIVE);
		break;
	case MODULE_STATE_GOING:
		rfg_hit(RDNA1_FG_HIT_AMDGPU_GOING);
		/* amdgpu's exit has run: KFD's topology is gone. */
		rfg_unregister_probes_locked();
		queue_work(system_dfl_wq, &rfg_work);
		break;
	}
	mutex_unlock(&rfg_probe_mutex);
	return NOTIFY_DONE;
}

static struct notifier_block rfg_module_nb = {
	.notifier_call = rfg_module_event,
};

static void rfg_work_fn(struct work_struct *work)
{
	rdna1_fg_topology_work(rfg_ctx);
}

static void rfg_retry_fn(struct work_struct *work)
{
	rdna1_fg_topology_work(rfg_ctx);
}

/* Unregisters everything and waits for the work: nothing runs afterwards. */
static void rfg_stop_all(void)
{
	unregister_module_notifier(&rfg_module_nb);
	mutex_lock(&rfg_probe_mutex);
	rfg_stopping = true;
	rfg_unregister_probes_locked();
	mutex_unlock(&rfg_probe_mutex);
	/*
	 * Nothing queues rfg_work any more; the work may still queue its retry,
	 * so the retry is cancelled after it (cancel_delayed_work_sync() also
	 * copes with a retry that queues itself again).
	 */
	cancel_work_sync(&rfg_work);
	cancel_delayed_work_sync(&rfg_retry);
	rfg_ctx = NULL;
}

int rdna1_fg_hooks_start(void *ctx, u32 flags, u32 *failed_probe)
{
	int ret;

	rfg_ctx = ctx;
	rfg_flags = flags;
	INIT_WORK(&rfg_work, rfg_work_fn);
	INIT_DELAYED_WORK(&rfg_retry, rfg_retry_fn);
	rfg_stopping = false;
	ret = register_module_notifier(&rfg_module_nb);
	if (ret) {
		rfg_ctx = NULL;
		return ret;
	}

	/* amdgpu may be loaded already: then hook it now. */
	mutex_lock(&rfg_probe_mutex);
	ret = rfg_register_probes_locked(failed_probe);
	mutex_unlock(&rfg_probe_mutex);
	if (ret == 0)
		return 0;
	if (ret == -ENOENT)
		return RDNA1_FG_WAITING;
	/* The notifier may have hooked amdgpu or queued the work meanwhile. */
	rfg_stop_all();
	return ret;
}

int rdna1_fg_hooks_register_now(u32 *failed_probe)
{
	int ret;

	mutex_lock(&rfg_probe_mutex);
	ret = rfg_register_probes_locked(failed_probe);
	mutex_unlock(&rfg_probe_mutex);
	return ret;
}

void rdna1_fg_hooks_stop_registering(void)
{
	mutex_lock(&rfg_probe_mutex);
	rfg_stopping = true;
	mutex_unlock(&rfg_probe_mutex);
}

void rdna1_fg_hooks_run_now(void)
{
	queue_work(system_dfl_wq, &rfg_work);
	flush_work(&rfg_work);
}

void rdna1_fg_hooks_retry(u32 ms)
{
	/* The latest pass decides: its retry replaces one still pending. */
	mod_delayed_work(system_dfl_wq, &rfg_retry, msecs_to_jiffies(ms));
}

void rdna1_fg_hooks_stop(void)
{
	rfg_stop_all();
}

void rdna1_fg_hook_stats(struct rdna1_fg_hook_stats *out)
{
	bool registered;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < RDNA1_FG_HIT_COUNT; i++)
		out->hits[i] = atomic64_read(&rfg_hits[i]);
	out->trigger_ns = atomic64_read(&rfg_trigger_ns);
	out->trigger_kind = atomic64_read(&rfg_trigger_kind);
	out->now_ns = ktime_get_ns();
	out->topology_gen = atomic64_read(&rfg_topology_gen);
	out->topology_changing = atomic64_read(&rfg_topology_changing);
	out->last_error = atomic_read(&rfg_last_error);
	out->last_error_probe = atomic_read(&rfg_last_error_probe);
	out->kfd_live = atomic_read(&rfg_kfd_live);
	/* Under the mutex, so that the probes' nmissed fields stay valid. */
	mutex_lock(&rfg_probe_mutex);
	registered = rfg_probes_registered;
	out->probes_registered = registered;
	out->show_probe_registered = rfg_show_probe_registered;
	out->show_missed = atomic64_read(&rfg_show_missed_before);
	out->other_missed = atomic64_read(&rfg_other_missed_before);
	if (registered) {
		if (rfg_show_probe_registered)
			out->show_missed += READ_ONCE(rfg_show_probe.nmissed);
		out->other_missed += rfg_other_nmissed();
	}
	mutex_unlock(&rfg_probe_mutex);
}

const char *rdna1_fg_probe_name(u32 probe)
{
	return probe < RDNA1_FG_PROBE_COUNT ? rfg_probe_names[probe] : "?";
}

u32 rdna1_fg_cmpxchg_u32(u32 *field, u32 old, u32 new)
{
	return cmpxchg(field, old, new);
}

u64 rdna1_fg_now_ns(void)
{
	return ktime_get_ns();
}
