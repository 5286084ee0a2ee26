// SPDX-License-Identifier: GPL-2.0

//! Module parameters and the decision taken for each node and bank.

use super::heap::{HeapMask, ALL_HEAPS_MASK, DEFAULT_HEAP_MASK, HEAP_TYPE_COUNT, HOT_PLUGGABLE};
use super::layout::{LayoutSource, MemPropsLayout, KFD_MEM_PROPERTIES, MAX_SPAN};
use core::fmt;

/// PCI device id of Navi 10 (RX 5600 XT / 5700 / 5700 XT): the default rule.
pub const NAVI10_DEVICE_ID: u32 = 0x731F;

/// The raw parameter values, as given to the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawParams {
    /// `device_id`: PCI device id of the nodes to patch; 0 selects CPU-only nodes.
    pub device_id: u32,
    /// `heap_mask`: bit N enables heap type N.
    pub heap_mask: u32,
    /// `dry_run`: 1 logs what would change and changes nothing.
    pub dry_run: u32,
    /// `layout_shift`: test only; moves every assumed field offset by this
    /// many bytes, to force the layout check to fail on a real kernel.
    pub layout_shift: i32,
    /// `adopt`: 1 takes `HOT_PLUGGABLE` bits already set on selected banks
    /// as the module's own, so that unload clears them (for a bit an earlier
    /// load could not restore).
    pub adopt: u32,
    /// `test_no_write_probe`: test only; 1 leaves KFD's `mem_show` unprobed,
    /// so that nothing can be written.
    pub test_no_write_probe: u32,
    /// `test_fail_probe`: test only; N in 1..=4 makes the registration of
    /// probe N (1 `mem_show`, 2 `kfd_topology_shutdown`, 3
    /// `kfd_topology_remove_device`, 4 `kfd_topology_add_device`) fail as if
    /// amdgpu had no such function (`-ENOENT`); 0: none.
    pub test_fail_probe: u32,
    /// `test_delay_ms`: test only; every pass of the topology work waits this
    /// long in its middle (after it has looked at the hooks, before it walks
    /// the topology), to widen the windows the fault tests aim at.
    pub test_delay_ms: u32,
    /// `test_write_delay_ms`: test only; waits this long between the read
    /// of a bank that shows it and the read that writes it, to widen the
    /// window in which KFD may rebuild its topology between the two.
    pub test_write_delay_ms: u32,
    /// `test_going_delay_ms`: test only; a pass of the topology work that
    /// begins while KFD is not live (after amdgpu went away) waits this long
    /// before it looks at the hooks again, so that amdgpu can come back
    /// within one pass.
    pub test_going_delay_ms: u32,
    /// `test_fail_restore_read`: test only; 1 makes every bank read of the
    /// restore at unload fail (`-ENOMEM`, as a seq_file buffer that could
    /// not be allocated).
    pub test_fail_restore_read: u32,
}

impl Default for RawParams {
    /// The module's defaults.
    fn default() -> Self {
        Self {
            device_id: NAVI10_DEVICE_ID,
            heap_mask: DEFAULT_HEAP_MASK,
            dry_run: 0,
            layout_shift: 0,
            adopt: 0,
            test_no_write_probe: 0,
            test_fail_probe: 0,
            test_delay_ms: 0,
            test_write_delay_ms: 0,
            test_going_delay_ms: 0,
            test_fail_restore_read: 0,
        }
    }
}

/// Why a parameter value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// `device_id` does not fit in 16 bits.
    DeviceIdTooLarge(u32),
    /// `heap_mask` enables no heap type.
    HeapMaskEmpty,
    /// `heap_mask` has bits above the last heap type.
    HeapMaskUnknownBits(u32),
    /// `dry_run` is neither 0 nor 1.
    DryRunNotBool(u32),
    /// `layout_shift` moves a field out of the struct's readable start.
    LayoutShiftOutOfRange(i32),
    /// The layout of the build tree's `kfd_topology.h` puts a checked field
    /// where the module does not read (beyond its read span, or after the
    /// attribute).
    HeaderLayoutUnusable(MemPropsLayout),
    /// `adopt` is neither 0 nor 1.
    AdoptNotBool(u32),
    /// `test_no_write_probe` is neither 0 nor 1.
    NoWriteProbeNotBool(u32),
    /// `test_fail_probe` names no probe.
    FailProbeOutOfRange(u32),
    /// `test_delay_ms` is above [`MAX_TEST_DELAY_MS`].
    DelayTooLong(u32),
    /// `test_write_delay_ms` is above [`MAX_TEST_DELAY_MS`].
    WriteDelayTooLong(u32),
    /// `test_going_delay_ms` is above [`MAX_TEST_DELAY_MS`].
    GoingDelayTooLong(u32),
    /// `test_fail_restore_read` is neither 0 nor 1.
    FailRestoreReadNotBool(u32),
}

