// SPDX-License-Identifier: GPL-2.0

//! The text of every line the module logs.
//!
//! Each type here is one kind of line; the kernel prints it with `pr_info!`
//! (which adds the `rdna1_fg: ` prefix) and the host tests format it to check
//! the text. Every line names KFD and RDNA1, so `dmesg | grep -i "KFD.*RDNA1"`
//! shows all of the module's work.

use super::heap::heap_name;
use super::rules::Config;
use core::fmt;

/// A bank, as the lines name it: `node 1 bank 0 FB_PUBLIC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankRef {
    /// Topology node index (`nodes/N`).
    pub node: u32,
    /// Bank index within the node (`mem_banks/M`).
    pub bank: u32,
    /// The bank's heap type.
    pub heap_type: u32,
}

impl fmt::Display for BankRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "node {} bank {} {}",
            self.node,
            self.bank,
            heap_name(self.heap_type)
        )
    }
}

/// The parameters in force: `device_id=0x731f heap_mask=0x3e (FB_PUBLIC|...) dry_run=0`.
pub struct ParamsLine<'a>(pub &'a Config);

impl fmt::Display for ParamsLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        write!(
            f,
            "KFD: RDNA1 rule: device_id=0x{:x} heap_mask=0x{:x} ({}) dry_run={}",
            c.device_id,
            c.heaps.0,
            c.heaps,
            u8::from(c.dry_run)
        )?;
        if c.adopt {
            f.write_str(" adopt=1")?;
        }
        if c.layout_shift != 0 {
            write!(f, " layout_shift={} (test setting)", c.layout_shift)?;
        }
        if !c.write_probe {
            f.write_str(" test_no_write_probe=1 (test setting)")?;
        }
        if c.fail_probe != 0 {
            write!(f, " test_fail_probe={} (test setting)", c.fail_probe)?;
        }
        if c.delay_ms != 0 {
            write!(f, " test_delay_ms={} (test setting)", c.delay_ms)?;
        }
        if c.write_delay_ms != 0 {
            write!(
                f,
                " test_write_delay_ms={} (test setting)",
                c.write_delay_ms
            )?;
        }
        if c.going_delay_ms != 0 {
            write!(
                f,
                " test_going_delay_ms={} (test setting)",
                c.going_delay_ms
            )?;
        }
        if c.fail_restore_reads {
            f.write_str(" test_fail_restore_read=1 (test setting)")?;
        }
        Ok(())
    }
}

/// A bank was patched.
pub struct Patched {
    /// Device id of the node.
    pub device_id: u16,
    /// The bank.
    pub at: BankRef,
    /// `flags` before.
    pub before: u32,
    /// `flags` after.
    pub after: u32,
}

impl fmt::Display for Patched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: Enabling fine-grained for RDNA1 0x{:x}: {} flags {:#x} -> {:#x}",
            self.device_id, self.at, self.before, self.after
        )
    }
}

/// With `dry_run=1`: a bank would be patched.
pub struct WouldPatch(pub Patched);

impl fmt::Display for WouldPatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.0;
        write!(
            f,
            "KFD: dry run: would enable fine-grained for RDNA1 0x{:x}: {} flags {:#x} -> {:#x} (nothing written)",
            p.device_id, p.at, p.before, p.after
        )
    }
}

/// A bank already had the bit: left alone, and never cleared on unload.
pub struct AlreadySet {
    /// Device id of the node.
    pub device_id: u16,
    /// The bank.
    pub at: BankRef,
    /// Its `flags`.
    pub flags: u32,
}

impl fmt::Display for AlreadySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 0x{:x}: {} already has HOT_PLUGGABLE (flags {:#x}): left as is",
            self.device_id, self.at, self.flags
        )
    }
}

/// A bank was refused: nothing was written to it.
pub struct Refused<'a> {
    /// Device id of the node.
    pub device_id: u16,
    /// Node index.
    pub node: u32,
    /// Bank index, or `None` when the whole node was refused.
    pub bank: Option<u32>,
    /// Why.
    pub reason: &'a dyn fmt::Display,
}

impl fmt::Display for Refused<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KFD: RDNA1 0x{:x}: node {}", self.device_id, self.node)?;
        if let Some(bank) = self.bank {
            write!(f, " bank {bank}")?;
        }
        write!(f, " refused, nothing written: {}", self.reason)
    }
}

