// SPDX-License-Identifier: GPL-2.0

//! The Rust side of `kfd_hooks.c`: the hooks on KFD as an RAII registration
//! that owns the module's shared state while C holds it, the work entry
//! point, and a snapshot of the hooks' counters.
//!
//! The declarations here mirror `kfd_hooks.h`; both sides assert the sizes
//! and values they share at compile time.

use crate::logic::messages::Trigger;
use crate::logic::rules::Config;
use crate::logic::status::{HookHits, WriteProbe};
use crate::Shared;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;

/// `RDNA1_FG_WAITING`: amdgpu is not loaded.
const WAITING: c_int = 1;
/// `RDNA1_FG_NO_SHOW_PROBE`: test only, leave `mem_show` unprobed.
const NO_SHOW_PROBE: u32 = 1;
/// `RDNA1_FG_FAIL_PROBE_SHIFT`: test only, the flags' bits from here name
/// a probe (1-based) whose registration fails.
const FAIL_PROBE_SHIFT: u32 = 8;

/// Indices of `struct rdna1_fg_hook_stats.hits` (`enum rdna1_fg_hit`).
const HIT_ADD_DEVICE: usize = 0;
const HIT_REMOVE_DEVICE: usize = 1;
const HIT_SHUTDOWN: usize = 2;
const HIT_AMDGPU_LIVE: usize = 3;
const HIT_AMDGPU_GOING: usize = 4;
const HIT_PROBE_ERRORS: usize = 5;
const HIT_COUNT: usize = 6;
/// `enum rdna1_fg_probe`: the probes in registration order; `test_fail_probe`
/// numbers them from 1 in this order (`logic/rules.rs`,
/// docs/how-it-works.md). Only asserted here: C does the indexing. (`allow`, not `expect`: rustc 1.85
/// counts a use in a constant assertion as no use, later versions do not.)
#[allow(dead_code)]
const PROBE_SHOW: u32 = 0;
#[allow(dead_code)]
const PROBE_SHUTDOWN: u32 = 1;
#[allow(dead_code)]
const PROBE_REMOVE: u32 = 2;
#[allow(dead_code)]
const PROBE_ADD: u32 = 3;
/// `RDNA1_FG_PROBE_COUNT`.
const PROBE_COUNT: u32 = 4;

/// `struct rdna1_fg_hook_stats`.
#[repr(C)]
struct RawHookStats {
    hits: [u64; HIT_COUNT],
    trigger_ns: u64,
    trigger_kind: u64,
    now_ns: u64,
    topology_gen: u64,
    topology_changing: i64,
    show_missed: u64,
    other_missed: u64,
    last_error: i32,
    last_error_probe: u32,
    kfd_live: u8,
    probes_registered: u8,
    show_probe_registered: u8,
    pad: [u8; 5],
}

// The interface's numbers, asserted with the same values in `kfd_hooks.c`:
// a change on one side alone does not build.
const _: () = assert!(
    WAITING == 1
        && NO_SHOW_PROBE == 1
        && FAIL_PROBE_SHIFT == 8
        && PROBE_SHOW == 0
        && PROBE_SHUTDOWN == 1
        && PROBE_REMOVE == 2
        && PROBE_ADD == 3
        && PROBE_COUNT == 4
        && PROBE_COUNT == crate::logic::rules::PROBE_COUNT
        && HIT_ADD_DEVICE == 0
        && HIT_REMOVE_DEVICE == 1
        && HIT_SHUTDOWN == 2
        && HIT_AMDGPU_LIVE == 3
        && HIT_AMDGPU_GOING == 4
        && HIT_PROBE_ERRORS == 5
        && HIT_COUNT == 6
);
// `struct rdna1_fg_hook_stats`: its size (`RDNA1_FG_HOOK_STATS_SIZE`) and
// every field's offset.
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<RawHookStats>() == 120);
    assert!(offset_of!(RawHookStats, hits) == 0);
    assert!(offset_of!(RawHookStats, trigger_ns) == 48);
    assert!(offset_of!(RawHookStats, trigger_kind) == 56);
    assert!(offset_of!(RawHookStats, now_ns) == 64);
    assert!(offset_of!(RawHookStats, topology_gen) == 72);
    assert!(offset_of!(RawHookStats, topology_changing) == 80);
    assert!(offset_of!(RawHookStats, show_missed) == 88);
    assert!(offset_of!(RawHookStats, other_missed) == 96);
    assert!(offset_of!(RawHookStats, last_error) == 104);
    assert!(offset_of!(RawHookStats, last_error_probe) == 108);
    assert!(offset_of!(RawHookStats, kfd_live) == 112);
    assert!(offset_of!(RawHookStats, probes_registered) == 113);
    assert!(offset_of!(RawHookStats, show_probe_registered) == 114);
    assert!(offset_of!(RawHookStats, pad) == 115);
};

