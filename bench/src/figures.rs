//! The figures of the report, computed from the raw samples: every one a
//! distribution (median and spread), a ratio of two sets measured side by
//! side in the same run with its interval, or a size. Units are converted
//! here: the guest's times to milliseconds (microseconds for the time to
//! effect and per read), the host's to seconds, sizes to bytes.

use crate::samples::Samples;
use crate::stats::{
    paired_difference_interval, paired_ratio_interval, paired_ratios, paired_sums, ratio, Interval,
    Summary,
};

const NS_PER_S: f64 = 1e9;
const NS_PER_MS: f64 = 1e6;
const MS_PER_S: f64 = 1e3;
const NS_PER_US: f64 = 1e3;
/// The page size of the module loader's regions.
pub const PAGE: u64 = 4096;

/// A quantity measured with rdna1_fg loaded and without, alternating
/// (with, without, without, with, …); pair i = the i-th value of each.
#[derive(Clone, Copy, Debug)]
pub struct WithWithout {
    pub with: Summary,
    pub without: Summary,
    /// The geometric mean of the pair ratios with / without, and its 95 %
    /// interval (paired t on the log ratios).
    pub ratio: Option<Interval>,
    /// The mean of with − without over the pairs, in the figure's unit, and
    /// its 95 % interval: the module's added cost.
    pub added: Option<Interval>,
    /// The pair ratios themselves (their p10 – p90 is the spread).
    pub spread: Option<Summary>,
}

impl WithWithout {
    /// The samples `with` and `without` (in their unit), `per` of which make
    /// one of the figure's unit. `None` unless they pair up one for one: a
    /// lost sample would pair every later one with the wrong partner.
    fn of(with: &[f64], without: &[f64], per: f64) -> Option<Self> {
        if with.len() != without.len() {
            return None;
        }
        let w: Vec<f64> = with.iter().map(|x| x / per).collect();
        let wo: Vec<f64> = without.iter().map(|x| x / per).collect();
        Some(Self {
            with: Summary::of(&w)?,
            without: Summary::of(&wo)?,
            ratio: paired_ratio_interval(&w, &wo),
            added: paired_difference_interval(&w, &wo),
            spread: Summary::of(&paired_ratios(&w, &wo)),
        })
    }
}

/// One timed step of the install benchmark: its wall time and CPU time in
/// seconds, and the 1-minute load average at its end.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub wall: Summary,
    /// User + system time of the step's whole process tree.
    pub cpu: Option<Summary>,
    pub load: Option<Summary>,
}

impl Step {
    /// `{name}_ns`, `{name}_cpu_ns` and `{name}_load1`.
    fn of(s: &Samples, name: &str) -> Option<Self> {
        Some(Self {
            wall: in_units(s, &format!("{name}_ns"), NS_PER_S)?,
            cpu: in_units(s, &format!("{name}_cpu_ns"), NS_PER_S),
            load: Summary::of(&s.get(&format!("{name}_load1"))),
        })
    }
}

/// Figure 1: installing rdna1_fg with DKMS against rebuilding amdgpu.
#[derive(Clone, Copy, Debug)]
pub struct Install {
    /// `dkms build` + `dkms install` of one round (each time the sum of the
    /// round's two); no load of its own.
    pub dkms: Step,
    pub dkms_build: Step,
    pub dkms_install: Step,
    pub dkms_remove: Option<Step>,
    /// `apt-get install` of the package (DKMS builds and installs in it).
    pub apt_install: Option<Step>,
    /// `make M=drivers/gpu/drm/amd/amdgpu modules` (or the run's other
    /// directory).
    pub amdgpu: Step,
    pub extract: Option<Step>,
    pub prepare: Option<Step>,
    pub amdgpu_ko_bytes: Option<f64>,
    /// Median CPU time of the rebuild / median CPU time of DKMS build +
    /// install: the headline.
    pub cpu_ratio: Option<f64>,
    /// The same in wall time.
    pub wall_ratio: f64,
    /// The host's 1-minute load average before each timed step.
    pub host_load: Option<Summary>,
}