/// Unload cleared the module's bit again.
pub struct Restored {
    /// Device id of the node.
    pub device_id: u16,
    /// The bank.
    pub at: BankRef,
    /// `flags` before the restore.
    pub before: u32,
    /// `flags` after it.
    pub after: u32,
}

impl fmt::Display for Restored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 0x{:x}: {} flags restored {:#x} -> {:#x}",
            self.device_id, self.at, self.before, self.after
        )
    }
}

/// Unload did not write to a bank it had patched.
pub struct NotRestored<'a> {
    /// Device id of the node.
    pub device_id: u16,
    /// The bank.
    pub at: BankRef,
    /// Why nothing was written.
    pub reason: &'a dyn fmt::Display,
    /// The bit stays set on a live bank: say how to clear it.
    pub hint: Option<&'a Config>,
}

impl fmt::Display for NotRestored<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 0x{:x}: {} not restored, nothing written: {}",
            self.device_id, self.at, self.reason
        )?;
        if let Some(c) = self.hint {
            write!(
                f,
                "; HOT_PLUGGABLE stays set: to clear it, make sure kprobes are armed (echo 1 > /sys/kernel/debug/kprobes/enabled), then run: modprobe rdna1_fg adopt=1 device_id=0x{:x} heap_mask=0x{:x} && modprobe -r rdna1_fg",
                c.device_id, c.heaps.0
            )?;
        }
        Ok(())
    }
}

/// With `adopt=1`: a bank whose bit was already set is taken as the
/// module's own, and cleared at unload.
pub struct Adopted {
    /// Device id of the node.
    pub device_id: u16,
    /// The bank.
    pub at: BankRef,
    /// Its `flags`.
    pub flags: u32,
}

impl fmt::Display for Adopted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 0x{:x}: {} already has HOT_PLUGGABLE (flags {:#x}): adopted (adopt=1), cleared at unload",
            self.device_id, self.at, self.flags
        )
    }
}

/// The write probe on KFD's `mem_show` did not run for the module's read:
/// nothing can be written until it does.
pub struct WriteProbeSilent {
    /// The probe is registered (else it was left out for a test).
    pub registered: bool,
}

impl fmt::Display for WriteProbeSilent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.registered {
            f.write_str("KFD: RDNA1 rule: the probe on KFD's mem_show did not run for the module's read (kprobes disarmed in /sys/kernel/debug/kprobes/enabled, or the probe missed): nothing written; retrying while banks wait")
        } else {
            f.write_str("KFD: RDNA1 rule: the probe on KFD's mem_show is not registered (test_no_write_probe=1): nothing can be written")
        }
    }
}

/// The write probe runs again after it had not.
pub struct WriteProbeBack;

impl fmt::Display for WriteProbeBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KFD: RDNA1 rule: the probe on KFD's mem_show runs again: writes resume")
    }
}

/// No node matched the rule.
pub struct NoMatch {
    /// The rule's device id.
    pub device_id: u16,
    /// How many KFD nodes were looked at.
    pub nodes: u32,
}

impl fmt::Display for NoMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 rule: no node with device_id 0x{:x} among {} KFD node(s): nothing to patch",
            self.device_id, self.nodes
        )
    }
}

/// KFD's topology is not there.
pub struct NoTopology<'a> {
    /// The directory looked for.
    pub path: &'a str,
}

impl fmt::Display for NoTopology<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 rule: no KFD topology at {} (is amdgpu loaded?): nothing to patch",
            self.path
        )
    }
}

/// Counts of one pass over the topology.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Nodes looked at.
    pub nodes: u32,
    /// Nodes whose device id matched.
    pub matched_nodes: u32,
    /// Banks patched (or, in a dry run, that would be).
    pub patched: u32,
    /// Banks patched by an earlier pass and still set.
    pub kept: u32,
    /// Banks that already had the bit.
    pub already_set: u32,
    /// Banks refused.
    pub refused: u32,
    /// Matching nodes where fewer banks were met than their
    /// `mem_banks_count` says (not printed: the pass's completeness).
    pub short_nodes: u32,
}

/// End of a pass: `KFD: RDNA1 rule: 1 bank(s) patched, 0 kept, 0 already set, 0 refused, on 1 matching of 2 node(s)`.
pub struct Summary {
    /// The counts.
    pub tally: Tally,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tally;
        write!(
            f,
            "KFD: RDNA1 rule: {} bank(s) {}, {} kept, {} already set, {} refused, on {} matching of {} node(s)",
            t.patched,
            if self.dry_run { "would be patched (dry run)" } else { "patched" },
            t.kept,
            t.already_set,
            t.refused,
            t.matched_nodes,
            t.nodes
        )
    }
}

