//! The hand-off between the module's read of a bank and the probe inside
//! KFD's `mem_show`: which reads may write, and what they write.

use rdna1_fg::logic::handoff::{serve, Busy, Handoff, Request, Served, ShowRefusal, ShownMemory};
use rdna1_fg::logic::layout::{MemPropsLayout, KFD_MEM_PROPERTIES};
use rdna1_fg::logic::props::MemBankProps;
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

/// Where the fake struct lives in the fake address space.
const BASE: usize = 0x1000;
const ATTR: usize = BASE + KFD_MEM_PROPERTIES.attr;

const SHOWN: MemBankProps = MemBankProps {
    heap_type: 1,
    size_in_bytes: 8_573_157_376,
    flags: 0,
    width: 256,
    mem_clk_max: 875,
};

/// A `struct kfd_mem_properties` (80 bytes) at `BASE`, nothing else mapped.
struct FakeKfd {
    bytes: RefCell<Vec<u8>>,
    /// Addresses compare-and-exchanged, in order.
    writes: RefCell<Vec<usize>>,
    /// Someone else changes `flags` to this between the check and the store.
    racer: Option<u32>,
}

impl FakeKfd {
    fn new(props: &MemBankProps) -> Self {
        let mut bytes = vec![0u8; 80];
        let l = KFD_MEM_PROPERTIES;
        bytes[l.heap_type..l.heap_type + 4].copy_from_slice(&props.heap_type.to_le_bytes());
        bytes[l.size_in_bytes..l.size_in_bytes + 8]
            .copy_from_slice(&props.size_in_bytes.to_le_bytes());
        bytes[l.flags..l.flags + 4].copy_from_slice(&props.flags.to_le_bytes());
        bytes[l.width..l.width + 4].copy_from_slice(&props.width.to_le_bytes());
        bytes[l.mem_clk_max..l.mem_clk_max + 4].copy_from_slice(&props.mem_clk_max.to_le_bytes());
        Self {
            bytes: RefCell::new(bytes),
            writes: RefCell::new(Vec::new()),
            racer: None,
        }
    }

    fn flags(&self) -> u32 {
        let off = KFD_MEM_PROPERTIES.flags;
        let b = self.bytes.borrow();
        u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
    }

    fn snapshot(&self) -> Vec<u8> {
        self.bytes.borrow().clone()
    }
}

// SAFETY: the fake's memory is its own vector, alive as long as it is; its
// accesses are bounds-checked (a wrong address panics the test).
unsafe impl ShownMemory for FakeKfd {
    fn read(&self, addr: usize, buf: &mut [u8]) -> bool {
        let bytes = self.bytes.borrow();
        let Some(off) = addr.checked_sub(BASE) else {
            return false;
        };
        match bytes.get(off..off + buf.len()) {
            Some(src) => {
                buf.copy_from_slice(src);
                true
            }
            None => false,
        }
    }

    unsafe fn compare_exchange_u32(&self, addr: usize, old: u32, new: u32) -> u32 {
        self.writes.borrow_mut().push(addr);
        let off = addr - BASE;
        let mut bytes = self.bytes.borrow_mut();
        if let Some(value) = self.racer {
            bytes[off..off + 4].copy_from_slice(&value.to_le_bytes());
        }
        let found = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap());
        if found == old {
            bytes[off..off + 4].copy_from_slice(&new.to_le_bytes());
        }
        found
    }
}

fn write(new: Option<u32>) -> Request {
    Request::Write {
        attr: ATTR,
        expect: SHOWN,
        new,
        layout: KFD_MEM_PROPERTIES,
    }
}

#[test]
fn observe_reports_the_attribute_and_touches_nothing() {
    let kfd = FakeKfd::new(&SHOWN);
    let before = kfd.snapshot();
    assert_eq!(
        serve(&Request::Observe, ATTR, &kfd),
        Served::Observed { attr: ATTR }
    );
    assert_eq!(kfd.snapshot(), before);
    assert!(kfd.writes.borrow().is_empty());
}

#[test]
fn a_matching_struct_gets_exactly_its_flags_changed() {
    let kfd = FakeKfd::new(&SHOWN);
    let mut expected = kfd.snapshot();
    assert_eq!(
        serve(&write(Some(1)), ATTR, &kfd),
        Served::Written { old: 0, new: 1 }
    );
    expected[KFD_MEM_PROPERTIES.flags] = 1;
    assert_eq!(kfd.snapshot(), expected, "only flags' low byte changed");
    assert_eq!(*kfd.writes.borrow(), vec![BASE + KFD_MEM_PROPERTIES.flags]);
}

