// SPDX-License-Identifier: GPL-2.0

//! The hand-off between the module's own read of a bank's `properties` file
//! and the probe on KFD's `mem_show()` that runs inside that read.
//!
//! KFD's `mem_show(kobj, attr, buf)` prints a bank's `properties` from the
//! `struct kfd_mem_properties` that holds `attr`. While it runs, kernfs holds
//! an active reference on that attribute, and KFD removes a node's sysfs
//! files (which waits for every active reference to drop) before it frees
//! the node's structs. So the struct behind `attr` is alive for as long as
//! `mem_show` runs for it: that is the only place the module writes.
//!
//! A reader arms the [`Handoff`] for its own thread with a [`Request`], then
//! reads the file; the probe, running inside that read on the same thread,
//! [`Handoff::on_show`]s the request against the `attr` it was given and
//! leaves a [`Served`] result; the reader takes it with [`Armed::finish`].
//! Which calls may act:
//! - only a call on the thread that armed the slot, in task context (an
//!   interrupt on that thread's CPU is not its read), and only the first
//!   call after arming: every other `mem_show` in the system passes through;
//! - an [`Request::Observe`] only records which attribute was shown;
//! - a [`Request::Write`] acts only on the attribute observed before on the
//!   same open file, only if the struct's bytes match the text that read
//!   showed, and only as one compare-and-exchange of `flags` from the value
//!   that text showed.
//!
//! If the probe never runs (kprobes disarmed, missed, or not registered),
//! [`Armed::finish`] returns `None`: nothing was written.

use super::layout::{MemPropsLayout, Mismatch, MAX_SPAN};
use super::props::MemBankProps;
use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicUsize, Ordering};

/// What the reader asks of the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Record the attribute `mem_show` was called for; write nothing.
    Observe,
    /// Check the struct behind `attr` against `expect` and, when `new` is
    /// set, change `flags` from `expect.flags` to `new`.
    Write {
        /// The attribute an earlier read of the same open file showed.
        attr: usize,
        /// What that read showed.
        expect: MemBankProps,
        /// The new `flags`; `None` checks only (dry run).
        new: Option<u32>,
        /// Where the fields are.
        layout: MemPropsLayout,
    },
}

/// What the probe did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// `mem_show` ran for `attr`.
    Observed {
        /// The attribute.
        attr: usize,
    },
    /// The struct matched; nothing was to be written (dry run).
    Checked,
    /// `flags` changed from `old` to `new`.
    Written {
        /// `flags` before.
        old: u32,
        /// `flags` after.
        new: u32,
    },
    /// Nothing was written.
    Refused(ShowRefusal),
}

/// Why the probe wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowRefusal {
    /// `mem_show` ran for another attribute than the one observed before.
    OtherAttribute,
    /// The attribute lies too close to address 0 for the assumed layout.
    BadAddress,
    /// The struct's bytes could not be read.
    Fault,
    /// The struct's bytes differ from the text.
    Layout(Mismatch),
    /// `flags` changed between the check and the store.
    Raced {
        /// The value found instead of the expected one.
        found: u32,
    },
}

impl fmt::Display for ShowRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::OtherAttribute => {
                f.write_str("KFD showed another bank than the one read before; nothing written")
            }
            Self::BadAddress => f.write_str("attribute address below the assumed struct offset"),
            Self::Fault => f.write_str("struct memory not readable"),
            Self::Layout(m) => write!(f, "layout check failed: {m}"),
            Self::Raced { found } => write!(
                f,
                "flags changed to {found:#x} under the write; nothing written"
            ),
        }
    }
}

/// Access to the struct behind the attribute `mem_show` is showing.
///
/// The kernel's implementation exists only inside the probe on `mem_show`,
/// for the attribute KFD passed it: its existence is what makes a write safe.
///
/// # Safety
///
/// While a value of the implementing type exists, and it is passed to
/// [`serve`] with an attribute address `attr`, the bytes from
/// `attr - layout.attr` up to `attr` (the struct that holds the attribute, for
/// any layout [`serve`] accepts) are live memory that nothing frees until the
/// value is gone.
pub unsafe trait ShownMemory {
    /// Copies `buf.len()` bytes from `addr` into `buf`; `false` if they are
    /// not readable (the copy must never fault).
    fn read(&self, addr: usize, buf: &mut [u8]) -> bool;
    /// Atomically stores `new` at `addr` if it holds `old`; returns the value
    /// found.
    ///
    /// # Safety
    ///
    /// `addr` is 4-aligned and its 4 bytes lie inside the live memory the
    /// trait's contract names, for a value of `self` that [`serve`] was given.
    unsafe fn compare_exchange_u32(&self, addr: usize, old: u32, new: u32) -> u32;
}