/// How the module loader lays the module out (`ko.*`, computed from the
/// .ko by ci/bench.sh), in bytes.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub text: u64,
    /// The read-only sections, ORC and the patch-site tables included.
    pub rodata: u64,
    pub ro_after_init: u64,
    /// The writable sections (kallsyms' table not included).
    pub data: u64,
    /// The module's core symbol table for kallsyms, in the data region.
    pub kallsyms: u64,
    pub kallsyms_symbols: Option<u64>,
    pub kallsyms_name_bytes: Option<u64>,
    /// Of the kallsyms table: objtool's `__pfx_` symbols (one for the
    /// prefix in front of each function) and their bytes.
    pub kallsyms_pfx_symbols: Option<u64>,
    pub kallsyms_pfx_bytes: Option<u64>,
    /// Parts of rodata.
    pub orc: Option<u64>,
    pub site_tables: Option<u64>,
    pub strings: Option<u64>,
    /// Parts of data.
    pub this_module: Option<u64>,
    pub bss: Option<u64>,
    /// ci/bench.sh's own sum of the page-rounded regions.
    pub model: Option<u64>,
}

/// `bytes` rounded up to whole pages.
pub fn page_rounded(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE) * PAGE
}

impl Layout {
    fn of(s: &Samples) -> Option<Self> {
        let int = |k: &str| s.get(&format!("ko.{k}")).first().map(|v| *v as u64);
        Some(Self {
            text: int("text_bytes")?,
            rodata: int("rodata_bytes")?,
            ro_after_init: int("ro_after_init_bytes")?,
            data: int("data_bytes")?,
            kallsyms: int("kallsyms_bytes")?,
            kallsyms_symbols: int("kallsyms_symbols"),
            kallsyms_name_bytes: int("kallsyms_name_bytes"),
            kallsyms_pfx_symbols: int("kallsyms_pfx_symbols"),
            kallsyms_pfx_bytes: int("kallsyms_pfx_bytes"),
            orc: int("orc_bytes"),
            site_tables: int("site_tables_bytes"),
            strings: int("strings_bytes"),
            this_module: int("this_module_bytes"),
            bss: int("bss_bytes"),
            model: int("model_bytes"),
        })
    }

    /// The four regions' contents in bytes: text, rodata, ro_after_init,
    /// data (its sections and the kallsyms table).
    pub fn regions(&self) -> [u64; 4] {
        [
            self.text,
            self.rodata,
            self.ro_after_init,
            self.data + self.kallsyms,
        ]
    }

    /// The sum of the four regions each rounded up to whole pages: the
    /// model's `/proc/modules` size.
    pub fn model_bytes(&self) -> u64 {
        self.regions().iter().map(|&b| page_rounded(b)).sum()
    }
}

/// Figure 5: what the module occupies.
#[derive(Clone, Debug, Default)]
pub struct Footprint {
    /// `/proc/modules` size.
    pub module_bytes: Option<Summary>,
    pub layout: Option<Layout>,
    pub slab_kb: Option<Summary>,
    pub sunreclaim_kb: Option<Summary>,
    pub slabinfo_bytes: Option<Summary>,
    /// `insmod` alone, `insmod` to the patched bank (polled every 10 ms),
    /// and `rmmod`, in guest milliseconds.
    pub insmod: Option<Summary>,
    pub load_to_effect: Option<Summary>,
    pub rmmod: Option<Summary>,
    /// `size_of::<PatchRecord>()` and `size_of::<Patcher>()` from the
    /// module's debug information.
    pub record_bytes: Option<u64>,
    pub patcher_bytes: Option<u64>,
}

/// The directory the original way rebuilds, unless the run chose another
/// (`BENCH_AMDGPU_DIR`, to try the benchmark quickly).
pub const AMDGPU_DIR: &str = "drivers/gpu/drm/amd/amdgpu";