#[test]
fn a_dry_run_checks_and_writes_nothing() {
    let kfd = FakeKfd::new(&SHOWN);
    let before = kfd.snapshot();
    assert_eq!(serve(&write(None), ATTR, &kfd), Served::Checked);
    assert_eq!(kfd.snapshot(), before);
    assert!(kfd.writes.borrow().is_empty());
}

#[test]
fn another_attribute_than_the_one_observed_is_never_written() {
    let kfd = FakeKfd::new(&SHOWN);
    let before = kfd.snapshot();
    assert_eq!(
        serve(&write(Some(1)), ATTR + 96, &kfd),
        Served::Refused(ShowRefusal::OtherAttribute)
    );
    assert_eq!(kfd.snapshot(), before);
}

#[test]
fn a_struct_that_differs_from_the_text_is_never_written() {
    for changed in [
        MemBankProps {
            heap_type: 2,
            ..SHOWN
        },
        MemBankProps {
            size_in_bytes: 1,
            ..SHOWN
        },
        MemBankProps { flags: 2, ..SHOWN },
        MemBankProps { width: 64, ..SHOWN },
        MemBankProps {
            mem_clk_max: 1,
            ..SHOWN
        },
    ] {
        let kfd = FakeKfd::new(&changed);
        let before = kfd.snapshot();
        let served = serve(&write(Some(1)), ATTR, &kfd);
        assert!(
            matches!(served, Served::Refused(ShowRefusal::Layout(_))),
            "{changed:?}: {served:?}"
        );
        assert_eq!(kfd.snapshot(), before);
        assert!(kfd.writes.borrow().is_empty());
    }
}

#[test]
fn a_change_between_check_and_store_is_not_overwritten() {
    let mut kfd = FakeKfd::new(&SHOWN);
    kfd.racer = Some(2);
    assert_eq!(
        serve(&write(Some(1)), ATTR, &kfd),
        Served::Refused(ShowRefusal::Raced { found: 2 })
    );
    assert_eq!(kfd.flags(), 2, "the other writer's value stays");
}

#[test]
fn unreadable_or_impossible_addresses_are_refused() {
    let kfd = FakeKfd::new(&SHOWN);
    let far = Request::Write {
        attr: 0x9000 + KFD_MEM_PROPERTIES.attr,
        expect: SHOWN,
        new: Some(1),
        layout: KFD_MEM_PROPERTIES,
    };
    assert_eq!(
        serve(&far, 0x9000 + KFD_MEM_PROPERTIES.attr, &kfd),
        Served::Refused(ShowRefusal::Fault)
    );
    let low = Request::Write {
        attr: 8,
        expect: SHOWN,
        new: Some(1),
        layout: KFD_MEM_PROPERTIES,
    };
    assert_eq!(
        serve(&low, 8, &kfd),
        Served::Refused(ShowRefusal::BadAddress)
    );
}

#[test]
fn shifted_layouts_never_write_and_never_reach_past_the_attribute() {
    for shift in -64..=64 {
        let Some(layout) = KFD_MEM_PROPERTIES.shifted(shift) else {
            continue;
        };
        let kfd = FakeKfd::new(&SHOWN);
        let before = kfd.snapshot();
        let request = Request::Write {
            attr: ATTR,
            expect: SHOWN,
            new: Some(1),
            layout,
        };
        let served = serve(&request, ATTR, &kfd);
        if shift == 0 {
            assert_eq!(served, Served::Written { old: 0, new: 1 });
            continue;
        }
        assert!(
            matches!(served, Served::Refused(_)),
            "shift {shift}: {served:?}"
        );
        assert_eq!(kfd.snapshot(), before, "shift {shift}");
        assert!(layout.span() <= layout.attr, "shift {shift}");
    }
}

#[test]
fn a_layout_wider_than_the_bytes_before_the_attribute_is_refused() {
    let kfd = FakeKfd::new(&SHOWN);
    let wide = MemPropsLayout {
        attr: 16,
        ..KFD_MEM_PROPERTIES
    };
    let request = Request::Write {
        attr: BASE + 16,
        expect: SHOWN,
        new: Some(1),
        layout: wide,
    };
    assert_eq!(
        serve(&request, BASE + 16, &kfd),
        Served::Refused(ShowRefusal::BadAddress)
    );
    assert!(kfd.writes.borrow().is_empty());
}

const ME: usize = 0x100;
const OTHER: usize = 0x200;

