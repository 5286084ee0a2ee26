// SPDX-License-Identifier: GPL-2.0

//! Pure logic of `rdna1_fg`, shared by the kernel module and the host crate.
//!
//! Everything here uses `core` only: no allocation, no I/O, no kernel API
//! (the hand-off uses `core`'s atomics). The
//! kernel module includes this directory as `mod logic`; the host crate
//! (`src/lib.rs`) includes the same files, so `cargo test` covers exactly the
//! code that runs in the kernel.
//!
//! - [`handoff`]: which of the module's reads may write, inside KFD's `mem_show`.
//! - [`heap`]: KFD heap types and the `HOT_PLUGGABLE` flag.
//! - [`props`]: parsing of KFD sysfs `properties` text.
//! - [`rules`]: module parameters and the per-node/per-bank decision.
//! - [`layout`]: the assumed `struct kfd_mem_properties` layout and its check.
//! - [`pass`]: what a walk proves, and which records it may forget.
//! - [`restore`]: what unload writes back, and what it reports.
//! - [`walk`]: the topology walk over any [`walk::Topology`] source.
//! - [`messages`]: the text of every log line.
//! - [`status`]: the text of the debugfs status file.
//! - [`textbuf`]: a fixed-size `fmt::Write` buffer for paths.

// The kernel builds this as a private module; the host crate re-exports it.
#![allow(unreachable_pub, dead_code)]

pub mod handoff;
pub mod heap;
pub mod layout;
pub mod messages;
pub mod pass;
pub mod props;
pub mod restore;
pub mod rules;
pub mod status;
pub mod textbuf;
pub mod walk;
