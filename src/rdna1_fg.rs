// SPDX-License-Identifier: GPL-2.0

//! rdna1_fg: marks the KFD memory banks of AMD Navi 10 GPUs (PCI device
//! 0x731F: RX 5600 XT / 5700 / 5700 XT) as `HSA_MEM_FLAGS_HOT_PLUGGABLE`.
//!
//! For every KFD topology node whose `device_id` matches and every memory
//! bank whose heap type is enabled, the module sets bit 0 of the bank's
//! `flags` in the live `struct kfd_mem_properties`, after checking that the
//! struct's bytes match the bank's sysfs text. It does so at load and again
//! whenever KFD's topology changes (amdgpu loaded, a GPU added or removed),
//! and at unload it clears exactly the bits it set.
//!
//! # Concurrency
//!
//! Contexts:
//! - module init and exit (`Rdna1Fg::init`, `Drop`): process context,
//!   serialized with each other by the module loader.
//! - the topology work (`Shared::topology_changed`): process context, on
//!   the unbound system workqueue, queued by the hooks below.
//! - the probe handlers in `kfd_hooks.c` on `kfd_topology_add_device`
//!   (entry, return), `kfd_topology_remove_device` (entry, return) and
//!   `kfd_topology_shutdown` (entry): atomic context, on whatever thread
//!   runs KFD. They only count, stamp a time, move the write gate and queue
//!   the work.
//! - the module notifier in `kfd_hooks.c`: process context, for amdgpu
//!   becoming live (its init, which builds KFD's topology, has run) and
//!   going away (its exit, which freed the topology, has run).
//! - readers of the debugfs status file (`status_file`): process context.
//! - sysfs readers of a bank's `properties` (KFD's `mem_show()`): any time.
//! - amdgpu init/exit and GPU probe/remove, which create and free the
//!   structs under KFD's own `topology_lock` (which this module never takes).
//!
//! Locks and what they protect:
//! - `Shared::state` (a mutex): the patcher (records of patched banks,
//!   counters), the read buffer and the `exiting` flag. Taken by init, exit,
//!   the work and status readers; never by probe handlers.
//! - the write gate (`kfd_hooks.c`: a spinlock with irqs off, an epoch and
//!   a "KFD live / topology changing" state): a writer holds it from its
//!   epoch check to the end of its store (`GateGuard`). KFD's free paths
//!   (node removal, shutdown) take it in their entry probes, before anything
//!   is freed, bump the epoch and mark the topology unsafe; so does adding a
//!   node, which rebuilds every node's sysfs tree. The add and remove return
//!   probes mark it safe again. So a struct is written only if, since the
//!   walk read it, the topology has not started to change, and KFD cannot
//!   start freeing it until the store is done. A pass forgets the records it
//!   did not see only if the epoch is the same after it as before.
//! - the probe mutex (`kfd_hooks.c`): probe registration and removal, between
//!   the notifier and module exit.
//!
//! Why each access to KFD's memory is sound:
//! - the struct is found from its sysfs attribute, read with
//!   `copy_from_kernel_nofault` (never faults) and compared with the sysfs
//!   text field by field, inside the gate; then `flags` is changed with one
//!   aligned 4-byte compare and exchange from the value sysfs showed, so
//!   sysfs readers see the old or the new value and no other writer's
//!   change is lost (`MemRef::set_flags`, which needs a `GateGuard`).
//! - records keep a struct's address only as an identity: it is compared,
//!   never dereferenced. Restoring walks the topology, finds each bank again
//!   by identity and writes only through the same check and gate; banks that
//!   left the topology are forgotten when the work sees it, and when KFD is
//!   gone nothing is written.
//!
//! Unload order: stop new hook registrations and let a pending rescan finish
//! (the probes stay armed), mark `exiting`, restore under the gate (waiting,
//! for a bounded time, while the topology is changing), then unregister
//! every hook and cancel the work, remove the status file, and only then
//! free `Shared`. A failed start unregisters everything it registered and
//! cancels the work before init returns its error.
//!
//! Sysfs files are opened from PID 1's root (`rdna1_fg_open_sysfs`), so
//! the walk sees the same `/sys` from module init, the work and exit.
//!
//! Known limit: a struct address reused by a new bank between a removal and
//! the next rescan would be taken for the old bank.

use kernel::debugfs::{Dir, File};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

