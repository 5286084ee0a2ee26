// SPDX-License-Identifier: GPL-2.0
/*
 * kfd_hooks.c - the hooks of rdna1_fg on KFD's topology, kept in C because
 * the Rust bindings have no kprobe API (its structs depend on the config).
 *
 * What lives here:
 *  - a module notifier that sees amdgpu go live (its init has run, so KFD's
 *    topology exists) and go away;
 *  - probes on KFD's own functions, registered while amdgpu is loaded:
 *      kfd_topology_add_device      entry and return: a GPU node is added
 *                                   (its sysfs tree is rebuilt meanwhile)
 *      kfd_topology_remove_device   entry and return: a GPU node is removed
 *      kfd_topology_shutdown        entry: amdgpu exit frees the topology
 *  - the write gate: a spinlock, a topology epoch and a "topology unsafe"
 *    state, which let the Rust side write a bank's flags only while KFD
 *    cannot be freeing it;
 *  - one work item that runs the Rust side's rescan in process context;
 *  - rdna1_fg_open_sysfs(), which opens a sysfs file as seen from init's
 *    root, whatever the calling context.
 *
 * Probe handlers run in atomic context: they only count, stamp a time, move
 * the gate and queue the work. See "Concurrency" in rdna1_fg.rs for the
 * whole model.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/lockdep.h>
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "kfd_hooks.h"

/* The Rust `module!` has no version field; the C half gives it (Kbuild). */
MODULE_VERSION(RDNA1_FG_VERSION);

static void *rfg_ctx;
static struct work_struct rfg_work;

/*
 * The write gate. rfg_gate_lock protects rfg_epoch, rfg_changing and
 * rfg_kfd_live. A writer holds the lock (irqs off) from its epoch check to
 * the end of its store; KFD's free paths take it in their entry probes,
 * before anything is freed, and leave the state unsafe until they are done.
 * Adding a node frees nothing, but rebuilds every node's sysfs tree: it
 * marks the topology as changing too, so that no pass trusts a partial view.
 */
static DEFINE_SPINLOCK(rfg_gate_lock);
static u64 rfg_epoch;
static int rfg_changing;
static bool rfg_kfd_live;

static atomic64_t rfg_hits[RDNA1_FG_HIT_COUNT];
static atomic64_t rfg_trigger_ns;
static atomic64_t rfg_trigger_kind;

/* Probe (un)registration: serialized between the notifier and module exit. */
static DEFINE_MUTEX(rfg_probe_mutex);
static bool rfg_probes_registered;
static bool rfg_stopping;

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

/* Entry of a function that changes the topology: close the gate. */
static void rfg_gate_close(bool for_good)
{
	unsigned long flags;

	spin_lock_irqsave(&rfg_gate_lock, flags);
	rfg_epoch++;
	if (for_good)
		rfg_kfd_live = false;
	else
		rfg_changing++;
	spin_unlock_irqrestore(&rfg_gate_lock, flags);
}

/* Return of a function that changed the topology: open it again. */
static void rfg_gate_reopen(void)
{
	unsigned long flags;

	spin_lock_irqsave(&rfg_gate_lock, flags);
	rfg_epoch++;
	if (rfg_changing > 0)
		rfg_changing--;
	spin_unlock_irqrestore(&rfg_gate_lock, flags);
}

/*
 * The add probe's entry and return handlers run as a pair: when no instance
 * is free, neither runs (counted in nmissed), so the count stays balanced.
 */
static int rfg_add_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	rfg_gate_close(false);
	return 0;
}

static int rfg_add_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	rfg_hit(RDNA1_FG_HIT_ADD_DEVICE);
	rfg_gate_reopen();
	rfg_trigger(RDNA1_FG_HIT_ADD_DEVICE);
	return 0;
}

static int rfg_remove_entry(struct kprobe *p, struct pt_regs *regs)
{
	rfg_hit(RDNA1_FG_HIT_REMOVE_DEVICE);
	rfg_gate_close(false);
	return 0;
}

static int rfg_remove_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	rfg_gate_reopen();
	rfg_trigger(RDNA1_FG_HIT_REMOVE_DEVICE);
	return 0;
}

static int rfg_shutdown_entry(struct kprobe *p, struct pt_regs *regs)
{
	rfg_hit(RDNA1_FG_HIT_SHUTDOWN);
	rfg_gate_close(true);
	queue_work(system_dfl_wq, &rfg_work);
	return 0;
}

static struct kretprobe rfg_add_probe = {
	.kp.symbol_name = "kfd_topology_add_device",
	.entry_handler = rfg_add_entry,
	.handler = rfg_add_ret,
	.maxactive = 16,
};

static struct kprobe rfg_remove_entry_probe = {
	.symbol_name = "kfd_topology_remove_device",
	.pre_handler = rfg_remove_entry,
};

