//! BENCHMARKS.md: the headline ratios first, then the machine, then each
//! figure's method and table.

use crate::figures::{records_bytes, Figures, Install, WithWithout, AMDGPU_DIR};
use crate::samples::{CiTime, Samples};

/// `TEXT_BUF_LEN` of `src/patcher.rs`: the size of each of the module's two
/// text buffers.
const TEXT_BUF_LEN: u64 = 2 * 4096;
use crate::stats::Summary;
use std::fmt::Write;

/// A number with `d` decimals.
fn n(x: f64, d: usize) -> String {
    format!("{x:.d$}")
}

/// A ratio: two decimals, three below 0.1.
fn r(x: f64) -> String {
    if x.abs() >= 10.0 {
        format!("{x:.0}×")
    } else if x.abs() < 0.1 {
        format!("{x:.3}×")
    } else {
        format!("{x:.2}×")
    }
}

/// A time in seconds with a sensible number of decimals.
fn secs(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0} s")
    } else if x >= 10.0 {
        format!("{x:.1} s")
    } else {
        format!("{x:.2} s")
    }
}

fn kib(bytes: f64) -> String {
    format!("{} KiB", n(bytes / 1024.0, 1))
}

/// A table row: the count, the median and the spread.
fn row(label: &str, s: &Summary, f: &dyn Fn(f64) -> String) -> String {
    format!(
        "| {label} | {} | {} | {} – {} | {} – {} |\n",
        s.n,
        f(s.median),
        f(s.p10),
        f(s.p90),
        f(s.min),
        f(s.max)
    )
}

const TABLE_HEAD: &str = "| | n | median | p10 – p90 | min – max |\n|---|---|---|---|---|\n";

fn paired(w: &WithWithout) -> String {
    match w.paired {
        Some(p) => format!(
            "; the {} pairs measured next to each other: median {}, p10 – p90 {} – {}, min – max \
             {} – {}{}",
            p.n,
            r(p.median),
            r(p.p10),
            r(p.p90),
            r(p.min),
            r(p.max),
            verdict(w)
        ),
        None => String::new(),
    }
}

/// What the spread of the pairs allows one to say.
fn verdict(w: &WithWithout) -> &'static str {
    match w.resolved() {
        Some(false) => {
            ". The pairs' p10 – p90 range includes 1: no difference this run can resolve on this \
             machine"
        }
        Some(true) => ". The pairs' p10 – p90 range excludes 1: a difference this run resolves",
        None => "",
    }
}

/// The headline's short form of `verdict`.
fn short_verdict(w: &WithWithout) -> String {
    match (w.resolved(), w.paired) {
        (Some(false), Some(p)) => format!(
            "; within the noise: the pairs' ratios spread {} – {} (p10 – p90)",
            r(p.p10),
            r(p.p90)
        ),
        (Some(true), Some(p)) => format!(
            "; the pairs' ratios spread {} – {} (p10 – p90), excluding 1",
            r(p.p10),
            r(p.p90)
        ),
        _ => String::new(),
    }
}

const NOT_MEASURED: &str = "not measured in this run";

