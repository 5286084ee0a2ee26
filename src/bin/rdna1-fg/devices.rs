// SPDX-License-Identifier: GPL-2.0

//! Every RDNA1 PCI device id, with its chip and product names.
//!
//! Sources:
//! - Device ids and chips: the `pciidlist` table of the Linux kernel's
//!   `drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c`, its `/* Navi10 */`,
//!   `/* Navi14 */` and `/* Navi12 */` entries (vendor 0x1002).
//! - Product names: libdrm's `data/amdgpu.ids`, which names a product by
//!   device id *and* PCI revision. KFD's topology shows no revision, so all
//!   the names listed for a device id are given; some ids have none there.

/// AMD's PCI vendor id.
pub const AMD_VENDOR_ID: u32 = 0x1002;

/// An RDNA1 chip.
#[derive(Debug)]
pub struct Chip {
    /// As amdgpu names it (`CHIP_NAVI10`), spelled for people.
    pub name: &'static str,
}

/// One PCI device id.
#[derive(Debug)]
pub struct Device {
    /// PCI device id.
    pub device_id: u16,
    /// Its chip.
    pub chip: &'static Chip,
    /// `(PCI revision, product name)` pairs from libdrm's `amdgpu.ids`.
    pub products: &'static [(u8, &'static str)],
}

const NAVI10: Chip = Chip { name: "Navi 10" };
const NAVI12: Chip = Chip { name: "Navi 12" };
const NAVI14: Chip = Chip { name: "Navi 14" };

/// The table, in amdgpu_drv.c's order.
pub const RDNA1_DEVICES: &[Device] = &[
    dev(0x7310, &NAVI10, &[]),
    dev(0x7312, &NAVI10, &[(0x00, "AMD Radeon Pro W5700")]),
    dev(0x7318, &NAVI10, &[]),
    dev(0x7319, &NAVI10, &[]),
    dev(0x731A, &NAVI10, &[]),
    dev(0x731B, &NAVI10, &[]),
    dev(
        0x731E,
        &NAVI10,
        &[
            (0xC6, "AMD Radeon RX 5700XTB"),
            (0xC7, "AMD Radeon RX 5700B"),
        ],
    ),
    dev(
        0x731F,
        &NAVI10,
        &[
            (0xC0, "AMD Radeon RX 5700 XT 50th Anniversary"),
            (0xC1, "AMD Radeon RX 5700 XT"),
            (0xC2, "AMD Radeon RX 5600M"),
            (0xC3, "AMD Radeon RX 5700M"),
            (0xC4, "AMD Radeon RX 5700"),
            (0xC5, "AMD Radeon RX 5700 XT"),
            (0xCA, "AMD Radeon RX 5600 XT"),
            (0xCB, "AMD Radeon RX 5600 OEM"),
        ],
    ),
    dev(
        0x7340,
        &NAVI14,
        &[
            (0xC1, "AMD Radeon RX 5500M"),
            (0xC3, "AMD Radeon RX 5300M"),
            (0xC5, "AMD Radeon RX 5500 XT"),
            (0xC7, "AMD Radeon RX 5500"),
            (0xC9, "AMD Radeon RX 5500XTB"),
            (0xCF, "AMD Radeon RX 5300"),
        ],
    ),
    dev(0x7341, &NAVI14, &[(0x00, "AMD Radeon Pro W5500")]),
    dev(0x7347, &NAVI14, &[(0x00, "AMD Radeon Pro W5500M")]),
    dev(0x734F, &NAVI14, &[]),
    dev(
        0x7360,
        &NAVI12,
        &[
            (0x41, "AMD Radeon Pro 5600M"),
            (0xC3, "AMD Radeon Pro V520"),
        ],
    ),
    dev(
        0x7362,
        &NAVI12,
        &[(0xC1, "AMD Radeon Pro V540"), (0xC3, "AMD Radeon Pro V520")],
    ),
];

const fn dev(
    device_id: u16,
    chip: &'static Chip,
    products: &'static [(u8, &'static str)],
) -> Device {
    Device {
        device_id,
        chip,
        products,
    }
}

/// The RDNA1 device with these PCI ids, if it is one.
pub fn lookup(vendor_id: u32, device_id: u32) -> Option<&'static Device> {
    if vendor_id != AMD_VENDOR_ID {
        return None;
    }
    RDNA1_DEVICES
        .iter()
        .find(|d| u32::from(d.device_id) == device_id)
}

/// The gfx target a `gfx_target_version` stands for (`100100` → `gfx1010`,
/// `90010` → `gfx90a`); `None` for 0 (CPU nodes).
pub fn gfx_target(version: u32) -> Option<String> {
    if version == 0 {
        return None;
    }
    let major = version / 10000;
    let minor = (version / 100) % 100;
    let stepping = version % 100;
    Some(format!("gfx{major}{minor:x}{stepping:x}"))
}
