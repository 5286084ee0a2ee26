//! The figures of the report, computed from the raw samples: every one a
//! distribution (median and spread) or a ratio of two sets measured side by
//! side in the same run. Units are converted here: times to seconds (or
//! microseconds for the time to effect), sizes to bytes.

use crate::samples::Samples;
use crate::stats::{paired_ratios, paired_sums, ratio, ratio_of_medians, Summary};

const NS_PER_S: f64 = 1e9;
const MS_PER_S: f64 = 1e3;
const NS_PER_US: f64 = 1e3;

/// A quantity measured with rdna1_fg loaded and without, alternating.
#[derive(Clone, Copy, Debug)]
pub struct WithWithout {
    pub with: Summary,
    pub without: Summary,
    /// Median with / median without.
    pub ratio: f64,
    /// The ratios of the pairs measured next to each other.
    pub paired: Option<Summary>,
}

impl WithWithout {
    /// Whether this run tells the two apart: the p10–p90 range of the
    /// paired ratios excludes 1. `None` without pairs.
    pub fn resolved(&self) -> Option<bool> {
        self.paired.map(|p| !(p.p10 <= 1.0 && 1.0 <= p.p90))
    }

    fn from(s: &Samples, with: &str, without: &str, per: f64) -> Option<Self> {
        let (w, wo) = (s.get(with), s.get(without));
        Some(Self {
            with: Summary::of(&w)?.in_units_of(per),
            without: Summary::of(&wo)?.in_units_of(per),
            ratio: ratio_of_medians(&w, &wo)?,
            paired: Summary::of(&paired_ratios(&w, &wo)),
        })
    }
}

/// Figure 1: installing rdna1_fg with DKMS against rebuilding amdgpu.
#[derive(Clone, Copy, Debug)]
pub struct Install {
    /// `dkms build` + `dkms install` of one round, in seconds.
    pub dkms: Summary,
    pub dkms_build: Summary,
    pub dkms_install: Summary,
    pub dkms_remove: Option<Summary>,
    /// `apt-get install` of the package (DKMS builds and installs in it).
    pub apt_install: Option<Summary>,
    /// `make M=drivers/gpu/drm/amd/amdgpu modules` (or the run's other
    /// directory), in seconds.
    pub amdgpu: Summary,
    pub extract: Option<Summary>,
    pub prepare: Option<Summary>,
    pub amdgpu_ko_bytes: Option<f64>,
    /// Median amdgpu rebuild / median DKMS build + install.
    pub ratio: f64,
    /// The same with the reboot floor added to the rebuild.
    pub ratio_with_reboot: Option<f64>,
    /// The host's 1-minute load average before each timed step.
    pub host_load: Option<Summary>,
}

/// Figure 5: what the module occupies.
#[derive(Clone, Debug, Default)]
pub struct Footprint {
    /// `/proc/modules` size.
    pub module_bytes: Option<Summary>,
    pub slab_kb: Option<Summary>,
    pub sunreclaim_kb: Option<Summary>,
    pub slabinfo_bytes: Option<Summary>,
    /// insmod to the patched bank, and rmmod, in seconds.
    pub load_to_effect: Option<Summary>,
    pub unload: Option<Summary>,
    /// `size_of::<PatchRecord>()` and `size_of::<Patcher>()` from the
    /// module's debug information.
    pub record_bytes: Option<u64>,
    pub patcher_bytes: Option<u64>,
}

/// The directory the original way rebuilds, unless the run chose another
/// (`BENCH_AMDGPU_DIR`, to try the benchmark quickly).
pub const AMDGPU_DIR: &str = "drivers/gpu/drm/amd/amdgpu";

#[derive(Clone, Debug)]
pub struct Figures {
    pub install: Option<Install>,
    /// The directory rebuilt for the original way.
    pub rebuilt_dir: String,
    /// Time to effect, in microseconds.
    pub effect: Option<Summary>,
    pub amdgpu_load: Option<WithWithout>,
    pub readers: Option<WithWithout>,
    /// The files read per round.
    pub reader_files: Option<f64>,
    pub footprint: Footprint,
    /// Per benchmark boot: the kernel's start to the scenario, plus the
    /// amdgpu chain's load to KFD's node 0, in seconds.
    pub boot_floor: Option<Summary>,
    pub boot_to_init: Option<Summary>,
    pub chain_load: Option<Summary>,
    pub guest_cpus: Option<f64>,
    pub guest_mem_kb: Option<f64>,
}