pub fn markdown(s: &Samples, f: &Figures, ci: &[CiTime], svg_name: &str) -> String {
    let mut o = String::new();
    let meta = |k: &str| s.meta(k).unwrap_or("?").to_string();
    let _ = writeln!(o, "# Benchmarks\n");
    let _ = writeln!(
        o,
        "Written by `make bench` (`ci/bench.sh`, then the report generator in `bench/`) from the raw \
         samples of one run on {}, commit `{}`, kernel `{}`; nothing here is edited by hand. The \
         machine is shared (see its load below) and the VMs are emulated (TCG, no KVM): absolute \
         times are noisy, and the ratios — measured side by side in the same run, with and without \
         the module alternating — are the figures to quote. Each figure gives its count (n) and \
         spread.\n",
        meta("date"),
        meta("commit"),
        meta("kernel")
    );
    if let Some(failed) = s.meta("failed") {
        let _ = writeln!(
            o,
            "**Failed in this run, so left out:** {failed} (their figures read \"not measured\").\n"
        );
    }
    if let Some(note) = s.meta("note") {
        let _ = writeln!(o, "Note on this run: {note}\n");
    }
    let counts = s.counts();
    if !counts.is_empty() {
        let list: Vec<String> = counts.iter().map(|(k, v)| format!("`{k}={v}`")).collect();
        let _ = writeln!(
            o,
            "**Counts set explicitly for this run** (the others at their defaults): {}.\n",
            list.join(", ")
        );
    }

    headline(&mut o, f, ci);
    let _ = writeln!(o, "![Time to effect, and the ratios]({svg_name})\n");
    machine(&mut o, s, f);
    let _ = writeln!(o, "## Method and results\n");
    install_section(&mut o, f);
    effect_section(&mut o, f);
    amdgpu_section(&mut o, f);
    readers_section(&mut o, f);
    footprint_section(&mut o, f);
    ci_section(&mut o, ci);
    let _ = writeln!(
        o,
        "## Re-running\n\n`make bench` (as root; the build root and kernel of the primary target must \
         exist: `make buildroot`). Counts: `BENCH_RELOADS`, `BENCH_LOADS`, `BENCH_READ_ROUNDS`, \
         `BENCH_READ_SECONDS`, `BENCH_FOOTPRINT_CYCLES`, `BENCH_DKMS_RUNS`, `BENCH_AMDGPU_RUNS` \
         (see `ci/bench.sh`). Raw samples: `ci/out/bench/samples.tsv`."
    );
    o
}

fn headline(o: &mut String, f: &Figures, ci: &[CiTime]) {
    let _ = writeln!(o, "## Headline\n\n| figure | result |\n|---|---|");
    let install = match &f.install {
        Some(i) => {
            let mut t = format!(
                "rebuilding {} takes **{}** as long as building and installing rdna1_fg with DKMS \
                 ({} against {}, medians of {} and {} runs)",
                rebuilt(f),
                r(i.ratio),
                secs(i.amdgpu.median),
                secs(i.dkms.median),
                i.amdgpu.n,
                i.dkms.n
            );
            if let (Some(rr), Some(b)) = (i.ratio_with_reboot, f.boot_floor) {
                let _ = write!(
                    t,
                    "; **{}** with the reboot it also needs (counted as {}, a floor)",
                    r(rr),
                    secs(b.median)
                );
            }
            t
        }
        None => NOT_MEASURED.to_string(),
    };
    let _ = writeln!(o, "| 1. Install cost vs. the original way | {install} |");
    let effect = match (&f.effect, &f.boot_floor) {
        (Some(e), b) => {
            let mut t = format!(
                "bank patched **{} µs** (median) after amdgpu went live; p90 {} µs, max {} µs \
                 (n={})",
                n(e.median, 0),
                n(e.p90, 0),
                n(e.max, 0),
                e.n
            );
            if let Some(b) = b {
                let _ = write!(
                    t,
                    "; the original way: after a rebuild and a reboot (the reboot alone ≥ {})",
                    secs(b.median)
                );
            }
            t
        }
        _ => NOT_MEASURED.to_string(),
    };
    let _ = writeln!(o, "| 2. Time to effect | {effect} |");
    let amdgpu = match &f.amdgpu_load {
        Some(a) => format!(
            "amdgpu load time with rdna1_fg loaded / without: **{}** (medians {} / {}, n={} \
             each){}",
            r(a.ratio),
            secs(a.with.median),
            secs(a.without.median),
            a.with.n.min(a.without.n),
            short_verdict(a)
        ),
        None => NOT_MEASURED.to_string(),
    };
    let _ = writeln!(o, "| 3. Cost to amdgpu | {amdgpu} |");
    let readers = match &f.readers {
        Some(a) => format!(
            "`properties` reads per second with rdna1_fg loaded / without: **{}** (medians {} / {} \
             reads/s, n={} rounds each){}",
            r(a.ratio),
            n(a.with.median, 0),
            n(a.without.median, 0),
            a.with.n.min(a.without.n),
            short_verdict(a)
        ),
        None => NOT_MEASURED.to_string(),
    };
    let _ = writeln!(o, "| 4. Cost to readers | {readers} |");
    let fp = &f.footprint;
    let mut foot = Vec::new();
    if let Some(m) = fp.module_bytes {
        foot.push(format!("**{}** module (`/proc/modules`)", kib(m.median)));
    }
    if let Some(p) = fp.patcher_bytes {
        foot.push(format!(
            "at least **{}** allocated while active, from the code (two 8 KiB buffers and the \
             {p}-byte `Patcher`)",
            kib((2 * TEXT_BUF_LEN + p) as f64)
        ));
    }
    if let Some(rb) = fp.record_bytes {
        foot.push(format!("plus {rb} bytes per patched bank"));
    }
    if let Some(sl) = fp.slabinfo_bytes {
        foot.push(format!(
            "measured in the VM as slab growth: median {}, {} – {} (n={}), too coarse to confirm \
             that (section 5)",
            kib(sl.median),
            kib(sl.min),
            kib(sl.max),
            sl.n
        ));
    }
    let foot = if foot.is_empty() {
        NOT_MEASURED.to_string()
    } else {
        foot.join("; ")
    };
    let _ = writeln!(o, "| 5. Footprint | {foot} |");
    let ci_text = if ci.is_empty() {
        "not measured yet (see section 6)".to_string()
    } else {
        ci.iter()
            .map(|c| format!("{} {} on {}", c.kind, secs(c.seconds), c.date))
            .collect::<Vec<_>>()
            .join(", ")
            + " (measured separately, not in this run)"
    };
    let _ = writeln!(o, "| 6. CI (`.ci/run` wall time) | {ci_text} |\n");
}

