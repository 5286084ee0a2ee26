// SPDX-License-Identifier: GPL-2.0

//! rdna1_fg: marks the KFD memory banks of AMD Navi 10 GPUs (PCI device
//! 0x731F: RX 5600 XT / 5700 / 5700 XT) as `HSA_MEM_FLAGS_HOT_PLUGGABLE`.
//!
//! For every KFD topology node whose `device_id` matches and every memory
//! bank whose heap type is enabled, the module sets bit 0 of the bank's
//! `flags` in the live `struct kfd_mem_properties`. It does so at load and
//! again whenever KFD's topology changes (amdgpu loaded, a GPU added or
//! removed), and at unload it clears exactly the bits it set.
//!
//! # How a write is made safe
//!
//! The write happens inside KFD's own `mem_show()`, called for a read the
//! module makes itself, on its kworker. The module reads the bank's sysfs
//! `properties`; KFD's `mem_show()` prints that text from the struct, and a
//! kprobe on `mem_show` hands the attribute KFD is showing to the module
//! (`kfd_mem.rs`, `logic/handoff.rs`). Only for the module's own read, on its
//! own task, and only for the attribute the previous read of the same open
//! file showed, the probe checks the struct's fields against that text and
//! changes `flags` with one compare and exchange. While `mem_show` runs,
//! kernfs holds an active reference on the attribute; KFD removes a node's
//! sysfs files, which waits for those references, before it frees the
//! node's structs (`kfd_topology_remove_device`, `kfd_topology_shutdown`).
//! So the struct is alive during the write by KFD's own guarantee, whatever
//! else the hooks saw or missed: a disarmed, missed or absent probe means no
//! write, never an unsafe one.
//!
//! # What the module believes it owns
//!
//! The records of patched banks (`records.rs`) are bookkeeping, not a
//! condition for any write, but they decide what unload clears and what it
//! says, so they rest on what KFD publishes rather than on a hook having
//! fired: a record carries the KFD instance it was made in (the count of
//! amdgpu's shutdowns and goings) and is forgotten once that instance is
//! gone; a record is forgotten as "no longer in KFD's topology" only after
//! KFD removed a device since the bank was seen and a walk that KFD's
//! `generation_id`, the hooks and every node's `mem_banks_count` show to be
//! complete did not meet it (`logic/pass.rs`); and unload calls a bank gone
//! only on such proof, else it says "not restored", with the way to clear
//! the bit (`restore.rs`, `logic/restore.rs`).
//!
//! # Concurrency
//!
//! Contexts:
//! - module init and exit (`Rdna1Fg::init`, `Drop`): process context,
//!   serialized with each other by the module loader. They do not touch the
//!   topology themselves: they run the work and wait for it.
//! - the topology work (`Shared::topology_work`): process context, on the
//!   unbound system workqueue; one plain work item (rescans, restore) and one
//!   delayed one (retries after the write probe did not run, and a walk
//!   again soon after a bank went away between its two reads). Every walk,
//!   patch and restore runs here, so every write is made inside KFD's
//!   `mem_show` called for a read by this kworker, a kernel thread in the
//!   initial namespaces and root cgroup, whoever loaded or unloaded the
//!   module.
//! - the probe on `mem_show` (`rdna1_fg_mem_show_hook`): atomic context, on
//!   every task that reads a bank's `properties`. It acts only inside the
//!   module's own read; otherwise it returns at once.
//! - the probes on `kfd_topology_add_device`, `kfd_topology_remove_device`
//!   (entry and return) and `kfd_topology_shutdown` (entry): atomic context.
//!   They count, stamp a time, move the topology generation and queue the
//!   work. Nothing depends on them for safety.
//! - the module notifier (`kfd_hooks.c`): process context, when amdgpu goes
//!   live (registers the probes, queues the work) or away (unregisters them).
//! - readers of the debugfs status file (`StatusFile`): process context,
//!   a plain `read()` that holds no seq_file lock (see `StatusFile`).
//! - amdgpu init/exit and GPU probe/remove, which create and free the
//!   structs under KFD's own `topology_lock` (which this module never takes).
//!
//! Locks and what they protect:
//! - `Shared::state` (a mutex): the patcher (records of patched banks,
//!   counters), the read buffer and the phase. Taken by the work and status
//!   readers; never by probe handlers. Order: taken before the locks of a
//!   sysfs file it reads (kernfs' open-file mutex, the seq_file lock), never
//!   under any seq_file lock (lockdep found the status file doing so while
//!   it was a seq_file).
//! - the hand-off slot (`logic/handoff.rs`): no lock. An atomic owner (the
//!   task that armed it) and data touched only by that task: by the reader
//!   before and after its read, and by the probe inside that read, on the
//!   same task. Every other task's `mem_show` only loads the owner.
//! - the probe mutex (`kfd_hooks.c`): probe registration and removal, between
//!   module init (arming the probes), the notifier and module exit; and the
//!   probes' `nmissed` for snapshots of the hooks (`hook_stats()`), which the
//!   work and status readers take while they hold `Shared::state`. Never
//!   taken in a probe.
//! Lock order: `Shared::state`, then the probe mutex (the work and status
//!   readers, through `hook_stats()`), then the kprobe core's locks (the
//!   notifier and init register probes under the probe mutex alone). Nothing
//!   takes `Shared::state` under the probe mutex: the notifier and module
//!   exit queue or cancel the work, they never wait for it while holding it.
//! Probe handlers take no sleeping lock, so nothing in them can sleep on
//! PREEMPT_RT: the `mem_show` probe uses atomics and data only its own task
//! touches; the add/remove/shutdown probes use atomics and `queue_work()`,
//! which takes the workqueue's pool lock and may wake a worker (scheduler
//! locks): raw spinlocks, which stay spinning locks on PREEMPT_RT. No lock is
//! taken on one side of the Rust/C boundary and released on the other (so
//! nothing needs sparse's `__acquires`/`__releases`). The probe on `mem_show` must be
//! ftrace-based (`CONFIG_KPROBES_ON_FTRACE`): an int3-based one runs in
//! exception context, where the handler cannot tell the reader's own call
//! from an interrupt; registration refuses it.
//!
//! Why each access to KFD's memory is sound:
//! - reads of the struct are `copy_from_kernel_nofault` inside `mem_show`;
//!   the one write is an aligned 4-byte compare and exchange of `flags` from
//!   the value the text showed, inside `mem_show` for that very attribute,
//!   after all five fields matched (sysfs readers see the old or the new
//!   value; no other writer's change is lost).
//! - records keep an attribute's address only as an identity: it is
//!   compared, never dereferenced.
//!
//! What is still assumed about KFD: that `mem_show` is the `show()` of a
//! bank's `properties` and gets the attribute as its second argument, and
//! that KFD removes a node's sysfs files before freeing its banks (true of
//! Linux 6.x to 7.3, checked when the module is ported); the struct layout,
//! taken from KFD's header when the build tree has it (`kfd_layout.rs`),
//! else assumed, and checked at every write either way.
//!
//! Unload order: no new probe registrations; the work restores (the probes
//! still armed), waiting a bounded time while KFD adds or removes a node;
//! then every hook is unregistered, the work cancelled, the status file and
//! the sysfs mount dropped, and the state freed.
//!
//! Paths: every sysfs file is opened through the module's own mount of
//! sysfs (`sysfs_file.rs`), never a task's root, so loading or unloading
//! from a container or a chroot acts on the real topology.
//!
//! Known limit: within one KFD instance, an attribute address reused by a
//! new bank of the same node (`gpu_id`), heap type and size between a GPU
//! removal and the next rescan would be taken for the old bank (its bit
//! would be kept, or cleared at unload). Across an amdgpu reload it cannot:
//! the old instance's records are forgotten first.