impl Figures {
    pub fn compute(s: &Samples) -> Self {
        let boot: Vec<f64> = s
            .sources("boot_to_init_ms")
            .iter()
            .flat_map(|src| {
                paired_sums(
                    &s.of_source("boot_to_init_ms", src),
                    &s.of_source("amdgpu_chain_load_ms", src),
                )
            })
            .collect();
        let boot_floor = Summary::of(&boot).map(|b| b.in_units_of(MS_PER_S));
        Self {
            install: install(s, boot_floor),
            rebuilt_dir: s
                .meta("count.BENCH_AMDGPU_DIR")
                .unwrap_or(AMDGPU_DIR)
                .to_string(),
            effect: Summary::of(&s.get("effect_ns")).map(|x| x.in_units_of(NS_PER_US)),
            amdgpu_load: WithWithout::from(
                s,
                "amdgpu_load_with_ms",
                "amdgpu_load_without_ms",
                MS_PER_S,
            ),
            readers: WithWithout::from(s, "reads_per_s_with", "reads_per_s_without", 1.0),
            reader_files: s.get("reader_files").first().copied(),
            footprint: footprint(s),
            boot_floor,
            boot_to_init: seconds(s, "boot_to_init_ms", MS_PER_S),
            chain_load: seconds(s, "amdgpu_chain_load_ms", MS_PER_S),
            guest_cpus: s.get("guest_cpus").first().copied(),
            guest_mem_kb: s.get("guest_mem_kb").first().copied(),
        }
    }
}

fn seconds(s: &Samples, key: &str, per_s: f64) -> Option<Summary> {
    Summary::of(&s.get(key)).map(|x| x.in_units_of(per_s))
}

fn install(s: &Samples, boot_floor: Option<Summary>) -> Option<Install> {
    let dkms_ns = paired_sums(&s.get("dkms_build_ns"), &s.get("dkms_install_ns"));
    let dkms = Summary::of(&dkms_ns)?.in_units_of(NS_PER_S);
    let amdgpu = seconds(s, "amdgpu_build_ns", NS_PER_S)?;
    Some(Install {
        dkms,
        dkms_build: seconds(s, "dkms_build_ns", NS_PER_S)?,
        dkms_install: seconds(s, "dkms_install_ns", NS_PER_S)?,
        dkms_remove: seconds(s, "dkms_remove_ns", NS_PER_S),
        apt_install: seconds(s, "apt_install_ns", NS_PER_S),
        amdgpu,
        extract: seconds(s, "amdgpu_extract_ns", NS_PER_S),
        prepare: seconds(s, "amdgpu_prepare_ns", NS_PER_S),
        amdgpu_ko_bytes: s.get("amdgpu_ko_bytes").first().copied(),
        ratio: ratio(amdgpu.median, dkms.median)?,
        ratio_with_reboot: boot_floor.and_then(|b| ratio(amdgpu.median + b.median, dkms.median)),
        host_load: Summary::of(&s.get("host_load1")),
    })
}

fn footprint(s: &Samples) -> Footprint {
    let int = |k: &str| s.get(k).first().map(|v| *v as u64);
    Footprint {
        module_bytes: Summary::of(&s.get("module_size_bytes")),
        slab_kb: Summary::of(&s.get("slab_delta_kb")),
        sunreclaim_kb: Summary::of(&s.get("sunreclaim_delta_kb")),
        slabinfo_bytes: Summary::of(&s.get("slabinfo_delta_bytes")),
        load_to_effect: seconds(s, "module_load_to_effect_ms", MS_PER_S),
        unload: seconds(s, "module_unload_ms", MS_PER_S),
        record_bytes: int("struct_bytes.PatchRecord"),
        patcher_bytes: int("struct_bytes.Patcher"),
    }
}

/// What `kmalloc(size)` takes on this kernel (SLUB, 4 KiB pages): the
/// smallest of its caches that fits (8 to 8192 bytes: powers of two, plus 96
/// and 192), or above `KMALLOC_MAX_CACHE_SIZE` (two pages,
/// `include/linux/slab.h`) whole pages from the page allocator, a power of
/// two of them.
pub fn kmalloc_bytes(size: u64) -> u64 {
    const CACHES: [u64; 13] = [
        8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
    ];
    if size == 0 {
        return 0;
    }
    if let Some(c) = CACHES.iter().find(|&&c| c >= size) {
        return *c;
    }
    size.div_ceil(4096).next_power_of_two() * 4096
}