/// What the original way rebuilt, as the report names it.
fn rebuilt(f: &Figures) -> String {
    if f.rebuilt_dir == AMDGPU_DIR {
        "amdgpu".to_string()
    } else {
        format!(
            "`{}` (this run's smaller stand-in for amdgpu, not amdgpu itself)",
            f.rebuilt_dir
        )
    }
}

fn machine(o: &mut String, s: &Samples, f: &Figures) {
    let meta = |k: &str| s.meta(k).unwrap_or("?").to_string();
    let mem_gib = s
        .meta("host_mem_kb")
        .and_then(|m| m.parse::<f64>().ok())
        .map(|kb| format!("{} GiB", n(kb / 1024.0 / 1024.0, 1)))
        .unwrap_or_else(|| "?".into());
    let _ = writeln!(o, "## Machine\n\n| | |\n|---|---|");
    let _ = writeln!(
        o,
        "| host | {} CPUs ({}), {} memory, Linux {} |",
        meta("host_cpus"),
        meta("host_cpu_model"),
        mem_gib,
        meta("host_kernel")
    );
    let mut load = format!(
        "1/5/15-min load average {} at the start, {} at the end",
        meta("host_load"),
        meta("host_load_end")
    );
    if let Some(l) = f.install.and_then(|i| i.host_load) {
        let _ = write!(
            load,
            "; 1-min load during the install benchmark: median {}, min – max {} – {}",
            n(l.median, 2),
            n(l.min, 2),
            n(l.max, 2)
        );
    }
    let _ = writeln!(o, "| host load | {load} |");
    let guest = match (f.guest_cpus, f.guest_mem_kb) {
        (Some(c), Some(m)) => format!(
            " (the guest sees {} CPUs, {} MiB)",
            n(c, 0),
            n(m / 1024.0, 0)
        ),
        _ => String::new(),
    };
    let _ = writeln!(o, "| VM | {}, {}{} |", meta("qemu"), meta("vm"), guest);
    let _ = writeln!(
        o,
        "| kernel | Debian's `{}` (target `{}`), its own image and `amdgpu.ko`; the build root is a \
         chroot of the same Debian with that kernel's headers, source and toolchain |",
        meta("kernel"),
        meta("target")
    );
    let _ = writeln!(
        o,
        "| GPU | none: KFD's CPU node 0 has one SYSTEM bank, which the benchmarks select \
         (`device_id=0 heap_mask=0x1`), as the tests do |\n"
    );
}