use kernel::debugfs::{BinaryWriter, Dir, File};
use kernel::fs::file;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::time::{delay::fsleep, Delta};
use kernel::uaccess::UserSliceWriter;

mod kfd_hooks;
mod kfd_layout;
mod kfd_mem;
mod logic;
mod patcher;
mod records;
mod restore;
mod sysfs_file;

use kfd_hooks::{hook_stats, retry_in, HookStats, KfdHooks, ProbeError, Start};
use logic::messages::{AmdgpuBuiltIn, BadParam, HooksFailed, ParamsLine, Trigger, Waiting};
use logic::restore::GoneBecause;
use logic::rules::{Config, ParamError, RawParams};
use patcher::{error, info, warn, Patcher, TEXT_BUF_LEN};
use sysfs_file::{module_file_path, module_state_path, FileError, SysfsFile, SysfsMount};

module! {
    type: Rdna1Fg,
    name: "rdna1_fg",
    authors: ["rdna1_fg developers"],
    description: "Marks KFD memory banks of AMD Navi 10 GPUs as HSA_MEM_FLAGS_HOT_PLUGGABLE",
    license: "GPL",
    params: {
        device_id: u32 {
            default: 0x731F,
            description: "PCI device id of the KFD nodes to patch (16 bits; 0 = CPU-only nodes)",
        },
        heap_mask: u32 {
            default: 0x3e,
            description: "Heap types to patch: bit N = HSA heap type N (default: all but SYSTEM)",
        },
        dry_run: u32 {
            default: 0,
            description: "1: log what would change, change nothing",
        },
        adopt: u32 {
            default: 0,
            description: "1: take HOT_PLUGGABLE bits already set on selected banks as ours (cleared at unload)",
        },
        layout_shift: i32 {
            default: 0,
            description: "Test only: shift the assumed struct field offsets (forces the layout check to fail)",
        },
        test_no_write_probe: u32 {
            default: 0,
            description: "Test only: 1 leaves KFD's mem_show unprobed, so that nothing can be written",
        },
        test_fail_probe: u32 {
            default: 0,
            description: "Test only: N in 1..4 fails the registration of probe N as if amdgpu lacked the function",
        },
        test_delay_ms: u32 {
            default: 0,
            description: "Test only: each pass of the topology work waits this long (0..30000 ms) in its middle",
        },
        test_write_delay_ms: u32 {
            default: 0,
            description: "Test only: waits this long (0..30000 ms) between a bank's two reads",
        },
        test_going_delay_ms: u32 {
            default: 0,
            description: "Test only: a pass that begins while KFD is gone waits this long (0..30000 ms)",
        },
        test_fail_restore_read: u32 {
            default: 0,
            description: "Test only: 1 fails every bank read of the restore at unload (-ENOMEM)",
        },
    },
}

