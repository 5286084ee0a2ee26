// SPDX-License-Identifier: GPL-2.0

//! The Rust side of `kfd_hooks.c`: the hooks on KFD's topology as an RAII
//! registration, the write gate as a guard, and the work entry point.
//!
//! The declarations here mirror `kfd_hooks.h` by hand; keep them in step.

use crate::logic::messages::Trigger;
use crate::logic::status::HookHits;
use crate::Shared;
use core::marker::PhantomData;
use kernel::prelude::*;

/// `RDNA1_FG_WAITING`: amdgpu is not loaded.
const WAITING: c_int = 1;
/// `RDNA1_FG_GATE_*`.
const GATE_OPEN: c_int = 0;
const GATE_CHANGING: c_int = 1;

/// Indices of `struct rdna1_fg_hook_stats.hits` (`enum rdna1_fg_hit`).
const HIT_ADD_DEVICE: usize = 0;
const HIT_REMOVE_DEVICE: usize = 1;
const HIT_SHUTDOWN: usize = 2;
const HIT_AMDGPU_LIVE: usize = 3;
const HIT_AMDGPU_GOING: usize = 4;
const HIT_PROBE_ERRORS: usize = 5;
const HIT_MISSED: usize = 6;
const HIT_COUNT: usize = 7;

/// `struct rdna1_fg_hook_stats`.
#[repr(C)]
struct RawHookStats {
    hits: [u64; HIT_COUNT],
    trigger_ns: u64,
    trigger_kind: u64,
    now_ns: u64,
    probes_registered: bool,
}

extern "C" {
    fn rdna1_fg_hooks_start(ctx: *mut c_void) -> c_int;
    fn rdna1_fg_hooks_quiesce();
    fn rdna1_fg_hooks_stop();
    fn rdna1_fg_gate_state(epoch: *mut u64) -> c_int;
    fn rdna1_fg_gate_enter(epoch: u64, irq_flags: *mut c_ulong) -> bool;
    fn rdna1_fg_gate_leave(irq_flags: c_ulong);
    fn rdna1_fg_gate_swap_u32(field: *mut u32, old: u32, new: u32) -> bool;
    fn rdna1_fg_msleep(ms: c_uint);
    fn rdna1_fg_hook_stats(out: *mut RawHookStats);
    fn rdna1_fg_now_ns() -> u64;
}

/// Whether KFD was there when the hooks were set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// amdgpu is loaded and hooked: scan now.
    Active,
    /// amdgpu is not loaded: the hooks arm themselves when it loads.
    Waiting,
}

/// The registered hooks (module notifier, probes on KFD, work item).
/// Dropping it unregisters them all and waits for the work to finish.
pub(crate) struct KfdHooks {
    // INVARIANT: the hooks are registered while this value exists.
    _registered: (),
}

impl KfdHooks {
    /// Registers the hooks; `listener` receives the topology work.
    ///
    /// # Safety
    ///
    /// `listener` must stay valid until the returned value is dropped.
    pub(crate) unsafe fn start(listener: *const Shared) -> Result<(Self, Start)> {
        // SAFETY: the C side stores `listener` and passes it back only to
        // `rdna1_fg_topology_work`, until `rdna1_fg_hooks_stop` (called by
        // `Drop`) has cancelled the work; the caller keeps it valid so long.
        let rc = unsafe { rdna1_fg_hooks_start(listener.cast_mut().cast()) };
        match rc {
            // INVARIANT: `rdna1_fg_hooks_start` registered the hooks.
            0 => Ok((Self { _registered: () }, Start::Active)),
            WAITING => Ok((Self { _registered: () }, Start::Waiting)),
            // The C side unregistered what it had registered.
            err => Err(Error::from_errno(err)),
        }
    }

    /// Stops new hook registrations and waits for a running work item, but
    /// keeps the probes that close the write gate: used at unload, before
    /// restoring, so that KFD cannot free a struct under a restore.
    pub(crate) fn quiesce(&self) {
        // SAFETY: the hooks are registered (type invariant of `Self`).
        unsafe { rdna1_fg_hooks_quiesce() };
    }
}

impl Drop for KfdHooks {
    fn drop(&mut self) {
        // SAFETY: the hooks are registered (type invariant of `Self`); this
        // unregisters them and cancels the work, after which the C side no
        // longer uses the listener pointer.
        unsafe { rdna1_fg_hooks_stop() };
    }
}

/// Called by `kfd_hooks.c`'s work item, in process context.
///
/// # Safety
///
/// `ctx` is the listener given to [`KfdHooks::start`], still valid.
#[no_mangle]
unsafe extern "C" fn rdna1_fg_topology_work(ctx: *mut c_void) {
    let listener = ctx.cast::<Shared>().cast_const();
    if listener.is_null() {
        return;
    }
    // SAFETY: by the function's contract `ctx` is the `Shared` given to
    // `KfdHooks::start`, kept alive until the hooks are stopped, and the
    // work is cancelled before that.
    unsafe { &*listener }.topology_changed();
}