fn summary_table(o: &mut String, rows: &[(&str, Option<Summary>)], f: &dyn Fn(f64) -> String) {
    o.push_str(TABLE_HEAD);
    for (label, s) in rows {
        if let Some(s) = s {
            o.push_str(&row(label, s, f));
        }
    }
    o.push('\n');
}

fn install_section(o: &mut String, f: &Figures) {
    let _ = writeln!(
        o,
        "### 1. Install cost vs. the original way\n\n\
         In a chroot of the build root under a throwaway overlay (`ci/bench/install-cost.sh`, run by \
         `ci/chroot.sh`), natively on the host, for the target kernel. **The module:** `apt-get \
         install` of the `rdna1-fg-dkms` package (its postinst has DKMS build and install the \
         module, against the build root's prepared kernel tree), then rounds of `dkms remove`, \
         `dkms build`, `dkms install`; half of the rounds before the amdgpu rebuild, half after. \
         **The original way** (patch `kfd_crat.c`, rebuild amdgpu, reboot): the same kernel's \
         `linux-source` tarball extracted, Debian's `.config` and `Module.symvers` copied in, `make \
         olddefconfig modules_prepare` (timed apart: a user of AMD's amdgpu-dkms has headers \
         instead), then only `make M={} modules -j$(nproc)` is compared. \
         The reboot it needs is counted as the benchmark VMs' boot to KFD ready (kernel start to \
         the scenario, plus loading the amdgpu chain; guest clock), a floor: a real machine adds \
         firmware, boot loader, a full userland and real GPU initialisation.\n",
        f.rebuilt_dir
    );
    let Some(i) = &f.install else {
        let _ = writeln!(o, "{NOT_MEASURED}.\n");
        return;
    };
    install_table(o, i, f);
    let _ =
        writeln!(
        o,
        "Ratio of medians, rebuild of {} / DKMS build + install: **{}**{}. Undoing: the module is \
         removed live (`rmmod`, section 5; `dkms remove` above); the original way needs another \
         rebuild and reboot.\n",
        rebuilt(f),
        r(i.ratio),
        match i.ratio_with_reboot {
            Some(rr) => format!("; with the reboot floor added to the rebuild: **{}**", r(rr)),
            None => String::new(),
        }
    );
    if let Some(b) = i.amdgpu_ko_bytes {
        let _ = writeln!(
            o,
            "The rebuilt `{}.ko` is {} MiB (unstripped, with debug information).\n",
            f.rebuilt_dir.rsplit('/').next().unwrap_or_default(),
            n(b / 1024.0 / 1024.0, 1)
        );
    }
}

fn install_table(o: &mut String, i: &Install, f: &Figures) {
    summary_table(
        o,
        &[
            ("DKMS build + install (rdna1_fg)", Some(i.dkms)),
            ("↳ `dkms build`", Some(i.dkms_build)),
            ("↳ `dkms install`", Some(i.dkms_install)),
            ("`dkms remove`", i.dkms_remove),
            (
                "`apt-get install` of the package (DKMS inside)",
                i.apt_install,
            ),
            (
                &format!("rebuild, `make M={} modules`", f.rebuilt_dir),
                Some(i.amdgpu),
            ),
            ("↳ setup before it: extract linux-source", i.extract),
            (
                "↳ setup before it: `olddefconfig modules_prepare`",
                i.prepare,
            ),
            ("reboot floor (VM boot to KFD ready)", f.boot_floor),
            ("↳ kernel start to the scenario", f.boot_to_init),
            ("↳ loading the amdgpu chain", f.chain_load),
        ],
        &secs,
    );
}