mod kfd_hooks;
mod kfd_mem;
mod logic;
mod patcher;
mod sysfs_file;

use kfd_hooks::{gate_state, hook_stats, GateState, KfdHooks, Start};
use logic::messages::{BadParam, HooksFailed, ParamsLine, Trigger, Waiting};
use logic::rules::{Config, RawParams};
use patcher::{info, Patcher, TEXT_BUF_LEN};

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
        layout_shift: i32 {
            default: 0,
            description: "Test only: shift the assumed struct field offsets (forces the layout check to fail)",
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

/// What the work, the status file and module exit share.
struct State {
    patcher: Patcher,
    /// Read buffer, allocated once so that unload never needs to allocate.
    buf: KVec<u8>,
    /// Set at unload: the work does nothing any more.
    exiting: bool,
}

/// The module's shared state.
#[pin_data]
pub(crate) struct Shared {
    #[pin]
    state: Mutex<State>,
}

impl Shared {
    /// The topology work: look at KFD's topology again.
    pub(crate) fn topology_changed(&self) {
        let mut guard = self.state.lock();
        let state = &mut *guard;
        if state.exiting {
            return;
        }
        let hooks = hook_stats();
        match gate_state() {
            GateState::NoKfd => state
                .patcher
                .forget_all("KFD's topology was freed (amdgpu unloaded)"),
            // The change's return probe queues the work again.
            GateState::Changing => {}
            GateState::Open(epoch) => {
                let why = hooks.trigger.map_or(Trigger::AmdgpuLive, |(t, _)| t);
                state.patcher.rescan(&mut state.buf, epoch, why, &hooks);
            }
        }
    }

    /// The first pass, at module load.
    fn scan_at_load(&self) {
        let mut guard = self.state.lock();
        let state = &mut *guard;
        if let GateState::Open(epoch) = gate_state() {
            let hooks = hook_stats();
            state
                .patcher
                .rescan(&mut state.buf, epoch, Trigger::Load, &hooks);
        }
    }

    /// Unload: nothing more from the work; restore what was patched.
    fn restore_for_exit(&self) {
        let mut guard = self.state.lock();
        let state = &mut *guard;
        state.exiting = true;
        state.patcher.restore_all(&mut state.buf);
    }
}

/// The debugfs status file's contents.
fn status_file(shared: &Arc<Shared>, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    let mut guard = shared.state.lock();
    let state = &mut *guard;
    let hooks = hook_stats();
    state.patcher.write_status(f, &mut state.buf, &hooks)
}

struct Rdna1Fg {
    // Field order is drop order: hooks first (they point into `shared`),
    // then the status file, its directory, and the shared state.
    hooks: KfdHooks,
    _status: Pin<KBox<File<Arc<Shared>>>>,
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
        };
        let config = match Config::from_params(raw) {
            Ok(config) => config,
            Err(e) => {
                pr_err!("{}\n", format_args!("{}", BadParam(&e)));
                return Err(EINVAL);
            }
        };
        info(ParamsLine(&config));

        let buf = KVec::from_elem(0u8, TEXT_BUF_LEN, GFP_KERNEL)?;
        let shared = Arc::pin_init(
            pin_init!(Shared {
                state <- new_mutex!(State {
                    patcher: Patcher::new(config),
                    buf,
                    exiting: false,
                }),
            }),
            GFP_KERNEL,
        )?;
        // Everything that can fail comes before the hooks, so that a failed
        // load never leaves a bank patched.
        let dir = Dir::new(c"rdna1_fg");
        let status = KBox::pin_init(
            dir.read_callback_file(c"status", shared.clone(), &status_file),
            GFP_KERNEL,
        )?;

        // SAFETY: `shared` outlives the hooks: the module keeps an `Arc` to
        // it in a field dropped after `hooks`.
        let started = unsafe { KfdHooks::start(Arc::as_ptr(&shared)) };
        let (hooks, start) = match started {
            Ok(started) => started,
            Err(e) => {
                pr_err!(
                    "{}\n",
                    format_args!(
                        "{}",
                        HooksFailed {
                            errno: e.to_errno()
                        }
                    )
                );
                return Err(e);
            }
        };
        match start {
            Start::Active => shared.scan_at_load(),
            Start::Waiting => info(Waiting),
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
        self.hooks.quiesce();
        self.shared.restore_for_exit();
        // The fields drop next, in order: hooks, status file, dir, state.
    }
}