/// When the guest stopped adding pairs of a figure: at `max` pairs, or once
/// its own estimate of the ratio's interval was within ±`limit` (a
/// fraction: 0.005 is ±0.5 %). From the samples `KEY_pairs_max` and
/// `KEY_pairs_limit` (under icount).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairsRule {
    pub max: Option<f64>,
    pub limit: Option<f64>,
}

impl PairsRule {
    fn of(s: &Samples, key: &str) -> Self {
        let first = |k: &str| s.get(&format!("{key}_{k}")).first().copied();
        Self {
            max: first("pairs_max"),
            limit: first("pairs_limit"),
        }
    }
}

/// The plain-TCG reference copies of the guest's keys.
pub const WALL: &str = "wall.";

#[derive(Clone, Debug)]
pub struct Figures {
    pub install: Option<Install>,
    /// The directory rebuilt for the original way.
    pub rebuilt_dir: String,
    /// Time to effect, in guest microseconds.
    pub effect: Option<Summary>,
    /// `insmod amdgpu.ko`, in guest milliseconds under icount, and in
    /// milliseconds of plain TCG's wall-clock guest time.
    pub amdgpu_load: Option<WithWithout>,
    pub amdgpu_load_wall: Option<WithWithout>,
    /// The stopping rule of the amdgpu load's pairs under icount.
    pub amdgpu_load_rule: PairsRule,
    /// Time per `properties` read, in microseconds (guest under icount;
    /// plain TCG's wall clock for the reference).
    pub readers: Option<WithWithout>,
    pub readers_wall: Option<WithWithout>,
    /// Rounds per sample and files per round (icount, and the reference).
    pub reads: Option<(f64, f64)>,
    pub reads_wall: Option<(f64, f64)>,
    /// The stopping rule of the reads' pairs under icount.
    pub readers_rule: PairsRule,
    pub footprint: Footprint,
    /// Per benchmark boot: the kernel's start to the scenario, plus the
    /// amdgpu chain's load to KFD's node 0, in guest seconds.
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
        let load = |prefix: &str| {
            WithWithout::of(
                &s.get(&format!("{prefix}amdgpu_load_with_ns")),
                &s.get(&format!("{prefix}amdgpu_load_without_ns")),
                NS_PER_MS,
            )
        };
        let (reads, reads_wall) = (read_count(s, ""), read_count(s, WALL));
        Self {
            install: install(s),
            rebuilt_dir: s
                .meta("count.BENCH_AMDGPU_DIR")
                .unwrap_or(AMDGPU_DIR)
                .to_string(),
            effect: in_units(s, "effect_ns", NS_PER_US),
            amdgpu_load: load(""),
            amdgpu_load_wall: load(WALL),
            amdgpu_load_rule: PairsRule::of(s, "amdgpu_load"),
            readers: readers(s, "", reads),
            readers_wall: readers(s, WALL, reads_wall),
            reads,
            reads_wall,
            readers_rule: PairsRule::of(s, "read"),
            footprint: footprint(s),
            boot_floor: Summary::of(&boot).map(|b| b.in_units_of(MS_PER_S)),
            boot_to_init: in_units(s, "boot_to_init_ms", MS_PER_S),
            chain_load: in_units(s, "amdgpu_chain_load_ms", MS_PER_S),
            guest_cpus: s.get("guest_cpus").first().copied(),
            guest_mem_kb: s.get("guest_mem_kb").first().copied(),
        }
    }
}

/// The summary of `key`, `per` of its unit making one of the figure's.
fn in_units(s: &Samples, key: &str, per: f64) -> Option<Summary> {
    Summary::of(&s.get(key)).map(|x| x.in_units_of(per))
}

/// `read_rounds` and `reader_files` (with `prefix`), when both are there
/// and not zero.
fn read_count(s: &Samples, prefix: &str) -> Option<(f64, f64)> {
    let one = |k: &str| {
        s.get(&format!("{prefix}{k}"))
            .first()
            .copied()
            .filter(|v| *v > 0.0)
    };
    Some((one("read_rounds")?, one("reader_files")?))
}