/// A module parameter's value: `value()` gives `&T` in Linux 7.2 and `T`
/// in 7.3; [`param`] reads either.
trait ParamValue<T> {
    fn get(self) -> T;
}

impl<T: Copy> ParamValue<T> for &T {
    fn get(self) -> T {
        *self
    }
}

impl ParamValue<u32> for u32 {
    fn get(self) -> u32 {
        self
    }
}

impl ParamValue<i32> for i32 {
    fn get(self) -> i32 {
        self
    }
}

fn param<T>(value: impl ParamValue<T>) -> T {
    value.get()
}

/// Where the module is in its life.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The first pass has not run yet.
    Loading,
    /// Following the topology.
    Running,
    /// Unloading: the next run of the work restores.
    Restoring,
    /// Restored: the work does nothing any more.
    Done,
}

/// What the work, the status file and module exit share.
struct State {
    patcher: Patcher,
    /// Read buffer, allocated once so that unload never needs to allocate.
    buf: KVec<u8>,
    phase: Phase,
    /// The trigger timestamp the work last acted on.
    seen_trigger_ns: u64,
    /// How many probe registration failures have been logged.
    logged_probe_errors: u64,
}

/// The module's shared state.
#[pin_data]
pub(crate) struct Shared {
    #[pin]
    state: Mutex<State>,
    /// The module's own mount of sysfs: every path is resolved from it.
    mount: SysfsMount,
}