/// The longest `test_delay_ms` accepted.
pub const MAX_TEST_DELAY_MS: u32 = 30_000;

/// Probes `test_fail_probe` can name (1..=this).
pub const PROBE_COUNT: u32 = 4;

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::DeviceIdTooLarge(v) => write!(
                f,
                "invalid device_id=0x{v:x}: a PCI device id fits in 16 bits (0x0..0xffff)"
            ),
            Self::HeapMaskEmpty => write!(
                f,
                "invalid heap_mask=0x0: enable at least one heap type (bit N = heap type N, N < {HEAP_TYPE_COUNT})"
            ),
            Self::HeapMaskUnknownBits(v) => write!(
                f,
                "invalid heap_mask=0x{v:x}: bits 0x{:x} name no heap type (known: 0x{ALL_HEAPS_MASK:x} = {})",
                v & !ALL_HEAPS_MASK,
                HeapMask(ALL_HEAPS_MASK)
            ),
            Self::DryRunNotBool(v) => write!(f, "invalid dry_run={v}: use 0 or 1"),
            Self::AdoptNotBool(v) => write!(f, "invalid adopt={v}: use 0 or 1"),
            Self::NoWriteProbeNotBool(v) => {
                write!(f, "invalid test_no_write_probe={v}: use 0 or 1")
            }
            Self::FailProbeOutOfRange(v) => write!(
                f,
                "invalid test_fail_probe={v}: use 0 (none) or a probe 1..{PROBE_COUNT}"
            ),
            Self::DelayTooLong(v) => write!(
                f,
                "invalid test_delay_ms={v}: at most {MAX_TEST_DELAY_MS}"
            ),
            Self::WriteDelayTooLong(v) => write!(
                f,
                "invalid test_write_delay_ms={v}: at most {MAX_TEST_DELAY_MS}"
            ),
            Self::GoingDelayTooLong(v) => write!(
                f,
                "invalid test_going_delay_ms={v}: at most {MAX_TEST_DELAY_MS}"
            ),
            Self::FailRestoreReadNotBool(v) => {
                write!(f, "invalid test_fail_restore_read={v}: use 0 or 1")
            }
            Self::HeaderLayoutUnusable(l) => write!(
                f,
                "kfd_topology.h of the build tree puts the fields outside the struct's first {} bytes before its attribute (flags@{} attr@{}): this kernel's KFD is not supported",
                MAX_SPAN, l.flags, l.attr
            ),
            Self::LayoutShiftOutOfRange(v) => write!(
                f,
                "invalid layout_shift={v}: moves a field outside the struct's first {} bytes",
                KFD_MEM_PROPERTIES.attr
            ),
        }
    }
}

/// Validated configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// PCI device id of the nodes to patch (0: CPU-only nodes).
    pub device_id: u16,
    /// Heap types to patch.
    pub heaps: HeapMask,
    /// Log only, write nothing.
    pub dry_run: bool,
    /// The struct layout assumed (shifted by `layout_shift`).
    pub layout: MemPropsLayout,
    /// Where the layout comes from.
    pub layout_source: LayoutSource,
    /// The `layout_shift` in force (0 but in tests).
    pub layout_shift: i32,
    /// Take bits already set on selected banks as the module's own.
    pub adopt: bool,
    /// Register the probe on `mem_show` that every write needs (false only
    /// in tests).
    pub write_probe: bool,
    /// Test only: the probe (1-based, 0: none) whose registration fails.
    pub fail_probe: u32,
    /// Test only: the wait in the middle of each pass, in milliseconds.
    pub delay_ms: u32,
    /// Test only: the wait between the two reads of a bank, in milliseconds.
    pub write_delay_ms: u32,
    /// Test only: the wait of a pass that begins while KFD is not live.
    pub going_delay_ms: u32,
    /// Test only: every bank read of the restore at unload fails.
    pub fail_restore_reads: bool,
}