fn effect_section(o: &mut String, f: &Figures) {
    let _ = writeln!(
        o,
        "### 2. Time to effect\n\n\
         One VM boot (`ci/bench/vm-effect.sh`): amdgpu loaded, rdna1_fg loaded \
         (`device_id=0 heap_mask=0x1`), then amdgpu unloaded and loaded again in a loop. After each \
         load, once the bank reads `flags 1` again, the module's own measure is read from its \
         status file, `latency: last patch N ns after amdgpu load`: from amdgpu going live (the \
         module notifier) to the write in `mem_show` (`ktime` in the guest).\n"
    );
    match &f.effect {
        Some(e) => summary_table(o, &[("time to effect", Some(*e))], &|x| {
            format!("{} µs", n(x, 0))
        }),
        None => {
            let _ = writeln!(o, "{NOT_MEASURED}.\n");
        }
    }
}

fn amdgpu_section(o: &mut String, f: &Figures) {
    let _ = writeln!(
        o,
        "### 3. Cost to amdgpu\n\n\
         One VM boot (`ci/bench/vm-amdgpu-load.sh`): `insmod amdgpu.ko` (its dependencies stay \
         loaded) timed until `/sys/class/kfd/kfd/topology/nodes/0` exists, alternately with \
         rdna1_fg loaded beforehand (it waits for KFD, then registers its probes and patches when \
         amdgpu goes live) and without (in the order with, without, without, with, …). Guest \
         uptime, 10 ms steps.\n"
    );
    with_without_table(
        o,
        f.amdgpu_load.as_ref(),
        ("load with rdna1_fg", "load without"),
        &secs,
    );
}

/// The table of a with/without figure and the ratio of its medians, or
/// "not measured".
fn with_without_table(
    o: &mut String,
    figure: Option<&WithWithout>,
    (with, without): (&str, &str),
    f: &dyn Fn(f64) -> String,
) {
    match figure {
        Some(a) => {
            summary_table(o, &[(with, Some(a.with)), (without, Some(a.without))], f);
            let _ = writeln!(
                o,
                "Ratio of medians, with / without: **{}**{}.\n",
                r(a.ratio),
                paired(a)
            );
        }
        None => {
            let _ = writeln!(o, "{NOT_MEASURED}.\n");
        }
    }
}

fn readers_section(o: &mut String, f: &Figures) {
    let files = f
        .reader_files
        .map(|x| format!(" ({} files here: node 0's and its bank's)", n(x, 0)))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "### 4. Cost to readers\n\n\
         One VM boot (`ci/bench/vm-readers.sh`) with amdgpu loaded: every KFD `properties` file \
         (`nodes/*/properties`, `nodes/*/mem_banks/*/properties`){files} read in a loop for a fixed \
         time, in rounds alternately with rdna1_fg loaded (and its bank patched) and without. Each \
         read opens the file and reads a line with the shell's `read` (busybox, no process \
         started), so KFD's `show()` runs once per read, with the module's probe on `mem_show` in \
         the path when it is loaded. Reads per second per round.\n"
    );
    with_without_table(
        o,
        f.readers.as_ref(),
        ("reads/s with rdna1_fg", "reads/s without"),
        &|x| n(x, 0),
    );
}

