// SPDX-License-Identifier: GPL-2.0

//! Host build of the logic the `rdna1_fg` kernel module runs.
//!
//! `src/logic/` is compiled twice: into the kernel module (as `mod logic`) and
//! here, as a `no_std` library, so that `cargo test` exercises the very code
//! that runs in the kernel. The host tool `rdna1-fg` builds on it too.

#![no_std]

pub mod logic;