impl Config {
    /// Validates raw parameters, with the known layout; the first invalid
    /// one is reported.
    pub fn from_params(raw: RawParams) -> Result<Self, ParamError> {
        Self::from_params_on(raw, KFD_MEM_PROPERTIES, LayoutSource::KnownTable)
    }

    /// Validates raw parameters for the struct layout `base` from `source`.
    pub fn from_params_on(
        raw: RawParams,
        base: MemPropsLayout,
        source: LayoutSource,
    ) -> Result<Self, ParamError> {
        let device_id = u16::try_from(raw.device_id)
            .map_err(|_| ParamError::DeviceIdTooLarge(raw.device_id))?;
        if raw.heap_mask == 0 {
            return Err(ParamError::HeapMaskEmpty);
        }
        if raw.heap_mask & !ALL_HEAPS_MASK != 0 {
            return Err(ParamError::HeapMaskUnknownBits(raw.heap_mask));
        }
        let dry_run = flag(raw.dry_run).ok_or(ParamError::DryRunNotBool(raw.dry_run))?;
        let adopt = flag(raw.adopt).ok_or(ParamError::AdoptNotBool(raw.adopt))?;
        let no_write_probe = flag(raw.test_no_write_probe)
            .ok_or(ParamError::NoWriteProbeNotBool(raw.test_no_write_probe))?;
        if raw.test_fail_probe > PROBE_COUNT {
            return Err(ParamError::FailProbeOutOfRange(raw.test_fail_probe));
        }
        if raw.test_delay_ms > MAX_TEST_DELAY_MS {
            return Err(ParamError::DelayTooLong(raw.test_delay_ms));
        }
        if raw.test_write_delay_ms > MAX_TEST_DELAY_MS {
            return Err(ParamError::WriteDelayTooLong(raw.test_write_delay_ms));
        }
        if raw.test_going_delay_ms > MAX_TEST_DELAY_MS {
            return Err(ParamError::GoingDelayTooLong(raw.test_going_delay_ms));
        }
        let fail_restore_reads = flag(raw.test_fail_restore_read).ok_or(
            ParamError::FailRestoreReadNotBool(raw.test_fail_restore_read),
        )?;
        base.shifted(0)
            .filter(|_| base.flags % 4 == 0)
            .ok_or(ParamError::HeaderLayoutUnusable(base))?;
        let layout = base
            .shifted(raw.layout_shift)
            .ok_or(ParamError::LayoutShiftOutOfRange(raw.layout_shift))?;
        Ok(Self {
            device_id,
            heaps: HeapMask(raw.heap_mask),
            dry_run,
            layout,
            layout_source: source,
            layout_shift: raw.layout_shift,
            adopt,
            write_probe: !no_write_probe,
            fail_probe: raw.test_fail_probe,
            delay_ms: raw.test_delay_ms,
            write_delay_ms: raw.test_write_delay_ms,
            going_delay_ms: raw.test_going_delay_ms,
            fail_restore_reads,
        })
    }

    /// Whether a node with this `device_id` is one to patch.
    pub fn node_matches(&self, device_id: u32) -> bool {
        device_id == u32::from(self.device_id)
    }
}

/// A 0/1 parameter as a `bool`.
fn flag(value: u32) -> Option<bool> {
    match value {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// What to do with one bank of a matching node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BankAction {
    /// Heap type not enabled: leave the bank alone, say nothing.
    Skip,
    /// The bit is already set (by KFD or someone else): leave it, and never
    /// clear it on unload.
    AlreadySet,
    /// Set the bit: `flags` goes from `before` to `after`.
    Patch {
        /// `flags` now.
        before: u32,
        /// `flags` once patched.
        after: u32,
    },
}

/// Decides what to do with a bank of heap type `heap_type` whose `flags` read `flags`.
pub fn decide(config: &Config, heap_type: u32, flags: u32) -> BankAction {
    if !config.heaps.contains(heap_type) {
        BankAction::Skip
    } else if flags & HOT_PLUGGABLE != 0 {
        BankAction::AlreadySet
    } else {
        BankAction::Patch {
            before: flags,
            after: flags | HOT_PLUGGABLE,
        }
    }
}
