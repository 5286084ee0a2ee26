// SPDX-License-Identifier: GPL-2.0

//! rdna1_fg: marks the KFD memory banks of AMD Navi 10 GPUs (PCI device
//! 0x731F: RX 5600 XT / 5700 / 5700 XT) as `HSA_MEM_FLAGS_HOT_PLUGGABLE`.
//!
//! At load the module walks the live KFD topology
//! (`/sys/class/kfd/kfd/topology`), and for every node whose `device_id`
//! matches and every bank whose heap type is enabled it sets bit 0 of the
//! bank's `flags` in the live `struct kfd_mem_properties`, after checking
//! that the struct's bytes match the bank's sysfs text. At unload it clears
//! exactly the bits it set.
//!
//! # Concurrency
//!
//! The contexts that touch the state here:
//! - module init ([`Rdna1Fg::init`]) and exit (`Drop`): process context,
//!   serialized by the module loader; they are the only code that reads or
//!   changes [`Patcher`]'s records, so the records need no lock.
//! - sysfs readers of a bank's `properties` (KFD's `mem_show()`), any time,
//!   on any CPU: they read `flags` while the module may write it. The write
//!   is one aligned 4-byte store (`copy_to_kernel_nofault`), so a reader sees
//!   the old or the new value; nothing else in the struct is written.
//! - amdgpu init/exit, which creates and frees the structs: this version
//!   assumes amdgpu stays loaded while `rdna1_fg` is loaded. Every access
//!   still goes through a freshly opened sysfs file and nofault copies, and
//!   unload finds each bank again by path and checks that it is the same
//!   struct with the same contents before writing, so a topology that went
//!   away is left alone rather than written.

use kernel::prelude::*;

mod kfd_mem;
mod logic;
mod patcher;
mod sysfs_file;

use logic::layout::KFD_MEM_PROPERTIES;
use logic::messages::{BadParam, ParamsLine};
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
    },
}

struct Rdna1Fg {
    patcher: Patcher,
    /// Read buffer, kept for unload so that restoring never needs to allocate.
    buf: KVec<u8>,
}

impl kernel::Module for Rdna1Fg {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let raw = RawParams {
            device_id: *module_parameters::device_id.value(),
            heap_mask: *module_parameters::heap_mask.value(),
            dry_run: *module_parameters::dry_run.value(),
        };
        let config = match Config::from_params(raw) {
            Ok(config) => config,
            Err(e) => {
                pr_err!("{}\n", format_args!("{}", BadParam(&e)));
                return Err(EINVAL);
            }
        };
        info(ParamsLine(&config));
        let mut buf = KVec::from_elem(0u8, TEXT_BUF_LEN, GFP_KERNEL)?;
        let mut patcher = Patcher::new(config, KFD_MEM_PROPERTIES);
        patcher.apply(&mut buf);
        Ok(Self { patcher, buf })
    }
}

impl Drop for Rdna1Fg {
    fn drop(&mut self) {
        self.patcher.restore_all(&mut self.buf);
    }
}
