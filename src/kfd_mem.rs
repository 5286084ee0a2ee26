// SPDX-License-Identifier: GPL-2.0

//! Writing a bank's `flags` from inside KFD's own `mem_show()`.
//!
//! The module reads a bank's `properties` file with a [`Request`] armed for
//! its own task ([`read_bank`]). The probe on `mem_show` (`kfd_hooks.c`)
//! calls [`rdna1_fg_mem_show_hook`] with the attribute KFD is showing; for
//! the module's own read, `serve` checks the struct behind it against the
//! text the previous read of the same file showed and, for a write, changes
//! `flags` with one compare and exchange. The struct is alive throughout:
//! kernfs holds an active reference on the attribute while `mem_show` runs,
//! and KFD removes a node's sysfs files, which waits for those references,
//! before it frees the node's structs. See `logic/handoff.rs` for which
//! reads may write.

use crate::logic::handoff::{Handoff, Request, Served, ShownMemory};
use crate::sysfs_file::{FileError, SysfsFile};
use kernel::bindings;
use kernel::prelude::*;
use kernel::task::Task;

/// The one hand-off slot: the module's walks take turns through the state
/// mutex, so one is enough (a second reader would get `Busy`).
static HANDOFF: Handoff = Handoff::new();

extern "C" {
    fn rdna1_fg_cmpxchg_u32(field: *mut u32, old: u32, new: u32) -> u32;
}

/// The struct behind the attribute `mem_show` is running for.
///
/// # Invariants
///
/// Exists only inside the probe on KFD's `mem_show`, for the duration of
/// that call: the memory around the attribute it was given is a live
/// `struct kfd_mem_properties`. With a wrong layout, the offsets before the
/// attribute may fall outside the struct, on a neighbour that may be live
/// or freed: every read is a nofault copy (an unmapped address is an error,
/// not a fault), and no write is made unless all five fields read there
/// match the text `mem_show` showed (`serve`), which a neighbour's bytes do
/// not.
struct LiveShow(());

// SAFETY: a `LiveShow` exists only inside `mem_show` for the attribute
// `serve` is given (its invariant); kernfs holds an active reference on that
// attribute for the whole call, and KFD frees a bank's struct only after
// removing its sysfs files, which waits for those references. So the struct
// around the attribute is live while the `LiveShow` exists.
unsafe impl ShownMemory for LiveShow {
    fn read(&self, addr: usize, buf: &mut [u8]) -> bool {
        // SAFETY: `buf` is a writable buffer of `buf.len()` bytes; the
        // source is read with a nofault copy, which returns an error instead
        // of faulting on an unmapped address.
        let rc = unsafe {
            bindings::copy_from_kernel_nofault(
                buf.as_mut_ptr().cast(),
                addr as *const c_void,
                buf.len(),
            )
        };
        rc == 0
    }

    unsafe fn compare_exchange_u32(&self, addr: usize, old: u32, new: u32) -> u32 {
        // SAFETY: by this function's contract `addr` is 4-aligned and its 4
        // bytes are inside the struct that holds the attribute `mem_show` is
        // showing, which is alive while `self` exists (the trait's contract,
        // upheld above). The exchange is atomic, so a concurrent reader sees
        // the old or the new value.
        unsafe { rdna1_fg_cmpxchg_u32(addr as *mut u32, old, new) }
    }
}

/// Called by the probe on KFD's `mem_show(kobj, attr, buf)`, for every call
/// in the system, in atomic context: takes no lock, allocates and logs
/// nothing.
///
/// # Safety
///
/// Called only from the entry of KFD's `mem_show`, with `task` the current
/// task, `in_task` whether the call runs in task context, and `attr` the
/// attribute `mem_show` was passed.
#[no_mangle]
unsafe extern "C" fn rdna1_fg_mem_show_hook(
    task: *const c_void,
    in_task: bool,
    attr: *const c_void,
) {
    // INVARIANT: we are inside `mem_show` for `attr` (function contract).
    let mem = LiveShow(());
    // SAFETY: `task` is the current task, whose address no other live task
    // shares; with `in_task` the call runs in its own context, inside the
    // read it armed the slot for (if it did).
    unsafe { HANDOFF.on_show(task as usize, in_task, attr as usize, &mem) };
}

/// The result of a read with a request.
pub(crate) struct BankRead<'b> {
    /// The text KFD showed, or why the read failed.
    pub(crate) text: Result<&'b str, FileError>,
    /// What the probe did, even if the read failed afterwards; `None`: it
    /// did not run for this read.
    pub(crate) served: Option<Served>,
}

/// Reads the bank's `properties` from `file` into `buf`, with `request`
/// armed for this task.
pub(crate) fn read_bank<'b>(file: &SysfsFile, request: Request, buf: &'b mut [u8]) -> BankRead<'b> {
    let me = Task::current_raw() as usize;
    // SAFETY: `me` is the current task's address: non-zero, and no other
    // live task has it while this task runs this function.
    let Ok(armed) = (unsafe { HANDOFF.arm(me, request) }) else {
        return BankRead {
            text: Err(FileError::Busy),
            served: None,
        };
    };
    let text = file.read_text(buf);
    BankRead {
        text,
        served: armed.finish(),
    }
}