/// The state of KFD's topology as the write gate sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GateState {
    /// Writes allowed while the epoch stays this one.
    Open(u64),
    /// A node is being added or removed: writes wait.
    Changing,
    /// amdgpu (KFD) is not loaded, or is unloading.
    NoKfd,
}

/// Reads the gate.
pub(crate) fn gate_state() -> GateState {
    let mut epoch = 0u64;
    // SAFETY: `epoch` is a valid `u64` for the call's duration.
    let state = unsafe { rdna1_fg_gate_state(&mut epoch) };
    match state {
        GATE_OPEN => GateState::Open(epoch),
        GATE_CHANGING => GateState::Changing,
        _ => GateState::NoKfd,
    }
}

/// Held while writing to a KFD struct: KFD cannot start freeing topology
/// structs while it exists. Irqs are off: keep the critical section short
/// and never sleep in it.
pub(crate) struct GateGuard {
    irq_flags: c_ulong,
    // Not Send: the lock must be released on the CPU that took it.
    _not_send: PhantomData<*mut ()>,
}

impl GateGuard {
    /// Enters the gate if the topology is still at `epoch` and not being
    /// freed.
    pub(crate) fn enter(epoch: u64) -> Option<Self> {
        let mut irq_flags: c_ulong = 0;
        // SAFETY: `irq_flags` is valid for the call; on `true` the C side
        // holds the gate lock, released by `Drop`.
        let entered = unsafe { rdna1_fg_gate_enter(epoch, &mut irq_flags) };
        entered.then_some(Self {
            irq_flags,
            _not_send: PhantomData,
        })
    }
}

impl GateGuard {
    /// Stores `new` in `*field` if it holds `old` (an atomic compare and
    /// exchange); returns whether it did.
    ///
    /// # Safety
    ///
    /// `field` must be a valid, aligned `u32` that KFD cannot free while
    /// this guard exists: a field of a struct found in the topology at the
    /// epoch the gate was entered with.
    pub(crate) unsafe fn swap_u32(&self, field: *mut u32, old: u32, new: u32) -> bool {
        // SAFETY: the gate lock is held (this guard exists); the caller
        // guarantees `field`.
        unsafe { rdna1_fg_gate_swap_u32(field, old, new) }
    }
}

impl Drop for GateGuard {
    fn drop(&mut self) {
        // SAFETY: the gate lock is held by this guard (it was entered in
        // `enter`), with these saved irq flags.
        unsafe { rdna1_fg_gate_leave(self.irq_flags) };
    }
}

/// Hook counters and the last topology event.
pub(crate) struct HookStats {
    /// Hit counts.
    pub(crate) hits: HookHits,
    /// The last event that queued a rescan, and when.
    pub(crate) trigger: Option<(Trigger, u64)>,
}

/// Reads the hook counters.
pub(crate) fn hook_stats() -> HookStats {
    let mut raw = RawHookStats {
        hits: [0; HIT_COUNT],
        trigger_ns: 0,
        trigger_kind: 0,
        now_ns: 0,
        probes_registered: false,
    };
    // SAFETY: `raw` is a valid, writable `struct rdna1_fg_hook_stats`.
    unsafe { rdna1_fg_hook_stats(&mut raw) };
    let trigger = match raw.trigger_kind as usize {
        _ if raw.trigger_ns == 0 => None,
        HIT_ADD_DEVICE => Some(Trigger::AddDevice),
        HIT_REMOVE_DEVICE => Some(Trigger::RemoveDevice),
        HIT_AMDGPU_LIVE => Some(Trigger::AmdgpuLive),
        _ => Some(Trigger::TopologyGoing),
    };
    HookStats {
        hits: HookHits {
            probes_registered: raw.probes_registered,
            add_device: raw.hits[HIT_ADD_DEVICE],
            remove_device: raw.hits[HIT_REMOVE_DEVICE],
            shutdown: raw.hits[HIT_SHUTDOWN],
            amdgpu_live: raw.hits[HIT_AMDGPU_LIVE],
            amdgpu_going: raw.hits[HIT_AMDGPU_GOING],
            probe_errors: raw.hits[HIT_PROBE_ERRORS],
            missed: raw.hits[HIT_MISSED],
        },
        trigger: trigger.map(|t| (t, raw.trigger_ns)),
    }
}

/// Monotonic time in nanoseconds (`ktime_get_ns`).
pub(crate) fn now_ns() -> u64 {
    // SAFETY: no preconditions.
    unsafe { rdna1_fg_now_ns() }
}

/// Sleeps for `ms` milliseconds (process context only).
pub(crate) fn msleep(ms: u32) {
    // SAFETY: called from process context (module exit), where sleeping is
    // allowed.
    unsafe { rdna1_fg_msleep(ms) };
}
