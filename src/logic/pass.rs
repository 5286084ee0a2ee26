// SPDX-License-Identifier: GPL-2.0

//! What one walk over the topology proves, and which records it may forget.
//!
//! A record of a patched bank may be forgotten only on evidence that the
//! bank has left KFD's topology: a walk that read every bank of every
//! matching node of one unchanging topology, and did not meet it. Whether
//! the topology stayed the same is decided with what KFD itself publishes
//! (`topology/generation_id`, which KFD moves on every add and remove,
//! read before and after the walk) and with what the hooks on KFD saw (the
//! add/remove probes' generation and "changing" count). Neither alone is
//! enough: a kretprobe can miss, and KFD moves `generation_id` after it has
//! rebuilt sysfs when it adds a device, so a walk inside that rebuild sees
//! the old value twice. A walk cut short (a node or bank gone mid-walk)
//! shows as fewer banks than the node's `mem_banks_count`, or as a moved
//! generation.
//!
//! amdgpu unloaded and loaded again is a new topology whose structs may sit
//! at the addresses of the old ones: every record carries the KFD instance
//! ([`KfdEpoch`]) it was made in, and one from an earlier instance is
//! forgotten whatever the walk meets.

/// Counts amdgpu's goings: KFD's `kfd_topology_shutdown` and amdgpu's
/// `MODULE_STATE_GOING`, as the hooks counted them. Each new instance of
/// KFD's topology has a larger epoch than every one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KfdEpoch(pub u64);

impl KfdEpoch {
    /// The epoch from the hooks' counts of shutdowns and goings.
    pub fn from_counts(shutdowns: u64, goings: u64) -> Self {
        Self(shutdowns.wrapping_add(goings))
    }
}

/// Whether a record made in KFD instance `made_in` belongs to an instance
/// that has gone (amdgpu went away since, whether or not it came back).
pub fn outdated(made_in: KfdEpoch, now: KfdEpoch) -> bool {
    made_in != now
}

/// What a walk saw of the topology's stability and of its banks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkSight {
    /// `topology/generation_id` before the walk (`None`: unreadable).
    pub generation_before: Option<u64>,
    /// `topology/generation_id` after the walk (`None`: unreadable).
    pub generation_after: Option<u64>,
    /// The hooks saw no add, remove or shutdown from before the walk to
    /// after it, and none in progress.
    pub hooks_stable: bool,
    /// A node's or bank's `properties` could not be read or parsed.
    pub unreadable: bool,
    /// A bank could not be identified (the probe on `mem_show` did not run
    /// for the read) or vanished between its two reads.
    pub unidentified: bool,
    /// Matching nodes whose walk met fewer banks than `mem_banks_count`
    /// (or whose `mem_banks_count` is missing).
    pub short_nodes: u32,
}

/// Why a walk does not count as complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Incomplete {
    /// `generation_id` could not be read.
    GenerationUnknown,
    /// `generation_id` moved during the walk.
    GenerationMoved,
    /// The hooks saw KFD add or remove a node during the walk.
    HooksSawChange,
    /// A node or bank could not be read.
    Unreadable,
    /// A bank could not be identified.
    Unidentified,
    /// A node showed fewer banks than its `mem_banks_count`.
    BanksMissing,
}

impl Incomplete {
    /// The topology changed during the walk (walking again may help).
    pub fn topology_changed(self) -> bool {
        matches!(self, Self::GenerationMoved | Self::HooksSawChange)
    }
}

impl core::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::GenerationUnknown => "KFD's topology generation_id could not be read",
            Self::GenerationMoved => "KFD's topology changed during the walk (generation_id moved)",
            Self::HooksSawChange => "KFD added or removed a node during the walk",
            Self::Unreadable => "a node or bank of the topology could not be read",
            Self::Unidentified => "a bank could not be identified (the probe on mem_show did not run, or the bank went away between two reads)",
            Self::BanksMissing => "a node showed fewer banks than its mem_banks_count",
        })
    }
}

impl WalkSight {
    /// `Ok(())` when the walk read and identified every bank of every
    /// matching node of one unchanging topology; else the first reason it
    /// did not (the topology's stability first).
    pub fn complete(&self) -> Result<(), Incomplete> {
        let (Some(before), Some(after)) = (self.generation_before, self.generation_after) else {
            return Err(Incomplete::GenerationUnknown);
        };
        if before != after {
            return Err(Incomplete::GenerationMoved);
        }
        if !self.hooks_stable {
            return Err(Incomplete::HooksSawChange);
        }
        if self.unreadable {
            return Err(Incomplete::Unreadable);
        }
        if self.unidentified {
            return Err(Incomplete::Unidentified);
        }
        if self.short_nodes != 0 {
            return Err(Incomplete::BanksMissing);
        }
        Ok(())
    }

    /// The topology was the same from the walk's start to its end, by both
    /// KFD's generation and the hooks.
    pub fn stable(&self) -> bool {
        !matches!(
            self.complete(),
            Err(Incomplete::GenerationUnknown
                | Incomplete::GenerationMoved
                | Incomplete::HooksSawChange)
        )
    }
}

/// What a pass of the walk saw, for deciding which records to forget.
#[derive(Clone, Copy, Debug)]
pub struct PassSight {
    /// The pass's number.
    pub id: u64,
    /// What its walk saw.
    pub walk: WalkSight,
}

/// Whether the record of a bank, not met by `pass`, may be forgotten: its
/// bank has left KFD's topology.
///
/// `seen` is the last pass that identified the bank, `maybe_seen` the last
/// pass that met a bank it could not identify but that had the record's
/// `gpu_id`, heap type and size. `removed_since`: KFD removed a device
/// (`kfd_topology_remove_device` returned) since the walk that last saw
/// the bank began: within one KFD instance that is the only way a bank
/// leaves, so without it the record stays, whatever a walk saw (a walk
/// inside one of KFD's sysfs rebuilds that it does not announce, such as
/// the one after `kfd_topology_add_device` for SVM, sees fewer nodes with
/// an unmoved `generation_id`). Nothing is forgotten after a walk over a
/// changing topology. A complete walk proves it. Otherwise the record goes
/// only when `path_gone()` (its last known sysfs path no longer exists)
/// and nothing the walk failed to see could have been it: after a
/// renumbering (a GPU removed) the bank may sit at another index, where an
/// unreadable node, a short node or an unidentified bank would hide it. A
/// record kept too long costs memory; one forgotten too early leaves its
/// bit set at unload.
pub fn forgettable(
    seen: u64,
    maybe_seen: u64,
    removed_since: bool,
    pass: PassSight,
    path_gone: impl FnOnce() -> bool,
) -> bool {
    if seen == pass.id || !removed_since || !pass.walk.stable() {
        return false;
    }
    if pass.walk.complete().is_ok() {
        return true;
    }
    if pass.walk.unreadable || pass.walk.short_nodes != 0 || maybe_seen == pass.id {
        return false;
    }
    path_gone()
}