impl Shared {
    /// The topology work: look at KFD's topology again, or restore.
    pub(crate) fn topology_work(&self) {
        let mut guard = self.state.lock();
        let state = &mut *guard;
        let hooks = hook_stats();
        let why = match state.phase {
            Phase::Done => return,
            Phase::Restoring => {
                state.patcher.restore_all(&self.mount, &mut state.buf);
                state.phase = Phase::Done;
                return;
            }
            Phase::Loading => Trigger::Load,
            Phase::Running => match hooks.trigger {
                Some((trigger, ns)) if ns != state.seen_trigger_ns => trigger,
                _ => Trigger::Retry,
            },
        };
        state.phase = Phase::Running;
        state.seen_trigger_ns = hooks.trigger.map_or(0, |(_, ns)| ns);
        if hooks.hits.probe_errors > state.logged_probe_errors {
            state.logged_probe_errors = hooks.hits.probe_errors;
            if let Some(e) = hooks.last_error {
                log_probe_error(e, false);
            }
        }
        let mut delay_ms = state.patcher.config().delay_ms;
        if !hooks.kfd_live {
            // Test only: time for amdgpu to come back within this pass.
            delay_ms = delay_ms.saturating_add(state.patcher.config().going_delay_ms);
        }
        if delay_ms != 0 {
            // Test only: a long pass, whose trigger was decided on what the
            // hooks said before it (amdgpu may go and come back, the module
            // may be unloaded meanwhile).
            fsleep(Delta::from_millis(i64::from(delay_ms)));
        }
        // What the walk acts on is what the hooks say now: which instance
        // of KFD is live, if any.
        let hooks = HookStats {
            trigger: hooks.trigger,
            ..hook_stats()
        };
        if !hooks.kfd_live {
            state.patcher.forget_all(&GoneBecause::KfdUnloaded);
            return;
        }
        if let Some(ms) = state
            .patcher
            .rescan(&self.mount, &mut state.buf, why, &hooks)
        {
            retry_in(ms);
        }
    }

    /// Whether amdgpu is built into the kernel: `/sys/module/amdgpu/parameters`
    /// exists (the kernel makes it for a built-in driver with parameters,
    /// which amdgpu has) without the `initstate` every loadable module's
    /// directory has. A loadable amdgpu looks the same for a moment while
    /// it loads (`initstate` comes after `parameters`) or unloads (it goes
    /// first), so the answer must hold over a few looks, 100 ms apart; a
    /// built-in driver's never changes.
    fn amdgpu_built_in(&self) -> bool {
        const LOOKS: u32 = 5;
        let exists = |file| {
            module_file_path("amdgpu", file).is_ok_and(|path| {
                match SysfsFile::open(&self.mount, &path) {
                    Ok(found) => found.is_some(),
                    // There, but not to be read (a write-only attribute).
                    Err(FileError::Open(e)) => e == EACCES,
                    Err(_) => false,
                }
            })
        };
        for look in 0..LOOKS {
            if look > 0 {
                fsleep(Delta::from_millis(100));
            }
            if !exists("parameters") || exists("initstate") {
                return false;
            }
        }
        true
    }

    /// Whether amdgpu is loaded and live, as `/sys/module/amdgpu` says.
    fn amdgpu_live(&self) -> bool {
        let mut text = [0u8; 16];
        let Ok(path) = module_state_path("amdgpu") else {
            return false;
        };
        match SysfsFile::open(&self.mount, &path) {
            Ok(Some(file)) => file
                .read_text(&mut text)
                .is_ok_and(|state| state.trim_ascii() == "live"),
            _ => false,
        }
    }
}

fn log_probe_error(e: ProbeError, at_load: bool) {
    let line = HooksFailed {
        function: e.function,
        errno: e.error.to_errno(),
        at_load,
    };
    if at_load {
        error(line);
    } else {
        warn(line);
    }
}

/// The debugfs status file: its whole text rendered at each `read()`.
///
/// A plain read, not a seq_file: the text comes from reads of the banks'
/// sysfs files made under `Shared::state`, and each of those takes the
/// seq_file lock of the sysfs file, as the work's reads do. A seq_file
/// status file would take `Shared::state` under a seq_file lock, the
/// reverse order; lockdep, which has one class for every seq_file's lock,
/// reports that as a possible deadlock.
struct StatusFile(Arc<Shared>);

impl BinaryWriter for StatusFile {
    fn write_to_slice(
        &self,
        writer: &mut UserSliceWriter,
        offset: &mut file::Offset,
    ) -> Result<usize> {
        let mut text = StatusText(KVec::new());
        {
            let mut guard = self.0.state.lock();
            let state = &mut *guard;
            let hooks = hook_stats();
            state
                .patcher
                .write_status(&mut text, &self.0.mount, &mut state.buf, &hooks)
                .map_err(|_| ENOMEM)?;
        }
        writer.write_slice_file(&text.0, offset)
    }
}

