// SPDX-License-Identifier: GPL-2.0

//! How numbers from the topology are shown to people: sizes, flags, PCI ids.

use rdna1_fg::logic::heap::{HeapMask, HEAP_TYPE_COUNT, HOT_PLUGGABLE};

/// `HSA_MEM_FLAGS_NON_VOLATILE` (include/uapi/linux/kfd_sysfs.h).
pub const NON_VOLATILE: u32 = 0x2;

/// Bank flag bits with a name.
const FLAG_NAMES: [(u32, &str); 2] = [
    (HOT_PLUGGABLE, "HOT_PLUGGABLE"),
    (NON_VOLATILE, "NON_VOLATILE"),
];

/// A size in bytes in binary units: `8573157376` → `7.98 GiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

/// The names of the set flag bits; a bit without a name as hex (`0x4`).
pub fn flag_names(flags: u32) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = flags;
    for (bit, name) in FLAG_NAMES {
        if flags & bit != 0 {
            names.push(name.to_string());
            rest &= !bit;
        }
    }
    for shift in 0..32 {
        let bit = 1u32 << shift;
        if rest & bit != 0 {
            names.push(format!("{bit:#x}"));
        }
    }
    names
}

/// Flags as `0x3 (HOT_PLUGGABLE|NON_VOLATILE)`, or `0x0 (none)`.
pub fn flags_text(flags: u32) -> String {
    let names = flag_names(flags);
    if names.is_empty() {
        format!("{flags:#x} (none)")
    } else {
        format!("{flags:#x} ({})", names.join("|"))
    }
}

/// The heap names of a mask, as a list.
pub fn heap_names(mask: u32) -> Vec<&'static str> {
    (0..HEAP_TYPE_COUNT)
        .filter(|&t| HeapMask(mask).contains(t))
        .map(rdna1_fg::logic::heap::heap_name)
        .collect()
}

/// `1002:731f`, as lspci shows vendor and device.
pub fn pci_id(vendor_id: u32, device_id: u32) -> String {
    format!("{vendor_id:04x}:{device_id:04x}")
}

/// `0000:03:00.0` from KFD's `domain` and `location_id` (bus << 8 | devfn).
pub fn pci_address(domain: u32, location_id: u32) -> String {
    let bus = (location_id >> 8) & 0xff;
    let devfn = location_id & 0xff;
    format!("{domain:04x}:{bus:02x}:{:02x}.{}", devfn >> 3, devfn & 7)
}