#[test]
fn only_the_arming_thread_in_task_context_is_served_and_only_once() {
    let handoff = Handoff::new();
    let kfd = FakeKfd::new(&SHOWN);
    // SAFETY: in this test, ids stand for distinct threads.
    let armed = unsafe { handoff.arm(ME, write(Some(1))) }.unwrap();
    // SAFETY: as above.
    unsafe {
        assert!(!handoff.on_show(OTHER, true, ATTR, &kfd), "another task");
        assert!(!handoff.on_show(ME, false, ATTR, &kfd), "an interrupt");
        assert!(!handoff.on_show(0, true, ATTR, &kfd), "no task");
    }
    assert_eq!(kfd.flags(), 0, "nothing written by the calls above");
    // SAFETY: as above.
    unsafe {
        assert!(handoff.on_show(ME, true, ATTR, &kfd));
        assert!(!handoff.on_show(ME, true, ATTR, &kfd), "a second show");
    }
    assert_eq!(armed.finish(), Some(Served::Written { old: 0, new: 1 }));
    assert_eq!(*kfd.writes.borrow(), vec![BASE + KFD_MEM_PROPERTIES.flags]);
    // Disarmed: the next show writes nothing.
    let again = FakeKfd::new(&SHOWN);
    // SAFETY: as above.
    assert!(!unsafe { handoff.on_show(ME, true, ATTR, &again) });
    assert_eq!(again.flags(), 0);
}

#[test]
fn a_read_the_probe_did_not_see_reports_none() {
    let handoff = Handoff::new();
    // SAFETY: ids stand for distinct threads.
    let armed = unsafe { handoff.arm(ME, write(Some(1))) }.unwrap();
    assert_eq!(armed.finish(), None);
}

#[test]
fn one_request_at_a_time() {
    let handoff = Handoff::new();
    // SAFETY: ids stand for distinct threads.
    unsafe {
        let armed = handoff.arm(ME, Request::Observe).unwrap();
        assert_eq!(handoff.arm(OTHER, Request::Observe).err(), Some(Busy));
        assert_eq!(handoff.arm(ME, Request::Observe).err(), Some(Busy));
        assert_eq!(handoff.arm(0, Request::Observe).err(), Some(Busy));
        drop(armed);
        assert!(handoff.arm(OTHER, Request::Observe).is_ok());
    }
}

/// A distinct, stable id per thread (as the kernel uses the task's address).
fn thread_id() -> usize {
    thread_local!(static ID: u8 = const { 0 });
    ID.with(|id| std::ptr::from_ref(id) as usize)
}

/// A `ShownMemory` shared between threads that only counts writes.
struct CountingKfd {
    inner: std::sync::Mutex<FakeKfd>,
    writes: AtomicUsize,
}

// SAFETY: delegates to `FakeKfd`, whose memory lives as long as `inner`.
unsafe impl ShownMemory for CountingKfd {
    fn read(&self, addr: usize, buf: &mut [u8]) -> bool {
        self.inner.lock().unwrap().read(addr, buf)
    }
    unsafe fn compare_exchange_u32(&self, addr: usize, old: u32, new: u32) -> u32 {
        self.writes.fetch_add(1, Ordering::SeqCst);
        let inner = self.inner.lock().unwrap();
        // SAFETY: the caller's contract is `FakeKfd`'s.
        unsafe { inner.compare_exchange_u32(addr, old, new) }
    }
}

#[test]
fn other_threads_showing_the_same_bank_never_take_the_request() {
    const READERS: usize = 4;
    const SHOWS: usize = 2000;
    let handoff = Arc::new(Handoff::new());
    let kfd = Arc::new(CountingKfd {
        inner: std::sync::Mutex::new(FakeKfd::new(&SHOWN)),
        writes: AtomicUsize::new(0),
    });
    let start = Arc::new(Barrier::new(READERS + 1));
    let served_elsewhere = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (handoff, kfd, start, served) = (
                handoff.clone(),
                kfd.clone(),
                start.clone(),
                served_elsewhere.clone(),
            );
            std::thread::spawn(move || {
                let me = thread_id();
                start.wait();
                for _ in 0..SHOWS {
                    // SAFETY: `me` is this thread's own id; this thread never arms.
                    if unsafe { handoff.on_show(me, true, ATTR, &*kfd) } {
                        served.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    let me = thread_id();
    start.wait();
    let mut written = 0;
    for _ in 0..200 {
        // SAFETY: `me` is this thread's own id.
        let armed = unsafe { handoff.arm(me, write(None)) }.unwrap();
        // SAFETY: this thread armed the slot and "reads" now.
        assert!(unsafe { handoff.on_show(me, true, ATTR, &*kfd) });
        if armed.finish() == Some(Served::Checked) {
            written += 1;
        }
    }
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(written, 200, "every own read was served");
    assert_eq!(served_elsewhere.load(Ordering::SeqCst), 0);
    assert_eq!(
        kfd.writes.load(Ordering::SeqCst),
        0,
        "dry-run requests only"
    );
}