extern "C" {
    fn rdna1_fg_hooks_start(ctx: *mut c_void, flags: u32, failed_probe: *mut u32) -> c_int;
    fn rdna1_fg_hooks_register_now(failed_probe: *mut u32) -> c_int;
    fn rdna1_fg_hooks_stop_registering();
    fn rdna1_fg_hooks_run_now();
    fn rdna1_fg_hooks_retry(ms: u32);
    fn rdna1_fg_hooks_stop();
    fn rdna1_fg_hook_stats(out: *mut RawHookStats);
    fn rdna1_fg_probe_name(probe: u32) -> *const c_char;
    fn rdna1_fg_now_ns() -> u64;
}

/// Whether KFD was there when the hooks were set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// amdgpu is loaded and hooked.
    Active,
    /// A probe's symbol was not found: amdgpu is not loaded (the hooks arm
    /// themselves when it loads), or it lacks that function.
    NotFound,
}

/// A probe that could not be registered, and why.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProbeError {
    /// The KFD function.
    pub(crate) function: &'static str,
    /// The kprobe core's error.
    pub(crate) error: Error,
}

/// The name of probe `index` (`enum rdna1_fg_probe`).
fn probe_name(index: u32) -> &'static str {
    if index >= PROBE_COUNT {
        return "?";
    }
    // SAFETY: `rdna1_fg_probe_name` returns a pointer to a static,
    // NUL-terminated string for any index.
    let name = unsafe { CStr::from_char_ptr(rdna1_fg_probe_name(index)) };
    name.to_str().unwrap_or("?")
}

/// The registered hooks (module notifier, probes on KFD, the work). Holds
/// one reference to the shared state, lent to C for the work.
///
/// # Invariants
///
/// The hooks are registered, and `ctx` is the `Arc<Shared>` given to C by
/// `into_foreign`, while this value exists.
pub(crate) struct KfdHooks {
    ctx: *mut c_void,
}

// SAFETY: the hooks are global to the module; C serializes registration
// with its own mutex, and `ctx` is an `Arc<Shared>`, which is `Send + Sync`.
unsafe impl Send for KfdHooks {}
// SAFETY: as above; `&KfdHooks` only calls C functions that may run from
// any thread.
unsafe impl Sync for KfdHooks {}

impl KfdHooks {
    /// Registers the hooks; the work runs `shared.topology_work()`. The
    /// test settings of `config` leave the probe on `mem_show` out or make
    /// one registration fail.
    pub(crate) fn start(shared: Arc<Shared>, config: &Config) -> Result<(Self, Start), ProbeError> {
        let ctx = shared.into_foreign().cast::<c_void>();
        let mut flags = config.fail_probe << FAIL_PROBE_SHIFT;
        if !config.write_probe {
            flags |= NO_SHOW_PROBE;
        }
        let mut failed = 0u32;
        // SAFETY: `ctx` stays valid until `rdna1_fg_hooks_stop` has run (in
        // `Drop`, or in the C side's own error path below) and is taken back
        // only after that; `failed` is valid for the call.
        let rc = unsafe { rdna1_fg_hooks_start(ctx, flags, &mut failed) };
        match rc {
            // INVARIANT: `rdna1_fg_hooks_start` registered the hooks.
            0 => Ok((Self { ctx }, Start::Active)),
            WAITING => Ok((Self { ctx }, Start::NotFound)),
            err => {
                // SAFETY: the C side has unregistered everything and
                // cancelled the work: it no longer uses `ctx`, which came
                // from `into_foreign` above and is taken back only here.
                drop(unsafe { Arc::<Shared>::from_foreign(ctx.cast()) });
                Err(ProbeError {
                    function: probe_name(failed),
                    error: Error::from_errno(err),
                })
            }
        }
    }

    /// Registers the probes now, if they are not (amdgpu went live since
    /// [`KfdHooks::start`], or its registration failed).
    pub(crate) fn register_now(&self) -> Result<(), ProbeError> {
        let mut failed = 0u32;
        // SAFETY: the hooks are registered (type invariant); `failed` is
        // valid for the call.
        let rc = unsafe { rdna1_fg_hooks_register_now(&mut failed) };
        if rc == 0 {
            Ok(())
        } else {
            Err(ProbeError {
                function: probe_name(failed),
                error: Error::from_errno(rc),
            })
        }
    }

    /// No new probe registrations (amdgpu loading again): used at unload.
    pub(crate) fn stop_registering(&self) {
        // SAFETY: the hooks are registered (type invariant).
        unsafe { rdna1_fg_hooks_stop_registering() };
    }

    /// Runs the work now and waits for it (process context only).
    pub(crate) fn run_now(&self) {
        // SAFETY: the hooks are registered (type invariant), so the work is
        // initialized; the caller may sleep.
        unsafe { rdna1_fg_hooks_run_now() };
    }
}