/*
 * A plain kprobe closes the gate at entry: it always runs. If this return
 * probe ever misses (no free instance), rfg_changing stays raised and writes
 * stay refused: the safe direction (nmissed shows it in the status file).
 */
static struct kretprobe rfg_remove_ret_probe = {
	.kp.symbol_name = "kfd_topology_remove_device",
	.handler = rfg_remove_ret,
	.maxactive = 16,
};

static struct kprobe rfg_shutdown_probe = {
	.symbol_name = "kfd_topology_shutdown",
	.pre_handler = rfg_shutdown_entry,
};

/* A struct kprobe or kretprobe can be registered again only when cleared. */
static void rfg_reset_probes(void)
{
	memset(&rfg_add_probe.kp, 0, sizeof(rfg_add_probe.kp));
	rfg_add_probe.kp.symbol_name = "kfd_topology_add_device";
	memset(&rfg_remove_entry_probe, 0, sizeof(rfg_remove_entry_probe));
	rfg_remove_entry_probe.symbol_name = "kfd_topology_remove_device";
	rfg_remove_entry_probe.pre_handler = rfg_remove_entry;
	memset(&rfg_remove_ret_probe.kp, 0, sizeof(rfg_remove_ret_probe.kp));
	rfg_remove_ret_probe.kp.symbol_name = "kfd_topology_remove_device";
	memset(&rfg_shutdown_probe, 0, sizeof(rfg_shutdown_probe));
	rfg_shutdown_probe.symbol_name = "kfd_topology_shutdown";
	rfg_shutdown_probe.pre_handler = rfg_shutdown_entry;
}

/* Called with rfg_probe_mutex held. */
static void rfg_unregister_probes_locked(void)
{
	if (!rfg_probes_registered)
		return;
	/* Counts of missed return probes, kept for the status file. */
	atomic64_add(rfg_add_probe.nmissed + rfg_remove_ret_probe.nmissed,
		     &rfg_hits[RDNA1_FG_HIT_MISSED]);
	unregister_kprobe(&rfg_shutdown_probe);
	unregister_kretprobe(&rfg_remove_ret_probe);
	unregister_kprobe(&rfg_remove_entry_probe);
	unregister_kretprobe(&rfg_add_probe);
	WRITE_ONCE(rfg_probes_registered, false);
}

/*
 * Called with rfg_probe_mutex held. Returns 0, or -ENOENT when amdgpu (and so
 * KFD) is not loaded, or another error from the kprobe core.
 */
static int rfg_register_probes_locked(void)
{
	unsigned long flags;
	int ret;

	if (rfg_probes_registered)
		return 0;
	rfg_reset_probes();
	/* The free paths first: once they are hooked, the gate can open. */
	ret = register_kprobe(&rfg_shutdown_probe);
	if (ret)
		return ret;
	ret = register_kprobe(&rfg_remove_entry_probe);
	if (ret)
		goto out_shutdown;
	ret = register_kretprobe(&rfg_remove_ret_probe);
	if (ret)
		goto out_remove_entry;
	ret = register_kretprobe(&rfg_add_probe);
	if (ret)
		goto out_remove_ret;
	WRITE_ONCE(rfg_probes_registered, true);

	spin_lock_irqsave(&rfg_gate_lock, flags);
	rfg_epoch++;
	rfg_changing = 0;
	rfg_kfd_live = true;
	spin_unlock_irqrestore(&rfg_gate_lock, flags);
	return 0;

out_remove_ret:
	unregister_kretprobe(&rfg_remove_ret_probe);
out_remove_entry:
	unregister_kprobe(&rfg_remove_entry_probe);
out_shutdown:
	unregister_kprobe(&rfg_shutdown_probe);
	return ret;
}