/// The bytes of the module's records for `banks` patched banks: a `KVec`
/// grown by `reserve(1)` before each push (`patcher.rs`), which doubles the
/// capacity (`rust/kernel/alloc/kvec.rs`: `max(cap * 2, len + additional)`,
/// from 0 to 1, 2, 4, ...), in one kmalloc.
pub fn records_bytes(banks: u64, record: u64) -> u64 {
    if banks == 0 {
        return 0;
    }
    kmalloc_bytes(banks.next_power_of_two() * record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kmalloc_rounding() {
        assert_eq!(kmalloc_bytes(0), 0);
        assert_eq!(kmalloc_bytes(1), 8);
        assert_eq!(kmalloc_bytes(96), 96);
        assert_eq!(kmalloc_bytes(97), 128);
        assert_eq!(kmalloc_bytes(192), 192);
        assert_eq!(kmalloc_bytes(384), 512);
        assert_eq!(kmalloc_bytes(8192), 8192);
        assert_eq!(kmalloc_bytes(8193), 16384);
        assert_eq!(kmalloc_bytes(12288), 16384);
        assert_eq!(kmalloc_bytes(16385), 32768);
    }

    #[test]
    fn records_of_many_banks() {
        // A 96-byte record: 1 bank 96, 2 → 192, 3 → 4 slots → 384 → 512,
        // 100 → 128 slots → 12288 → 4 pages.
        assert_eq!(records_bytes(0, 96), 0);
        assert_eq!(records_bytes(1, 96), 96);
        assert_eq!(records_bytes(2, 96), 192);
        assert_eq!(records_bytes(3, 96), 512);
        assert_eq!(records_bytes(8, 96), 1024);
        assert_eq!(records_bytes(100, 96), 16384);
    }

    fn samples(text: &str) -> Samples {
        Samples::parse(text).unwrap()
    }

    #[test]
    fn with_and_without() {
        let s = samples(
            "v\tamdgpu_load_with_ms\t10000\nv\tamdgpu_load_without_ms\t8000\n\
             v\tamdgpu_load_without_ms\t10000\nv\tamdgpu_load_with_ms\t11000\n",
        );
        let f = Figures::compute(&s);
        let a = f.amdgpu_load.unwrap();
        assert_eq!(a.with.median, 10.5);
        assert_eq!(a.without.median, 9.0);
        assert!((a.ratio - 10.5 / 9.0).abs() < 1e-12);
        // Pairs: 10000/8000 and 11000/10000.
        let p = a.paired.unwrap();
        assert_eq!((p.min, p.max), (1.1, 1.25));
        assert!(f.readers.is_none());
    }

    #[test]
    fn a_difference_inside_the_spread_of_the_pairs_is_not_resolved() {
        let pairs = |with: &[f64], without: &[f64]| {
            let mut t = String::new();
            for (w, wo) in with.iter().zip(without) {
                t += &format!("v\tamdgpu_load_with_ms\t{w}\nv\tamdgpu_load_without_ms\t{wo}\n");
            }
            Figures::compute(&samples(&t)).amdgpu_load.unwrap()
        };
        // Ratios 0.8, 0.9, 1.1, 1.2, 1.3: 1 lies inside p10–p90.
        let a = pairs(&[80.0, 90.0, 110.0, 120.0, 130.0], &[100.0; 5]);
        assert_eq!(a.resolved(), Some(false));
        // Ratios 1.2 to 1.6: all above 1.
        let b = pairs(&[120.0, 130.0, 140.0, 150.0, 160.0], &[100.0; 5]);
        assert_eq!(b.resolved(), Some(true));
    }

    #[test]
    fn install_ratio_and_reboot_floor() {
        let s = samples(
            "c\tdkms_build_ns\t20000000000\nc\tdkms_install_ns\t1000000000\n\
             c\tdkms_build_ns\t22000000000\nc\tdkms_install_ns\t1000000000\n\
             c\tdkms_build_ns\t26000000000\nc\tdkms_install_ns\t2000000000\n\
             c\tamdgpu_build_ns\t460000000000\n\
             a\tboot_to_init_ms\t5000\na\tamdgpu_chain_load_ms\t12000\n\
             b\tboot_to_init_ms\t7000\nb\tamdgpu_chain_load_ms\t14000\n",
        );
        let f = Figures::compute(&s);
        let i = f.install.unwrap();
        // Rounds: 21 s, 23 s, 28 s: median 23 s.
        assert_eq!(i.dkms.median, 23.0);
        assert_eq!(i.dkms.n, 3);
        assert_eq!(i.amdgpu.median, 460.0);
        assert_eq!(i.ratio, 20.0);
        // Boots: 17 s and 21 s, median 19 s: (460 + 19) / 23.
        assert_eq!(f.boot_floor.unwrap().median, 19.0);
        assert!((i.ratio_with_reboot.unwrap() - 479.0 / 23.0).abs() < 1e-12);
    }

    #[test]
    fn effect_in_microseconds() {
        let s = samples("v\teffect_ns\t150000\nv\teffect_ns\t250000\nv\teffect_ns\t200000\n");
        let e = Figures::compute(&s).effect.unwrap();
        assert!((e.median - 200.0).abs() < 1e-9);
        assert!((e.max - 250.0).abs() < 1e-9);
    }

    #[test]
    fn nothing_measured() {
        let f = Figures::compute(&samples(""));
        assert!(f.install.is_none() && f.effect.is_none() && f.boot_floor.is_none());
        assert!(f.footprint.module_bytes.is_none());
    }
}