fn footprint_section(o: &mut String, f: &Figures) {
    let fp = &f.footprint;
    let _ = writeln!(
        o,
        "### 5. Footprint\n\n\
         One VM boot (`ci/bench/vm-footprint.sh`) with amdgpu loaded: rdna1_fg loaded and unloaded \
         in cycles. Each cycle reads the module's size in `/proc/modules` (its code and data), and \
         the kernel's slab memory one second before `insmod` and one second after the bank is \
         patched: `/proc/meminfo` `Slab` and `SUnreclaim`, and the bytes of active objects summed \
         over `/proc/slabinfo`. These count every allocation in the guest, not only the module's \
         (and what the kernel allocates on its behalf: kprobes, the debugfs file, the sysfs \
         mount, the module's own sysfs directory), and they move only when the kernel takes new \
         slab pages: SLUB counts the free objects of its per-CPU slabs as in use, so an \
         allocation served from them changes nothing. They are coarse, and given as a \
         distribution.\n"
    );
    let bytes = |x: f64| format!("{} B", n(x, 0));
    summary_table(
        o,
        &[
            ("module size (`/proc/modules`)", fp.module_bytes),
            ("slab objects added (`/proc/slabinfo`)", fp.slabinfo_bytes),
        ],
        &bytes,
    );
    summary_table(
        o,
        &[
            ("`Slab` added", fp.slab_kb),
            ("`SUnreclaim` added", fp.sunreclaim_kb),
        ],
        &|x| format!("{} KiB", n(x, 0)),
    );
    if let Some(sl) = fp.slabinfo_bytes {
        if sl.min < (2 * TEXT_BUF_LEN) as f64 {
            let _ = writeln!(
                o,
                "Some cycles measured less slab growth (min {}) than the two 8 KiB buffers the \
                 module certainly allocates: these counters cannot bound the module's memory \
                 here, only show that it is not large; the figure from the code, below, is the \
                 one to use.\n",
                kib(sl.min)
            );
        }
    }
    summary_table(
        o,
        &[
            ("`insmod` to the bank patched", fp.load_to_effect),
            ("`rmmod` (bank restored)", fp.unload),
        ],
        &secs,
    );
    let _ = writeln!(
        o,
        "**Many banks** (computed, not measured: the VM has one bank). While active the module \
         keeps two text buffers of 8 KiB (`TEXT_BUF_LEN`: the read buffer in `rdna1_fg.rs`, the \
         `scratch` buffer of the `Patcher` in `patcher.rs`) whatever the number of banks, and one \
         `PatchRecord` per patched bank, in a `KVec` that doubles its capacity (`reserve(1)` before \
         each push), in one kmalloc.\n"
    );
    match (fp.record_bytes, fp.patcher_bytes) {
        (Some(rec), p) => {
            let _ = writeln!(
                o,
                "From the module's debug information: `size_of::<PatchRecord>()` = {rec} bytes{}.\n",
                p.map(|p| format!(", `size_of::<Patcher>()` = {p} bytes"))
                    .unwrap_or_default()
            );
            let _ = writeln!(o, "| patched banks | records (kmalloc) |\n|---|---|");
            for banks in [1u64, 2, 4, 8, 16, 64] {
                let _ = writeln!(o, "| {banks} | {} B |", records_bytes(banks, rec));
            }
            let _ = writeln!(
                o,
                "\n(The Navi 10 topologies in `tests/fixtures/`, an RX 5700 XT and a small-BAR card, \
                 have one bank per GPU node.)\n"
            );
        }
        (None, _) => {
            let _ = writeln!(
                o,
                "The record's size could not be read from the module's debug information in this \
                 run (no `llvm-dwarfdump` on the host), so it is not given.\n"
            );
        }
    }
}

fn ci_section(o: &mut String, ci: &[CiTime]) {
    let _ = writeln!(
        o,
        "### 6. CI\n\n\
         `.ci/run` (`make test`: host tests, then every QEMU and chroot scenario on every kernel \
         target) is far too long to run inside this benchmark. Its wall times are measured \
         separately with `ci/bench/time-ci.sh cold|warm` (cold: an empty cache directory, so the \
         suites are debootstrapped and the build roots made; warm: the caches of an earlier run), \
         which adds a dated line to `ci/bench/ci-times.tsv`; the report copies them from there.\n"
    );
    if ci.is_empty() {
        let _ = writeln!(o, "No times recorded yet: not measured.\n");
        return;
    }
    let _ = writeln!(o, "| date | run | wall time | note |\n|---|---|---|---|");
    for c in ci {
        let _ = writeln!(
            o,
            "| {} | {} | {} ({} min) | {} |",
            c.date,
            c.kind,
            secs(c.seconds),
            n(c.seconds / 60.0, 1),
            c.note
        );
    }
    o.push('\n');
}