/// Unload finished: `KFD: RDNA1 rule: unloaded, 1 bank(s) restored, 0 not restored`.
pub struct Unloaded {
    /// Banks whose bit was cleared.
    pub restored: u32,
    /// Banks left as they were.
    pub not_restored: u32,
}

impl fmt::Display for Unloaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 rule: unloading, {} bank(s) restored, {} not restored",
            self.restored, self.not_restored
        )
    }
}

/// A refused parameter: `KFD: RDNA1 rule: invalid heap_mask=0x0: ...; not loaded`.
pub struct BadParam<'a>(pub &'a dyn fmt::Display);

impl fmt::Display for BadParam<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 rule: {}; module not loaded, nothing changed",
            self.0
        )
    }
}

/// A patched bank left KFD's topology (GPU removed or amdgpu unloaded):
/// its struct is KFD's to free, the module forgets it.
pub struct Forgotten<'a> {
    /// Device id of the node.
    pub device_id: u16,
    /// The bank, as last seen.
    pub at: BankRef,
    /// Why it is forgotten.
    pub reason: &'a dyn fmt::Display,
}

impl fmt::Display for Forgotten<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 0x{:x}: {} forgotten ({}): nothing to restore",
            self.device_id, self.at, self.reason
        )
    }
}

/// amdgpu is built into the kernel: not supported, the module refuses to load.
pub struct AmdgpuBuiltIn;

impl fmt::Display for AmdgpuBuiltIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KFD: RDNA1 rule: amdgpu is built into this kernel (CONFIG_DRM_AMDGPU=y): rdna1_fg follows amdgpu as a module (CONFIG_DRM_AMDGPU=m), as distribution kernels build it; not loaded")
    }
}

/// amdgpu is not loaded: the module waits for it.
pub struct Waiting;

impl fmt::Display for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KFD: RDNA1 rule: waiting for amdgpu: KFD is not loaded; banks are patched as soon as it is")
    }
}

/// A probe on KFD could not be registered.
pub struct HooksFailed<'a> {
    /// The KFD function.
    pub function: &'a str,
    /// The errno.
    pub errno: i32,
    /// At module load (the load fails), or when amdgpu loaded later.
    pub at_load: bool,
}

impl fmt::Display for HooksFailed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KFD: RDNA1 rule: cannot hook KFD's function {} (error {})",
            self.function, self.errno
        )?;
        if self.errno == -2 {
            f.write_str(": amdgpu has no such function (renamed or inlined in this kernel): this kernel is not supported")?;
        } else if self.errno == -95 {
            f.write_str(": the kernel has no ftrace-based kprobes there (CONFIG_KPROBES_ON_FTRACE), which the write probe needs to run in the reader's context")?;
        } else {
            f.write_str(": is CONFIG_KPROBES set?")?;
        }
        if self.at_load {
            f.write_str("; module not loaded, nothing changed")
        } else {
            f.write_str("; nothing is patched until amdgpu loads again")
        }
    }
}

/// What made the module look at the topology again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Module load.
    Load,
    /// `kfd_topology_add_device` returned (a GPU node was added).
    AddDevice,
    /// `kfd_topology_remove_device` returned (a GPU node was removed).
    RemoveDevice,
    /// amdgpu finished loading (KFD's topology, with its CPU node, exists).
    AmdgpuLive,
    /// amdgpu is unloading or a node is being removed.
    TopologyGoing,
    /// A retry: an earlier pass could not write because the write probe
    /// did not run.
    Retry,
}

impl Trigger {
    /// The name used in logs and the status file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Load => "module load",
            Self::AddDevice => "kfd_topology_add_device",
            Self::RemoveDevice => "kfd_topology_remove_device",
            Self::AmdgpuLive => "amdgpu load",
            Self::TopologyGoing => "topology removal",
            Self::Retry => "retry",
        }
    }
}

/// A new pass over the topology: `KFD: RDNA1 rule: rescan after amdgpu load`.
pub struct Rescan(pub Trigger);

impl fmt::Display for Rescan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KFD: RDNA1 rule: rescan after {}", self.0.name())
    }
}
