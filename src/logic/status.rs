// SPDX-License-Identifier: GPL-2.0

//! The text of the module's debugfs status file (`rdna1_fg/status`).
//!
//! Rust module parameters are not shown in `/sys/module/*/parameters`, so
//! this file is where users and tests see them, with the module's state,
//! every bank it has patched, its counters and its hooks' hit counts.

use super::messages::{BankRef, ParamsLine, Trigger};
use super::rules::Config;
use core::fmt;

/// Where the module stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleState {
    /// amdgpu (KFD) is not loaded; the hooks wait for it.
    WaitingForKfd,
    /// KFD is loaded and hooked.
    Active,
    /// KFD is loaded, but the probe every write needs did not run on the
    /// last read: nothing can be written until it does.
    WritesBlocked,
    /// The probes on KFD could not be registered.
    HooksFailed,
}

impl ModuleState {
    /// The name shown in the status file.
    pub fn name(self) -> &'static str {
        match self {
            Self::WaitingForKfd => "waiting for KFD",
            Self::Active => "active",
            Self::WritesBlocked => "writes blocked (the probe on mem_show does not run)",
            Self::HooksFailed => "hooks failed (see last error)",
        }
    }
}

/// What the module has done since it was loaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Passes over the topology.
    pub scans: u64,
    /// Banks patched (a bank patched again after an amdgpu reload counts again).
    pub patched: u64,
    /// Banks restored at unload.
    pub restored: u64,
    /// Banks refused (nothing written).
    pub refused: u64,
    /// Banks found with the bit already set by someone else.
    pub already_set: u64,
    /// Patched banks that left the topology (their structs freed by KFD).
    pub forgotten: u64,
    /// Banks taken as the module's own with `adopt=1`.
    pub adopted: u64,
    /// Reads of a bank for which the write probe did not run.
    pub probe_not_run: u64,
}

/// The probe on KFD's `mem_show`, through which every write goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WriteProbe {
    /// Registered with amdgpu's `mem_show`.
    Registered,
    /// Not registered (amdgpu not loaded, or its registration failed).
    #[default]
    NotRegistered,
    /// Left out on purpose (`test_no_write_probe=1`).
    LeftOutForTest,
}

impl WriteProbe {
    /// The name shown in the status file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::NotRegistered => "not registered",
            Self::LeftOutForTest => "not registered (test_no_write_probe=1)",
        }
    }
}

/// How often each hook ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HookHits {
    /// Whether the probes on KFD's functions are registered now.
    pub probes_registered: bool,
    /// The write probe on `mem_show`.
    pub write_probe: WriteProbe,
    /// `kfd_topology_add_device` returns.
    pub add_device: u64,
    /// `kfd_topology_remove_device` entries.
    pub remove_device: u64,
    /// `kfd_topology_shutdown` entries.
    pub shutdown: u64,
    /// amdgpu finished loading.
    pub amdgpu_live: u64,
    /// amdgpu unloaded.
    pub amdgpu_going: u64,
    /// Failed probe registrations.
    pub probe_errors: u64,
    /// Calls of `mem_show` the write probe missed (the kprobe core's
    /// `nmissed`).
    pub write_probe_missed: u64,
    /// Runs the other probes missed (`nmissed`).
    pub missed: u64,
}

/// The time from a topology event to the flag being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    /// Nanoseconds from the event to the write.
    pub ns: u64,
    /// The event.
    pub trigger: Trigger,
}

/// Everything above the bank list.
pub struct StatusHeader<'a> {
    /// Parameters in force.
    pub config: &'a Config,
    /// State.
    pub state: ModuleState,
    /// Counters.
    pub counters: Counters,
    /// Hook hits.
    pub hooks: HookHits,
    /// Latency of the last patch made after a topology event.
    pub last_latency: Option<Latency>,
    /// The last refusal or failure, or empty.
    pub last_error: &'a str,
    /// Number of banks patched now.
    pub patched_banks: usize,
}

impl fmt::Display for StatusHeader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.config;
        let l = &c.layout;
        let n = &self.counters;
        let h = &self.hooks;
        writeln!(f, "state: {}", self.state.name())?;
        writeln!(f, "parameters: {}", ParamsLine(c))?;
        writeln!(
            f,
            "layout: heap_type@{} size_in_bytes@{} flags@{} width@{} mem_clk_max@{} attr@{}, from {}",
            l.heap_type, l.size_in_bytes, l.flags, l.width, l.mem_clk_max, l.attr, c.layout_source
        )?;
        writeln!(
            f,
            "write probe: {}, missed {}, not run {}",
            h.write_probe.name(),
            h.write_probe_missed,
            n.probe_not_run
        )?;
        writeln!(
            f,
            "hooks: {}, add_device {}, remove_device {}, shutdown {}, amdgpu_live {}, amdgpu_going {}, probe_errors {}, missed {}",
            if h.probes_registered { "registered" } else { "not registered" },
            h.add_device,
            h.remove_device,
            h.shutdown,
            h.amdgpu_live,
            h.amdgpu_going,
            h.probe_errors,
            h.missed
        )?;
        writeln!(
            f,
            "counters: scans {}, patched {}, restored {}, refused {}, already_set {}, adopted {}, forgotten {}",
            n.scans, n.patched, n.restored, n.refused, n.already_set, n.adopted, n.forgotten
        )?;
        match self.last_latency {
            Some(lat) => writeln!(
                f,
                "latency: last patch {} ns after {}",
                lat.ns,
                lat.trigger.name()
            )?,
            None => writeln!(f, "latency: none measured")?,
        }
        let error = if self.last_error.is_empty() {
            "none"
        } else {
            self.last_error
        };
        writeln!(f, "last error: {error}")?;
        writeln!(f, "patched banks: {}", self.patched_banks)
    }
}

/// One patched bank: `  node 0 bank 0 SYSTEM flags before 0x0 now 0x1`.
pub struct BankStatus {
    /// The bank.
    pub at: BankRef,
    /// `flags` before the module patched it.
    pub before: u32,
    /// `flags` as sysfs shows them now (`None`: unreadable).
    pub now: Option<u32>,
}

impl fmt::Display for BankStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "  {} flags before {:#x} now ", self.at, self.before)?;
        match self.now {
            Some(now) => writeln!(f, "{now:#x}"),
            None => writeln!(f, "unreadable"),
        }
    }
}