static int rfg_module_event(struct notifier_block *nb, unsigned long event, void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "amdgpu") != 0)
		return NOTIFY_DONE;

	mutex_lock(&rfg_probe_mutex);
	switch (event) {
	case MODULE_STATE_LIVE:
		rfg_hit(RDNA1_FG_HIT_AMDGPU_LIVE);
		/* While rdna1_fg is unloading, no new hooks. */
		if (rfg_stopping)
			break;
		if (rfg_register_probes_locked() == 0)
			rfg_trigger(RDNA1_FG_HIT_AMDGPU_LIVE);
		else
			rfg_hit(RDNA1_FG_HIT_PROBE_ERRORS);
		break;
	case MODULE_STATE_GOING:
		rfg_hit(RDNA1_FG_HIT_AMDGPU_GOING);
		/* amdgpu's exit has run (kfd_topology_shutdown closed the gate). */
		rfg_gate_close(true);
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

/* Unregisters everything and waits for the work: nothing runs afterwards. */
static void rfg_stop_all(void)
{
	unregister_module_notifier(&rfg_module_nb);
	mutex_lock(&rfg_probe_mutex);
	rfg_stopping = true;
	rfg_unregister_probes_locked();
	mutex_unlock(&rfg_probe_mutex);
	/* Nothing can queue the work any more; make sure it is not running. */
	cancel_work_sync(&rfg_work);
	rfg_ctx = NULL;
}

int rdna1_fg_hooks_start(void *ctx)
{
	int ret;

	rfg_ctx = ctx;
	INIT_WORK(&rfg_work, rfg_work_fn);
	rfg_stopping = false;
	ret = register_module_notifier(&rfg_module_nb);
	if (ret)
		return ret;

	/* amdgpu may be loaded already: then hook it now and scan. */
	mutex_lock(&rfg_probe_mutex);
	ret = rfg_register_probes_locked();
	mutex_unlock(&rfg_probe_mutex);
	if (ret == 0)
		return 0;
	if (ret == -ENOENT)
		return RDNA1_FG_WAITING;
	/* The notifier may have hooked amdgpu or queued the work meanwhile. */
	rfg_stop_all();
	return ret;
}

void rdna1_fg_hooks_quiesce(void)
{
	mutex_lock(&rfg_probe_mutex);
	rfg_stopping = true;
	mutex_unlock(&rfg_probe_mutex);
	/* A pending rescan runs now, so that restoring sees the topology as is. */
	flush_work(&rfg_work);
}

void rdna1_fg_hooks_stop(void)
{
	rfg_stop_all();
}

int rdna1_fg_gate_state(u64 *epoch)
{
	unsigned long flags;
	int state;

	spin_lock_irqsave(&rfg_gate_lock, flags);
	*epoch = rfg_epoch;
	if (!rfg_kfd_live)
		state = RDNA1_FG_GATE_NO_KFD;
	else if (rfg_changing != 0)
		state = RDNA1_FG_GATE_CHANGING;
	else
		state = RDNA1_FG_GATE_OPEN;
	spin_unlock_irqrestore(&rfg_gate_lock, flags);
	return state;
}

bool rdna1_fg_gate_enter(u64 epoch, unsigned long *irq_flags)
{
	unsigned long flags;

	spin_lock_irqsave(&rfg_gate_lock, flags);
	if (epoch != rfg_epoch || !rfg_kfd_live || rfg_changing != 0) {
		spin_unlock_irqrestore(&rfg_gate_lock, flags);
		return false;
	}
	*irq_flags = flags;
	return true;
}

void rdna1_fg_gate_leave(unsigned long irq_flags)
{
	spin_unlock_irqrestore(&rfg_gate_lock, irq_flags);
}

bool rdna1_fg_gate_swap_u32(u32 *field, u32 old, u32 new)
{
	lockdep_assert_held(&rfg_gate_lock);
	return cmpxchg(field, old, new) == old;
}

void rdna1_fg_hook_stats(struct rdna1_fg_hook_stats *out)
{
	int i;

	for (i = 0; i < RDNA1_FG_HIT_COUNT; i++)
		out->hits[i] = atomic64_read(&rfg_hits[i]);
	out->trigger_ns = atomic64_read(&rfg_trigger_ns);
	out->trigger_kind = atomic64_read(&rfg_trigger_kind);
	out->now_ns = ktime_get_ns();
	out->probes_registered = READ_ONCE(rfg_probes_registered);
	if (out->probes_registered)
		out->hits[RDNA1_FG_HIT_MISSED] +=
			READ_ONCE(rfg_add_probe.nmissed) + READ_ONCE(rfg_remove_ret_probe.nmissed);
}

void rdna1_fg_msleep(unsigned int ms)
{
	msleep(ms);
}

u64 rdna1_fg_now_ns(void)
{
	return ktime_get_ns();
}

/*
 * Opens PATH (absolute) read-only, resolved from the root of PID 1 rather
 * than the caller's: a workqueue thread's root need not see /sys (kernels
 * with a nullfs root), and insmod/rmmod may run in a container.
 */
struct file *rdna1_fg_open_sysfs(const char *path)
{
	struct task_struct *init;
	struct pid *pid;
	struct path root;
	struct file *file;

	pid = find_get_pid(1);
	init = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!init)
		return ERR_PTR(-ESRCH);
	task_lock(init);
	if (!init->fs) {
		task_unlock(init);
		put_task_struct(init);
		return ERR_PTR(-ESRCH);
	}
	get_fs_root(init->fs, &root);
	task_unlock(init);
	put_task_struct(init);

	file = file_open_root(&root, path, O_RDONLY, 0);
	path_put(&root);
	return file;
}