/// The readers' samples (guest ns per sample of `rounds` rounds of `files`
/// reads) as microseconds per read.
fn readers(s: &Samples, prefix: &str, count: Option<(f64, f64)>) -> Option<WithWithout> {
    let (rounds, files) = count?;
    WithWithout::of(
        &s.get(&format!("{prefix}read_with_ns")),
        &s.get(&format!("{prefix}read_without_ns")),
        rounds * files * NS_PER_US,
    )
}

fn install(s: &Samples) -> Option<Install> {
    let sums = |a: &str, b: &str| {
        Summary::of(&paired_sums(&s.get(a), &s.get(b))).map(|x| x.in_units_of(NS_PER_S))
    };
    let dkms = Step {
        wall: sums("dkms_build_ns", "dkms_install_ns")?,
        cpu: sums("dkms_build_cpu_ns", "dkms_install_cpu_ns"),
        load: None,
    };
    let amdgpu = Step::of(s, "amdgpu_build")?;
    Some(Install {
        dkms,
        dkms_build: Step::of(s, "dkms_build")?,
        dkms_install: Step::of(s, "dkms_install")?,
        dkms_remove: Step::of(s, "dkms_remove"),
        apt_install: Step::of(s, "apt_install"),
        amdgpu,
        extract: Step::of(s, "amdgpu_extract"),
        prepare: Step::of(s, "amdgpu_prepare"),
        amdgpu_ko_bytes: s.get("amdgpu_ko_bytes").first().copied(),
        cpu_ratio: match (amdgpu.cpu, dkms.cpu) {
            (Some(a), Some(d)) => ratio(a.median, d.median),
            _ => None,
        },
        wall_ratio: ratio(amdgpu.wall.median, dkms.wall.median)?,
        host_load: Summary::of(&s.get("host_load1")),
    })
}