impl Drop for KfdHooks {
    fn drop(&mut self) {
        // SAFETY: the hooks are registered (type invariant); this
        // unregisters them and cancels the work.
        unsafe { rdna1_fg_hooks_stop() };
        // SAFETY: `ctx` came from `into_foreign` in `start`; C no longer
        // uses it (the work is cancelled) and it is taken back only here.
        drop(unsafe { Arc::<Shared>::from_foreign(self.ctx.cast()) });
    }
}

/// Queues the work again in `ms` milliseconds (from the work itself).
pub(crate) fn retry_in(ms: u32) {
    // SAFETY: only called from the work, so the hooks are registered and
    // the delayed work is initialized; `rdna1_fg_hooks_stop` cancels it.
    unsafe { rdna1_fg_hooks_retry(ms) };
}

/// Called by `kfd_hooks.c`'s work items, in process context.
///
/// # Safety
///
/// `ctx` is the pointer [`KfdHooks::start`] gave C, and the hooks have not
/// been stopped (the work is cancelled before `KfdHooks` takes it back).
#[no_mangle]
unsafe extern "C" fn rdna1_fg_topology_work(ctx: *mut c_void) {
    if ctx.is_null() {
        return;
    }
    // SAFETY: by the function's contract `ctx` came from `into_foreign` and
    // `from_foreign` runs only after this work has finished.
    let shared = unsafe { <Arc<Shared> as ForeignOwnable>::borrow(ctx.cast()) };
    shared.topology_work();
}

/// KFD's topology as the hooks see it: bookkeeping only, never a condition
/// for a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TopologyGen {
    /// Moves at every add/remove entry and return, and at shutdown.
    pub(crate) gen: u64,
    /// Adds or removes in progress.
    pub(crate) changing: bool,
}

/// A snapshot of the hooks.
pub(crate) struct HookStats {
    /// Hit counts and probe state.
    pub(crate) hits: HookHits,
    /// The last event that queued a rescan, and when.
    pub(crate) trigger: Option<(Trigger, u64)>,
    /// The topology generation.
    pub(crate) topology: TopologyGen,
    /// amdgpu is loaded and hooked, and not shutting down.
    pub(crate) kfd_live: bool,
    /// The last failed registration.
    pub(crate) last_error: Option<ProbeError>,
}

/// Reads the hooks' counters.
pub(crate) fn hook_stats() -> HookStats {
    let mut raw = RawHookStats {
        hits: [0; HIT_COUNT],
        trigger_ns: 0,
        trigger_kind: 0,
        now_ns: 0,
        topology_gen: 0,
        topology_changing: 0,
        show_missed: 0,
        other_missed: 0,
        last_error: 0,
        last_error_probe: 0,
        kfd_live: 0,
        probes_registered: 0,
        show_probe_registered: 0,
        pad: [0; 5],
    };
    // SAFETY: `raw` is a valid, writable `struct rdna1_fg_hook_stats` (the
    // sizes are asserted on both sides).
    unsafe { rdna1_fg_hook_stats(&mut raw) };
    let trigger = match raw.trigger_kind as usize {
        _ if raw.trigger_ns == 0 => None,
        HIT_ADD_DEVICE => Some(Trigger::AddDevice),
        HIT_REMOVE_DEVICE => Some(Trigger::RemoveDevice),
        HIT_AMDGPU_LIVE => Some(Trigger::AmdgpuLive),
        _ => Some(Trigger::TopologyGoing),
    };
    let write_probe = match (raw.probes_registered != 0, raw.show_probe_registered != 0) {
        (false, _) => WriteProbe::NotRegistered,
        (true, true) => WriteProbe::Registered,
        (true, false) => WriteProbe::LeftOutForTest,
    };
    let last_error = (raw.last_error != 0).then(|| ProbeError {
        function: probe_name(raw.last_error_probe),
        error: Error::from_errno(raw.last_error),
    });
    HookStats {
        hits: HookHits {
            probes_registered: raw.probes_registered != 0,
            write_probe,
            add_device: raw.hits[HIT_ADD_DEVICE],
            remove_device: raw.hits[HIT_REMOVE_DEVICE],
            shutdown: raw.hits[HIT_SHUTDOWN],
            amdgpu_live: raw.hits[HIT_AMDGPU_LIVE],
            amdgpu_going: raw.hits[HIT_AMDGPU_GOING],
            probe_errors: raw.hits[HIT_PROBE_ERRORS],
            write_probe_missed: raw.show_missed,
            missed: raw.other_missed,
        },
        trigger: trigger.map(|t| (t, raw.trigger_ns)),
        topology: TopologyGen {
            gen: raw.topology_gen,
            changing: raw.topology_changing != 0,
        },
        kfd_live: raw.kfd_live != 0,
        last_error,
    }
}

/// Monotonic time in nanoseconds (`ktime_get_ns`), the clock the C side
/// stamps triggers with: the kernel crate's `Instant` has no public way to
/// compare with a raw C timestamp.
pub(crate) fn now_ns() -> u64 {
    // SAFETY: no preconditions.
    unsafe { rdna1_fg_now_ns() }
}