/// Serves `request` for the attribute `attr` that `mem_show` was called with.
pub fn serve(request: &Request, attr: usize, mem: &impl ShownMemory) -> Served {
    let (expected_attr, expect, new, layout) = match *request {
        Request::Observe => return Served::Observed { attr },
        Request::Write {
            attr,
            expect,
            new,
            layout,
        } => (attr, expect, new, layout),
    };
    if attr != expected_attr {
        return Served::Refused(ShowRefusal::OtherAttribute);
    }
    let Some(base) = attr.checked_sub(layout.attr) else {
        return Served::Refused(ShowRefusal::BadAddress);
    };
    let span = layout.span();
    // `MemPropsLayout::shifted` keeps every field inside the bytes before
    // `attr`, so the write below stays inside the struct that holds `attr`.
    if span > MAX_SPAN || span > layout.attr {
        return Served::Refused(ShowRefusal::BadAddress);
    }
    let mut raw = [0u8; MAX_SPAN];
    let Some(bytes) = raw.get_mut(..span) else {
        return Served::Refused(ShowRefusal::BadAddress);
    };
    if !mem.read(base, bytes) {
        return Served::Refused(ShowRefusal::Fault);
    }
    if let Err(m) = layout.verify(bytes, &expect) {
        return Served::Refused(ShowRefusal::Layout(m));
    }
    let Some(new) = new else {
        return Served::Checked;
    };
    let Some(field) = base.checked_add(layout.flags) else {
        return Served::Refused(ShowRefusal::BadAddress);
    };
    if field % 4 != 0 {
        return Served::Refused(ShowRefusal::BadAddress);
    }
    // SAFETY: `field` is 4-aligned (checked above) and is `flags` of the
    // struct that holds `attr`: `layout.flags + 4 <= span <= layout.attr`
    // (checked above), so its bytes lie between `attr - layout.attr` and
    // `attr`, which `ShownMemory`'s contract keeps alive while `mem` exists.
    let found = unsafe { mem.compare_exchange_u32(field, expect.flags, new) };
    if found == expect.flags {
        Served::Written {
            old: expect.flags,
            new,
        }
    } else {
        Served::Refused(ShowRefusal::Raced { found })
    }
}

/// The slot's contents.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Idle,
    Armed(Request),
    Done(Served),
}

/// The busy signal of [`Handoff::arm`]: another thread's read is armed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy;

/// One request at a time, from a reader to the probe inside its read.
///
/// # Invariants
///
/// `slot` is accessed only by the thread whose id is in `owner`: by
/// [`Handoff::arm`] after it has claimed `owner`, by [`Handoff::on_show`]
/// on that thread (synchronously inside its read, never concurrently with
/// the reader's own accesses), and by [`Armed`], which releases `owner` last.
pub struct Handoff {
    /// Id of the thread that armed the slot; 0 when none has.
    owner: AtomicUsize,
    slot: UnsafeCell<Slot>,
}

// SAFETY: `slot` is only accessed by the thread that owns it (type
// invariant); `owner` is atomic.
unsafe impl Sync for Handoff {}

impl Default for Handoff {
    fn default() -> Self {
        Self::new()
    }
}

impl Handoff {
    /// An idle slot.
    pub const fn new() -> Self {
        Self {
            owner: AtomicUsize::new(0),
            slot: UnsafeCell::new(Slot::Idle),
        }
    }

    /// Arms the slot for the calling thread with `request`.
    ///
    /// # Safety
    ///
    /// `me` is the id of the calling thread: non-zero and different from
    /// that of every other thread alive while the returned guard exists.
    pub unsafe fn arm(&self, me: usize, request: Request) -> Result<Armed<'_>, Busy> {
        if me == 0 {
            return Err(Busy);
        }
        self.owner
            .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
            .map_err(|_| Busy)?;
        // SAFETY: this thread owns the slot now (type invariant): no other
        // thread touches it, and this thread is not inside a read.
        unsafe { *self.slot.get() = Slot::Armed(request) };
        Ok(Armed {
            handoff: self,
            _not_send: PhantomData,
        })
    }

    /// Called by the probe for every `mem_show(attr)` in the system: serves
    /// the request if the caller is the thread that armed the slot, in task
    /// context, and this is the first call since. Returns whether it did.
    ///
    /// # Safety
    ///
    /// `me` is the id of the calling thread, as given to [`Handoff::arm`]; when
    /// `in_task` is true the call runs in that thread's own context (not an
    /// interrupt), synchronously inside its read.
    pub unsafe fn on_show(
        &self,
        me: usize,
        in_task: bool,
        attr: usize,
        mem: &impl ShownMemory,
    ) -> bool {
        if !in_task || me == 0 || self.owner.load(Ordering::Acquire) != me {
            return false;
        }
        // SAFETY: the caller is the owning thread, inside its own read
        // (function contract): the reader is not touching the slot now.
        let slot = unsafe { &mut *self.slot.get() };
        let Slot::Armed(request) = *slot else {
            return false;
        };
        *slot = Slot::Done(serve(&request, attr, mem));
        true
    }
}

/// An armed slot; dropping it disarms.
pub struct Armed<'a> {
    handoff: &'a Handoff,
    // The slot belongs to the thread that armed it.
    _not_send: PhantomData<*mut ()>,
}

impl Armed<'_> {
    /// What the probe did, or `None` if it did not run for this read.
    pub fn finish(self) -> Option<Served> {
        // SAFETY: this guard's thread owns the slot (type invariant of
        // `Handoff`), and its read is over.
        let slot = unsafe { *self.handoff.slot.get() };
        match slot {
            Slot::Done(served) => Some(served),
            Slot::Idle | Slot::Armed(_) => None,
        }
        // `Drop` disarms.
    }
}

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        // SAFETY: as in `finish`: the slot is this thread's until `owner`
        // is released just below.
        unsafe { *self.handoff.slot.get() = Slot::Idle };
        self.handoff.owner.store(0, Ordering::Release);
    }
}