fn footprint(s: &Samples) -> Footprint {
    let int = |k: &str| s.get(k).first().map(|v| *v as u64);
    Footprint {
        module_bytes: Summary::of(&s.get("module_size_bytes")),
        layout: Layout::of(s),
        slab_kb: Summary::of(&s.get("slab_delta_kb")),
        sunreclaim_kb: Summary::of(&s.get("sunreclaim_delta_kb")),
        slabinfo_bytes: Summary::of(&s.get("slabinfo_delta_bytes")),
        insmod: in_units(s, "module_insmod_ns", NS_PER_MS),
        load_to_effect: in_units(s, "module_load_to_effect_ns", NS_PER_MS),
        rmmod: in_units(s, "module_rmmod_ns", NS_PER_MS),
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
    fn with_and_without_must_pair_up() {
        let w = [10.0, 11.0, 12.0];
        assert!(WithWithout::of(&w, &[10.0, 10.0, 10.0], 1.0).is_some());
        // One `without` lost: pairing the rest would be wrong.
        assert!(WithWithout::of(&w, &[10.0, 10.0], 1.0).is_none());
    }

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
        // ABBA: with, without, without, with; pairs 10/8 and 11/10.
        let s = samples(
            "v\tamdgpu_load_with_ns\t10000000000\nv\tamdgpu_load_without_ns\t8000000000\n\
             v\tamdgpu_load_without_ns\t10000000000\nv\tamdgpu_load_with_ns\t11000000000\n",
        );
        let f = Figures::compute(&s);
        let a = f.amdgpu_load.unwrap();
        // In guest milliseconds.
        assert_eq!(a.with.median, 10500.0);
        assert_eq!(a.without.median, 9000.0);
        let p = a.spread.unwrap();
        assert_eq!((p.n, p.min, p.max), (2, 1.1, 1.25));
        // The geometric mean of the pair ratios, √(1.25 · 1.1).
        let r = a.ratio.unwrap();
        assert_eq!(r.n, 2);
        assert!((r.estimate - (1.25f64 * 1.1).sqrt()).abs() < 1e-12);
        // Added: 2000 ms and 1000 ms, mean 1500 ms.
        assert!((a.added.unwrap().estimate - 1500.0).abs() < 1e-9);
        assert!(f.readers.is_none() && f.amdgpu_load_wall.is_none());
    }

    #[test]
    fn the_wall_reference_is_apart() {
        let s = samples(
            "v\twall.amdgpu_load_with_ns\t30000000000\nv\twall.amdgpu_load_without_ns\t20000000000\n\
             v\twall.amdgpu_load_without_ns\t20000000000\nv\twall.amdgpu_load_with_ns\t20000000000\n\
             v\tamdgpu_load_with_ns\t8000000000\nv\tamdgpu_load_without_ns\t8000000000\n",
        );
        let f = Figures::compute(&s);
        let w = f.amdgpu_load_wall.unwrap();
        assert_eq!((w.with.n, w.with.median), (2, 25000.0));
        assert!((w.ratio.unwrap().estimate - 1.5f64.sqrt()).abs() < 1e-12);
        // One pair under icount: medians, but no interval.
        let a = f.amdgpu_load.unwrap();
        assert_eq!(a.with.median, 8000.0);
        assert!(a.ratio.is_none() && a.added.is_none());
    }

    #[test]
    fn a_difference_inside_the_interval_is_not_resolved() {
        let pairs = |with: &[f64], without: &[f64]| {
            let mut t = String::new();
            for (w, wo) in with.iter().zip(without) {
                t += &format!("v\tamdgpu_load_with_ns\t{w}\nv\tamdgpu_load_without_ns\t{wo}\n");
            }
            Figures::compute(&samples(&t)).amdgpu_load.unwrap()
        };
        // Ratios 0.8 to 1.3: the interval includes 1.
        let a = pairs(&[80.0, 90.0, 110.0, 120.0, 130.0], &[100.0; 5]);
        assert!(!a.ratio.unwrap().excludes(1.0));
        // Ratios 1.2 to 1.6: all above 1.
        let b = pairs(&[120.0, 130.0, 140.0, 150.0, 160.0], &[100.0; 5]);
        assert!(b.ratio.unwrap().excludes(1.0));
    }

    #[test]
    fn reads_in_microseconds_per_read() {
        // 3000 rounds of 2 files: 1.2e9 ns per sample is 200 µs per read.
        let s = samples(
            "r\tread_rounds\t3000\nr\treader_files\t2\n\
             r\tread_with_ns\t1206000000\nr\tread_without_ns\t1200000000\n\
             r\tread_without_ns\t1200000000\nr\tread_with_ns\t1206000000\n\
             r\twall.read_with_ns\t1\nr\twall.read_without_ns\t1\n",
        );
        let f = Figures::compute(&s);
        let r = f.readers.unwrap();
        assert!((r.without.median - 200.0).abs() < 1e-9);
        assert!((r.with.median - 201.0).abs() < 1e-9);
        assert!((r.added.unwrap().estimate - 1.0).abs() < 1e-9);
        assert!((r.ratio.unwrap().estimate - 1.005).abs() < 1e-12);
        assert_eq!(f.reads, Some((3000.0, 2.0)));
        // No wall.read_rounds: no per-read figure for the reference.
        assert!(f.readers_wall.is_none() && f.reads_wall.is_none());
    }

    #[test]
    fn install_ratio_in_cpu_and_wall_time() {
        let s = samples(
            "c\tdkms_build_ns\t20000000000\nc\tdkms_install_ns\t1000000000\n\
             c\tdkms_build_ns\t22000000000\nc\tdkms_install_ns\t1000000000\n\
             c\tdkms_build_ns\t26000000000\nc\tdkms_install_ns\t2000000000\n\
             c\tdkms_build_cpu_ns\t15000000000\nc\tdkms_install_cpu_ns\t500000000\n\
             c\tdkms_build_cpu_ns\t16000000000\nc\tdkms_install_cpu_ns\t1000000000\n\
             c\tdkms_build_cpu_ns\t18000000000\nc\tdkms_install_cpu_ns\t500000000\n\
             c\tdkms_build_load1\t1.5\nc\tdkms_build_load1\t2.5\nc\tdkms_build_load1\t2.0\n\
             c\tamdgpu_build_ns\t460000000000\nc\tamdgpu_build_cpu_ns\t850000000000\n\
             c\thost_load1\t0.5\n\
             a\tboot_to_init_ms\t5000\na\tamdgpu_chain_load_ms\t12000\n\
             b\tboot_to_init_ms\t7000\nb\tamdgpu_chain_load_ms\t14000\n",
        );
        let f = Figures::compute(&s);
        let i = f.install.unwrap();
        // Wall rounds: 21 s, 23 s, 28 s: median 23 s.
        assert_eq!(i.dkms.wall.median, 23.0);
        assert_eq!(i.dkms.wall.n, 3);
        assert_eq!(i.amdgpu.wall.median, 460.0);
        assert_eq!(i.wall_ratio, 20.0);
        // CPU rounds: 15.5 s, 17 s, 18.5 s: median 17 s; 850 / 17 = 50.
        assert_eq!(i.dkms.cpu.unwrap().median, 17.0);
        assert_eq!(i.cpu_ratio, Some(50.0));
        assert_eq!(i.dkms_build.load.unwrap().median, 2.0);
        assert!(i.dkms_install.load.is_none() && i.dkms.load.is_none());
        assert_eq!(i.host_load.unwrap().n, 1);
        // Boots: 17 s and 21 s of guest time, median 19 s.
        assert_eq!(f.boot_floor.unwrap().median, 19.0);
    }

    #[test]
    fn install_without_cpu_times_has_no_cpu_ratio() {
        let s = samples(
            "c\tdkms_build_ns\t2000000000\nc\tdkms_install_ns\t1000000000\n\
             c\tamdgpu_build_ns\t30000000000\nc\tamdgpu_build_cpu_ns\t30000000000\n",
        );
        let i = Figures::compute(&s).install.unwrap();
        assert_eq!(i.wall_ratio, 10.0);
        assert_eq!(i.cpu_ratio, None);
    }

    #[test]
    fn the_layout_model() {
        let s = samples(
            "host\tko.text_bytes\t47000\nhost\tko.rodata_bytes\t21600\n\
             host\tko.ro_after_init_bytes\t0\nhost\tko.data_bytes\t3700\n\
             host\tko.kallsyms_bytes\t36000\nhost\tko.kallsyms_symbols\t470\n\
             v\tmodule_size_bytes\t114688\n\
             v\tmodule_insmod_ns\t150000000\nv\tmodule_rmmod_ns\t90000000\n",
        );
        let fp = Figures::compute(&s).footprint;
        let l = fp.layout.unwrap();
        // 12 + 6 + 0 + 10 pages.
        assert_eq!(l.regions(), [47000, 21600, 0, 39700]);
        assert_eq!(l.model_bytes(), (12 + 6 + 10) * 4096);
        assert_eq!(l.kallsyms_symbols, Some(470));
        assert_eq!(l.orc, None);
        assert_eq!(fp.module_bytes.unwrap().median, 114688.0);
        assert_eq!(fp.insmod.unwrap().median, 150.0);
        assert_eq!(fp.rmmod.unwrap().median, 90.0);
        assert!(fp.load_to_effect.is_none());
        assert_eq!(page_rounded(0), 0);
        assert_eq!(page_rounded(1), 4096);
        assert_eq!(page_rounded(4096), 4096);
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
        assert!(f.footprint.module_bytes.is_none() && f.footprint.layout.is_none());
        assert!(f.amdgpu_load.is_none() && f.readers.is_none() && f.reads.is_none());
    }
}