/// The status text, in a buffer that grows as it is written (the only
/// error is a failed allocation).
struct StatusText(KVec<u8>);

impl core::fmt::Write for StatusText {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

struct Rdna1Fg {
    // Dropped first: unregisters every hook and cancels the work, then
    // releases its reference to `shared`.
    hooks: KfdHooks,
    _status: Pin<KBox<File<StatusFile>>>,
    _dir: Dir,
    shared: Arc<Shared>,
}

impl kernel::Module for Rdna1Fg {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let raw = RawParams {
            device_id: param(module_parameters::device_id.value()),
            heap_mask: param(module_parameters::heap_mask.value()),
            dry_run: param(module_parameters::dry_run.value()),
            layout_shift: param(module_parameters::layout_shift.value()),
            adopt: param(module_parameters::adopt.value()),
            test_no_write_probe: param(module_parameters::test_no_write_probe.value()),
            test_fail_probe: param(module_parameters::test_fail_probe.value()),
            test_delay_ms: param(module_parameters::test_delay_ms.value()),
            test_write_delay_ms: param(module_parameters::test_write_delay_ms.value()),
            test_going_delay_ms: param(module_parameters::test_going_delay_ms.value()),
            test_fail_restore_read: param(module_parameters::test_fail_restore_read.value()),
        };
        let (layout, source) = kfd_layout::build_tree_layout();
        let config = match Config::from_params_on(raw, layout, source) {
            Ok(config) => config,
            Err(e) => {
                error(BadParam(&e));
                return Err(match e {
                    ParamError::HeaderLayoutUnusable(_) => ENOEXEC,
                    _ => EINVAL,
                });
            }
        };
        info(ParamsLine(&config));

        let buf = KVec::from_elem(0u8, TEXT_BUF_LEN, GFP_KERNEL)?;
        let patcher = Patcher::new(config)?;
        let mount = SysfsMount::new()?;
        let shared = Arc::pin_init(
            pin_init!(Shared {
                state <- new_mutex!(State {
                    patcher,
                    buf,
                    phase: Phase::Loading,
                    seen_trigger_ns: 0,
                    logged_probe_errors: 0,
                }),
                mount,
            }),
            GFP_KERNEL,
        )?;
        // Everything that can fail comes before the hooks, so that a failed
        // load never leaves a bank patched.
        let dir = Dir::new(c"rdna1_fg");
        let status = KBox::pin_init(
            dir.read_binary_file(c"status", StatusFile(shared.clone())),
            GFP_KERNEL,
        )?;

        let (hooks, start) = match KfdHooks::start(shared.clone(), &config) {
            Ok(started) => started,
            Err(e) => {
                log_probe_error(e, true);
                return Err(e.error);
            }
        };
        match start {
            Start::Active => hooks.run_now(),
            // amdgpu went live meanwhile (then this registers), or it lacks a
            // function the module hooks: not a kernel this module supports.
            Start::NotFound if shared.amdgpu_live() => {
                if let Err(e) = hooks.register_now() {
                    log_probe_error(e, true);
                    // Dropping `hooks` unregisters everything; nothing was
                    // written (a queued work finds no registered probes).
                    return Err(e.error);
                }
                hooks.run_now();
            }
            // No module notifier fires for a built-in amdgpu, and its
            // functions are not "amdgpu:..." symbols: the module would wait
            // for ever.
            Start::NotFound if shared.amdgpu_built_in() => {
                error(AmdgpuBuiltIn);
                return Err(ENODEV);
            }
            Start::NotFound => {
                // The first pass comes when amdgpu goes live.
                shared.state.lock().phase = Phase::Running;
                info(Waiting);
            }
        }
        Ok(Self {
            hooks,
            _status: status,
            _dir: dir,
            shared,
        })
    }
}

impl Drop for Rdna1Fg {
    fn drop(&mut self) {
        self.hooks.stop_registering();
        self.shared.state.lock().phase = Phase::Restoring;
        // The work restores, with the probes still registered.
        self.hooks.run_now();
        // The fields drop next: hooks (unregistered, work cancelled, their
        // reference released), status file, dir, and the last reference.
    }
}
