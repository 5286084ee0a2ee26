//! BENCHMARKS.md: the headline figures first, then the machine, then each
//! figure's method and table.

use crate::figures::{
    page_rounded, records_bytes, Figures, Install, Layout, PairsRule, Step, WithWithout,
    AMDGPU_DIR, PAGE,
};
use crate::samples::{CiTime, Samples, Symbol};
use crate::stats::{ratio, Interval, Summary};
use std::fmt::Write;

/// `TEXT_BUF_LEN` of `src/patcher.rs`: the size of each of the module's two
/// text buffers.
const TEXT_BUF_LEN: u64 = 2 * 4096;

/// The precision the with/without ratios are meant to reach: ±1 %.
const TARGET: f64 = 0.01;

/// A number with `d` decimals.
fn n(x: f64, d: usize) -> String {
    format!("{x:.d$}")
}

/// A ratio without an interval: two decimals, one from 10, none from 100,
/// three below 0.1.
fn r(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}×")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}×")
    } else if x.abs() < 0.1 {
        format!("{x:.3}×")
    } else {
        format!("{x:.2}×")
    }
}

/// A ratio near 1 with its interval: four decimals.
fn r4(x: f64) -> String {
    format!("{x:.4}×")
}

/// A fraction as a percentage with its sign and `d` decimals.
fn pct(x: f64, d: usize) -> String {
    format!("{:+.d$} %", x * 100.0)
}

/// The decimals of the percentages of a ratio's interval: two, three when
/// it is narrower than ±0.005 %.
fn pct_decimals(i: &Interval) -> usize {
    if i.relative_half_width() < 0.000_05 {
        3
    } else {
        2
    }
}

/// An interval's precision, "±x.xx %" of its estimate.
fn plus_minus(i: &Interval) -> String {
    let p = i.relative_half_width() * 100.0;
    if p < 0.01 {
        format!("±{p:.3} %")
    } else if p < 10.0 {
        format!("±{p:.2} %")
    } else {
        format!("±{p:.0} %")
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

const NOT_MEASURED: &str = "not measured in this run";

/// The size the module was meant to fit in (`/proc/modules`).
const GOAL_BYTES: u64 = 64 * 1024;

/// What "guest time" is, said once near the top and again in each VM
/// section.
const GUEST_TIME: &str = "Guest time is measured under QEMU's icount (`-icount \
     shift=0,sleep=off`): the guest's clock advances 1 ns for each instruction its vCPUs execute, \
     and when every vCPU is idle it jumps to the guest's next timer event (no host time passes \
     meanwhile). A guest duration is thus the guest's instructions plus its waits on its own timers \
     (sleeps, RCU grace periods), whatever else the host runs; it is not time on real hardware. \
     The guest reads that clock (`CLOCK_MONOTONIC`, ns resolution) through a small static helper \
     (`ci/bench/guest-timer.c`).";

/// The method of the with/without figures.
const PAIRED_METHOD: &str = "With and without rdna1_fg alternate (with, without, without, with, \
     …) and pair i is the i-th of each. The ratio with / without is the geometric mean of the pair \
     ratios, with its 95 % interval from a paired t-test on the log ratios: d_i = ln(with_i / \
     without_i), exp(d̄ ± t(0.975, n − 1) · s / √n); the added time is the mean of with_i − \
     without_i, with its paired t interval. The guest added pairs until its own estimate of the \
     ratio's interval was within the figure's target or its cap of pairs was reached (at least 5 \
     pairs; each figure gives its target and cap): under that sequential rule the 95 % coverage of \
     the stated intervals is approximate. All pairs of a figure come from one boot: an interval \
     covers the noise between its pairs, not what differs from one boot to the next (where the \
     kernel's allocations land, for one), so another run's estimate may fall a little outside it.";

pub fn markdown(
    s: &Samples,
    f: &Figures,
    ci: &[CiTime],
    symbols: &[Symbol],
    svg_name: &str,
) -> String {
    let mut o = String::new();
    let meta = |k: &str| s.meta(k).unwrap_or("?").to_string();
    let _ = writeln!(o, "# Benchmarks\n");
    let _ = writeln!(
        o,
        "Written by `make bench` (`ci/bench.sh`, then the report generator in `bench/`) from the raw \
         samples of one run on {}, commit `{}`, kernel `{}`; nothing here is edited by hand. Every \
         figure gives its count (n) and its spread (p10 – p90) or its 95 % interval.\n",
        meta("date"),
        meta("commit"),
        meta("kernel")
    );
    let _ = writeln!(
        o,
        "**Guest time.** The figures measured in the VMs (sections 2 to 5; the VMs are emulated, \
         TCG without KVM) are in guest time. {GUEST_TIME} They count the guest's work and do not \
         move with the host's load. Beside each with/without figure is a reference from the same \
         scripts under plain TCG, without icount, where the guest's clock follows the host's wall \
         clock: fewer pairs, moved by the host's load, not a figure to quote. The install cost \
         (section 1) is measured on the host, in CPU time and wall time.\n"
    );
    let _ = writeln!(o, "**With and without the module.** {PAIRED_METHOD}\n");
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
    let _ = writeln!(
        o,
        "![Time to effect, install cost, and the ratios with their intervals]({svg_name})\n"
    );
    machine(&mut o, s, f);
    let _ = writeln!(o, "## Method and results\n");
    install_section(&mut o, f);
    effect_section(&mut o, f);
    amdgpu_section(&mut o, f);
    readers_section(&mut o, f);
    footprint_section(&mut o, f, symbols);
    ci_section(&mut o, ci);
    let _ = writeln!(
        o,
        "## Re-running\n\n`make bench` (as root; the build root and kernel of the primary target must \
         exist: `make buildroot`). Counts: `BENCH_LOAD_PAIRS_MAX`, `BENCH_READ_PAIRS_MAX`, \
         `BENCH_READ_ROUNDS` (rounds per sample), `BENCH_RELOADS`, `BENCH_FOOTPRINT_CYCLES`, \
         `BENCH_DKMS_RUNS`, `BENCH_AMDGPU_RUNS`, `BENCH_WALL_PAIRS` (pairs of the plain-TCG \
         reference) (see `ci/bench.sh`). Raw samples: `ci/out/bench/samples.tsv`."
    );
    o
}

/// A ratio with its interval: "1.0083× (95 % interval 1.0081× – 1.0085×)".
fn ratio_with_interval(i: &Interval) -> String {
    format!(
        "{} (95 % interval {} – {})",
        r4(i.estimate),
        r4(i.lo),
        r4(i.hi)
    )
}

/// A number and its unit.
type Unit<'a> = (&'a dyn Fn(f64) -> String, &'a str);

/// An added time with its interval.
fn added_with_interval(i: &Interval, (num, unit): Unit) -> String {
    format!(
        "{}{} {unit} (95 % interval {} – {} {unit})",
        if i.estimate >= 0.0 { "+" } else { "" },
        num(i.estimate),
        num(i.lo),
        num(i.hi)
    )
}

/// What the ratio's interval allows one to say, in a few words: its
/// precision against ±1 %, and whether it excludes 1.
fn short_verdict(i: &Interval) -> String {
    let mut t = if i.within(TARGET) {
        format!("within ±1 % ({})", plus_minus(i))
    } else {
        format!("does not resolve to ±1 %: reached {}", plus_minus(i))
    };
    t += if i.excludes(1.0) {
        ", excluding 1"
    } else {
        ", including 1: no difference resolved"
    };
    t
}

fn headline(o: &mut String, f: &Figures, ci: &[CiTime]) {
    let _ = writeln!(o, "## Headline\n\n| figure | result |\n|---|---|");
    let install = match &f.install {
        Some(i) => {
            let wall = format!(
                "{} against {}, medians of {} and {} runs",
                secs(i.amdgpu.wall.median),
                secs(i.dkms.wall.median),
                i.amdgpu.wall.n,
                i.dkms.wall.n
            );
            match (i.cpu_ratio, i.amdgpu.cpu, i.dkms.cpu) {
                (Some(cr), Some(a), Some(d)) => format!(
                    "rebuilding {} takes **{}** the CPU time of building and installing rdna1_fg \
                     with DKMS ({} against {} of CPU time, user + system of each step's whole \
                     process tree, medians of {} and {} runs); in wall time {} ({wall})",
                    rebuilt(f),
                    r(cr),
                    secs(a.median),
                    secs(d.median),
                    a.n,
                    d.n,
                    r(i.wall_ratio)
                ),
                _ => format!(
                    "CPU time not measured; in wall time, rebuilding {} takes **{}** as long as \
                     building and installing rdna1_fg with DKMS ({wall})",
                    rebuilt(f),
                    r(i.wall_ratio)
                ),
            }
        }
        None => NOT_MEASURED.to_string(),
    };
    let _ = writeln!(o, "| 1. Install cost vs. the original way | {install} |");
    let effect = match &f.effect {
        Some(e) => format!(
            "bank patched **{} guest µs** (median) after amdgpu went live; p10 – p90 {} – {} guest \
             µs, n={}; the original way: only after a rebuild and a reboot",
            n(e.median, 0),
            n(e.p10, 0),
            n(e.p90, 0),
            e.n
        ),
        None => NOT_MEASURED.to_string(),
    };
    let _ = writeln!(o, "| 2. Time to effect | {effect} |");
    let amdgpu = headline_with_without(
        "`insmod amdgpu.ko` with rdna1_fg loaded / without",
        f.amdgpu_load.as_ref(),
        f.amdgpu_load_wall.as_ref(),
        &|x| n(x, 1),
        "guest ms",
        "",
    );
    let _ = writeln!(o, "| 3. Cost to amdgpu | {amdgpu} |");
    let readers = headline_with_without(
        "time per `properties` read with rdna1_fg loaded / without",
        f.readers.as_ref(),
        f.readers_wall.as_ref(),
        &|x| n(x, 3),
        "guest µs",
        " per read",
    );
    let _ = writeln!(o, "| 4. Cost to readers | {readers} |");
    let _ = writeln!(o, "| 5. Footprint | {} |", headline_footprint(f));
    // The latest of each kind: the older ones are in section 6.
    let latest: Vec<&CiTime> = ["cold", "warm"]
        .iter()
        .filter_map(|kind| ci.iter().rev().find(|c| c.kind == *kind))
        .collect();
    let ci_text = if latest.is_empty() {
        "not measured yet (see section 6)".to_string()
    } else {
        latest
            .iter()
            .map(|c| format!("{} {} on {}", c.kind, secs(c.seconds), c.date))
            .collect::<Vec<_>>()
            .join(", ")
            + " (the latest of each, measured separately, not in this run; all in section 6)"
    };
    let _ = writeln!(o, "| 6. CI (`.ci/run` wall time) | {ci_text} |\n");
}

/// The headline of a with/without figure: the ratio with its interval, the
/// added time with its interval (`num` in `unit`), the reference beside.
fn headline_with_without(
    what: &str,
    icount: Option<&WithWithout>,
    wall: Option<&WithWithout>,
    num: &dyn Fn(f64) -> String,
    unit: &str,
    per: &str,
) -> String {
    let Some(a) = icount else {
        return NOT_MEASURED.to_string();
    };
    let mut t = match (a.ratio, a.added) {
        (Some(ri), Some(ai)) => format!(
            "{what}: **{}** (95 % interval {} – {}, n={} pairs of one boot; {}), **{}{} \
             {unit}**{per} (95 % interval {} – {}) on {} {unit} without",
            r4(ri.estimate),
            r4(ri.lo),
            r4(ri.hi),
            ri.n,
            short_verdict(&ri),
            if ai.estimate >= 0.0 { "+" } else { "" },
            num(ai.estimate),
            num(ai.lo),
            num(ai.hi),
            num(a.without.median)
        ),
        _ => format!(
            "{what}: medians {} / {} {unit}{per} (n={} / {}); fewer than two pairs, so no interval",
            num(a.with.median),
            num(a.without.median),
            a.with.n,
            a.without.n
        ),
    };
    if let Some(ri) = wall.and_then(|w| w.ratio) {
        let _ = write!(
            t,
            "; plain-TCG wall-time reference: {} ({} – {}, n={})",
            r(ri.estimate),
            r(ri.lo),
            r(ri.hi),
            ri.n
        );
    }
    t
}

/// The regions of the layout, largest first, for the headline.
fn headline_footprint(f: &Figures) -> String {
    let fp = &f.footprint;
    let mut foot = Vec::new();
    if let Some(m) = fp.module_bytes {
        foot.push(format!(
            "**{}** module (`/proc/modules`, n={})",
            kib(m.median),
            m.n
        ));
    }
    if let Some(l) = &fp.layout {
        let mut parts: Vec<(u64, String)> = region_names()
            .iter()
            .zip(l.regions())
            .filter(|(_, b)| *b > 0)
            .map(|(name, b)| {
                let detail = match *name {
                    "data" => format!(
                        " (of which the kallsyms symbol table {}{})",
                        kib(l.kallsyms as f64),
                        l.kallsyms_symbols
                            .map(|c| format!(", {c} symbols"))
                            .unwrap_or_default()
                    ),
                    "rodata" => l
                        .orc
                        .map(|orc| format!(" (of which ORC unwind tables {})", kib(orc as f64)))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                (
                    page_rounded(b),
                    format!("{name} {}{detail}", kib(page_rounded(b) as f64)),
                )
            })
            .collect();
        parts.sort_by_key(|p| std::cmp::Reverse(p.0));
        foot.push(format!(
            "by the loader's layout (page-rounded, {} in all): {}",
            kib(l.model_bytes() as f64),
            parts
                .into_iter()
                .map(|p| p.1)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(p) = fp.patcher_bytes {
        foot.push(format!(
            "at least **{}** allocated while active, from the code (two 8 KiB buffers and the \
             {p}-byte `Patcher`){}",
            kib((2 * TEXT_BUF_LEN + p) as f64),
            fp.record_bytes
                .map(|rb| format!(", plus {rb} bytes per patched bank"))
                .unwrap_or_default()
        ));
    }
    if foot.is_empty() {
        NOT_MEASURED.to_string()
    } else {
        foot.join("; ")
    }
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
            "; 1-min load before each timed step of the install benchmark: median {}, min – max \
             {} – {} (n={}; at the end of each step: section 1)",
            n(l.median, 2),
            n(l.min, 2),
            n(l.max, 2),
            l.n
        );
    }
    let _ = writeln!(o, "| host load | {load} |");
    if let Some(secs) = s.meta("run_seconds").and_then(|v| v.parse::<f64>().ok()) {
        let _ = writeln!(
            o,
            "| run | {} min, from the build to the last benchmark (`make bench`) |",
            n(secs / 60.0, 1)
        );
    }
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

/// A table of the rows measured, or "not measured" when none was.
fn summary_table(o: &mut String, rows: &[(&str, Option<Summary>)], f: &dyn Fn(f64) -> String) {
    if rows.iter().all(|(_, s)| s.is_none()) {
        let _ = writeln!(o, "{NOT_MEASURED}.\n");
        return;
    }
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
         instead), then only `make M={} modules -j$(nproc)` is compared.\n\n\
         Each step is timed twice: its wall time, and its CPU time, the user + system time of the \
         step's whole process tree (every child included). CPU time is the headline: it is the \
         work the step does, and it moves far less than wall time with the number of CPUs and \
         with what else the shared host runs (though a busy host still slows each CPU second \
         somewhat, through shared caches). CPU ÷ wall shows how much of the time the step kept \
         more than one CPU busy. The host's 1-minute load average is read at the end of each step \
         (and before it, in the Machine section).\n",
        f.rebuilt_dir
    );
    let Some(i) = &f.install else {
        let _ = writeln!(o, "{NOT_MEASURED}.\n");
        return;
    };
    install_table(o, i, f);
    let _ = writeln!(
        o,
        "{} **The ratio in wall time: {}** (medians of {} and {} runs). Undoing: the module is \
         removed live (`rmmod`, section 5; `dkms remove` above); the original way needs another \
         rebuild and reboot.\n",
        match (i.cpu_ratio, i.amdgpu.cpu, i.dkms.cpu) {
            (Some(cr), Some(a), Some(d)) => format!(
                "**The ratio in CPU time, rebuild of {} / DKMS build + install (each round's two \
                 summed): {}** (medians of {} and {} runs).",
                rebuilt(f),
                r(cr),
                a.n,
                d.n
            ),
            _ => "CPU time was not measured in this run, so there is no ratio in CPU time."
                .to_string(),
        },
        r(i.wall_ratio),
        i.amdgpu.wall.n,
        i.dkms.wall.n
    );
    let _ = writeln!(
        o,
        "The reboot the original way also needs is not added to these ratios: the benchmark VMs' \
         boot to KFD ready (kernel start to the scenario, plus loading the amdgpu chain) is guest \
         time under icount, instructions rather than seconds of a real machine, which also adds \
         firmware, a boot loader, a full userland and real GPU initialisation. For scale, in \
         guest seconds:\n"
    );
    summary_table(
        o,
        &[
            ("VM boot to KFD ready", f.boot_floor),
            ("↳ kernel start to the scenario", f.boot_to_init),
            ("↳ loading the amdgpu chain", f.chain_load),
        ],
        &|x| format!("{} guest s", n(x, 2)),
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

/// A median and its p10 – p90, in seconds.
fn secs_spread(s: &Summary) -> String {
    format!("{} ({} – {})", secs(s.median), secs(s.p10), secs(s.p90))
}

fn install_table(o: &mut String, i: &Install, f: &Figures) {
    let _ = writeln!(
        o,
        "| step | n | wall time, median (p10 – p90) | CPU time, median (p10 – p90) | CPU ÷ wall | \
         1-min load at the end, median (min – max) |\n|---|---|---|---|---|---|"
    );
    let rebuild = format!("rebuild, `make M={} modules`", f.rebuilt_dir);
    let rows: [(&str, Option<Step>); 8] = [
        ("**DKMS build + install (rdna1_fg)**", Some(i.dkms)),
        ("↳ `dkms build`", Some(i.dkms_build)),
        ("↳ `dkms install`", Some(i.dkms_install)),
        ("`dkms remove`", i.dkms_remove),
        (
            "`apt-get install` of the package (DKMS inside)",
            i.apt_install,
        ),
        (&rebuild, Some(i.amdgpu)),
        ("↳ setup before it: extract linux-source", i.extract),
        (
            "↳ setup before it: `olddefconfig modules_prepare`",
            i.prepare,
        ),
    ];
    for (label, step) in rows {
        let Some(st) = step else { continue };
        // A count of its own where it differs from the wall time's.
        let own_n = |k: usize| {
            if k == st.wall.n {
                String::new()
            } else {
                format!(", n={k}")
            }
        };
        let cpu = st
            .cpu
            .map(|c| format!("{}{}", secs_spread(&c), own_n(c.n)))
            .unwrap_or_else(|| "—".into());
        let share = st
            .cpu
            .and_then(|c| ratio(c.median, st.wall.median))
            .map(|x| n(x, 2))
            .unwrap_or_else(|| "—".into());
        let load = st
            .load
            .map(|l| {
                format!(
                    "{} ({} – {}{})",
                    n(l.median, 2),
                    n(l.min, 2),
                    n(l.max, 2),
                    own_n(l.n)
                )
            })
            .unwrap_or_else(|| "—".into());
        let _ = writeln!(
            o,
            "| {label} | {} | {} | {cpu} | {share} | {load} |",
            st.wall.n,
            secs_spread(&st.wall)
        );
    }
    o.push('\n');
}

fn effect_section(o: &mut String, f: &Figures) {
    let _ = writeln!(
        o,
        "### 2. Time to effect\n\n\
         One VM boot (`ci/bench/vm-effect.sh`): amdgpu loaded, rdna1_fg loaded \
         (`device_id=0 heap_mask=0x1`), then amdgpu unloaded and loaded again in a loop. After each \
         load, once the bank reads `flags 1` again, the module's own measure is read from its \
         status file, `latency: last patch N ns after amdgpu load`: from amdgpu going live (the \
         module notifier) to the write in `mem_show` (`ktime` in the guest). {GUEST_TIME}\n"
    );
    match &f.effect {
        Some(e) => summary_table(o, &[("time to effect", Some(*e))], &|x| {
            format!("{} guest µs", n(x, 0))
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
         One VM boot (`ci/bench/vm-amdgpu-load.sh`): `insmod amdgpu.ko` (the slimmed `amdgpu.ko` \
         of the test VMs: Debian's code and data byte for byte, without its signature and unneeded \
         symbol names; its dependencies stay loaded) timed with rdna1_fg loaded beforehand (it \
         waits for KFD, then registers its probes and patches when amdgpu goes live) and without. \
         {GUEST_TIME} {PAIRED_METHOD}\n"
    );
    with_without_section(
        o,
        f.amdgpu_load.as_ref(),
        f.amdgpu_load_wall.as_ref(),
        f.amdgpu_load_rule,
        ("the time of `insmod amdgpu.ko`", ""),
        (&|x| n(x, 1), "ms"),
    );
}

fn readers_section(o: &mut String, f: &Figures) {
    let count = |c: Option<(f64, f64)>, what: &str| {
        c.map(|(rounds, files)| {
            format!(
                "{what}: one sample is {} rounds of {} files, {} reads",
                n(rounds, 0),
                n(files, 0),
                n(rounds * files, 0)
            )
        })
    };
    let counts: Vec<String> = [
        count(f.reads, "under icount"),
        count(f.reads_wall, "under plain TCG"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let _ = writeln!(
        o,
        "### 4. Cost to readers\n\n\
         One VM boot (`ci/bench/vm-readers.sh`) with amdgpu loaded: every KFD `properties` file \
         (`nodes/*/properties`, `nodes/*/mem_banks/*/properties`: node 0's and its bank's here) \
         read once per round (open, one read of up to 4 KiB, close: KFD's `show()` runs once per \
         read, with the module's probe on `mem_show` in the path when it is loaded), a set of \
         rounds timed as one sample, with rdna1_fg loaded (and its bank patched) and without. The \
         figure is the time per read: a sample divided by its rounds × files{}. {GUEST_TIME} \
         {PAIRED_METHOD}\n",
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join("; "))
        }
    );
    with_without_section(
        o,
        f.readers.as_ref(),
        f.readers_wall.as_ref(),
        f.readers_rule,
        ("the time of a `properties` read", " per read"),
        (&|x| n(x, 3), "µs"),
    );
}

/// One cell of a with/without table, from its figure.
type Cell<'a> = dyn Fn(&WithWithout) -> String + 'a;

/// The table of a with/without figure, under icount and the plain-TCG
/// reference side by side, and what its intervals allow one to say.
fn with_without_section(
    o: &mut String,
    icount: Option<&WithWithout>,
    wall: Option<&WithWithout>,
    rule: PairsRule,
    (what, per): (&str, &str),
    (num, unit): Unit,
) {
    if icount.is_none() && wall.is_none() {
        let _ = writeln!(o, "{NOT_MEASURED}.\n");
        return;
    }
    let cell = |w: Option<&WithWithout>, f: &dyn Fn(&WithWithout) -> String| {
        w.map(f).unwrap_or_else(|| NOT_MEASURED.to_string())
    };
    let interval_cell = |i: Option<Interval>, f: &dyn Fn(&Interval) -> String| {
        i.map(|i| f(&i))
            .unwrap_or_else(|| "— (fewer than two pairs)".to_string())
    };
    let ratio = |w: &WithWithout| {
        interval_cell(w.ratio, &|i| {
            format!("{}; {}", ratio_with_interval(i), plus_minus(i))
        })
    };
    let added = |w: &WithWithout| interval_cell(w.added, &|i| added_with_interval(i, (num, unit)));
    let spread = |w: &WithWithout| {
        w.spread
            .map(|p| {
                format!(
                    "{} – {} (min – max {} – {})",
                    r4(p.p10),
                    r4(p.p90),
                    r4(p.min),
                    r4(p.max)
                )
            })
            .unwrap_or_else(|| "—".to_string())
    };
    let pairs = |w: &WithWithout| {
        w.spread
            .map(|p| p.n.to_string())
            .unwrap_or_else(|| "0".into())
    };
    let median = |s: &Summary| format!("{} {unit} (n={})", num(s.median), s.n);
    let _ = writeln!(
        o,
        "| | under icount (guest time) | plain TCG (wall time, reference) \
         |\n|---|---|---|"
    );
    let rows: [(&str, &Cell); 6] = [
        ("pairs (n)", &pairs),
        ("median with rdna1_fg", &|w| median(&w.with)),
        ("median without", &|w| median(&w.without)),
        (
            "ratio with / without (geometric mean of the pair ratios), 95 % interval",
            &ratio,
        ),
        ("added time (mean of with − without), 95 % interval", &added),
        ("pair ratios, p10 – p90", &spread),
    ];
    for (label, f) in rows {
        let _ = writeln!(o, "| {label} | {} | {} |", cell(icount, f), cell(wall, f));
    }
    o.push('\n');
    if let Some(a) = icount {
        let _ = writeln!(o, "{}\n", verdict(a, rule, (what, per), (num, unit)));
    }
    if let Some(ri) = wall.and_then(|w| w.ratio) {
        let _ = writeln!(
            o,
            "Plain TCG, for reference: {} ({}, n={} pairs); its guest clock follows the host's \
             wall clock, so this moves with the host's load and the emulator's speed, and is not \
             the figure to quote.\n",
            ratio_with_interval(&ri),
            plus_minus(&ri),
            ri.n
        );
    }
}

/// What the interval under icount allows one to say, in words.
fn verdict(
    a: &WithWithout,
    rule: PairsRule,
    (what, per): (&str, &str),
    (num, unit): Unit,
) -> String {
    let (Some(ri), Some(ai)) = (a.ratio, a.added) else {
        return format!(
            "Under icount: fewer than two pairs, so no interval (medians {} guest {unit} with, {} \
             without).",
            num(a.with.median),
            num(a.without.median)
        );
    };
    let d = pct_decimals(&ri);
    // The added time, its sign dropped (`sign`: -1 when the module takes
    // time away): "71.3 guest ms (95 % interval 63.6 – 79.0)".
    let added = |sign: f64| {
        let (a, b) = (sign * ai.lo, sign * ai.hi);
        format!(
            "{} guest {unit}{per} (95 % interval {} – {})",
            num(sign * ai.estimate),
            num(a.min(b)),
            num(a.max(b))
        )
    };
    let at_cap = rule.max.is_some_and(|c| ri.n as f64 >= c);
    let target = rule
        .limit
        .map(|l| format!("±{} %", n(l * 100.0, if l < 0.01 { 2 } else { 1 })))
        .unwrap_or_else(|| "its target".to_string());
    let cap_text = match rule.max {
        Some(c) if at_cap => format!(
            " The guest stopped at the cap of {} pairs, before its own estimate reached {target}.",
            n(c, 0)
        ),
        Some(c) => format!(
            " The guest stopped before the cap of {} pairs, its own estimate within {target}.",
            n(c, 0)
        ),
        None => String::new(),
    };
    let mut t = if ri.excludes(1.0) {
        format!(
            "Under icount, rdna1_fg changes {what} by **{}** (95 % interval {} to {}), {}: the \
             interval excludes 1, a difference this run resolves.",
            pct(ri.estimate - 1.0, d),
            pct(ri.lo - 1.0, d),
            pct(ri.hi - 1.0, d),
            if ai.estimate >= 0.0 {
                format!("adding {}", added(1.0))
            } else {
                format!("taking away {}", added(-1.0))
            },
        )
    } else {
        format!(
            "Under icount, the interval of the ratio includes 1: no difference resolved in {what}; \
             the change lies between {} and {}; the mean difference, with − without, is {} guest \
             {unit}{per}, 95 % interval {} – {}.",
            pct(ri.lo - 1.0, d),
            pct(ri.hi - 1.0, d),
            num(ai.estimate),
            num(ai.lo),
            num(ai.hi),
        )
    };
    if ri.within(TARGET) {
        let _ = write!(
            t,
            " The interval is within ±1 % of the ratio ({}, n={} pairs).",
            plus_minus(&ri),
            ri.n
        );
    } else {
        let _ = write!(
            t,
            " This does not resolve to ±1 %: reached {} with n={} pairs; the pairs' ratios vary \
             too much for ±1 % at this count (p10 – p90 {} – {}).",
            plus_minus(&ri),
            ri.n,
            a.spread.map(|p| r4(p.p10)).unwrap_or_default(),
            a.spread.map(|p| r4(p.p90)).unwrap_or_default()
        );
    }
    t + &cap_text
}

/// The four regions of the module loader's layout.
fn region_names() -> [&'static str; 4] {
    ["text", "rodata", "ro_after_init", "data"]
}

/// The model's table: each region, its page-rounded size and what is in it.
fn layout_table(o: &mut String, l: &Layout, measured: Option<Summary>) {
    let b = |x: u64| format!("{x} B");
    let part = |label: &str, x: Option<u64>| x.map(|x| format!("{label} {}", b(x)));
    let other = |total: u64, parts: &[Option<u64>]| {
        let known: u64 = parts.iter().flatten().sum();
        (parts.iter().any(Option::is_some) && total > known)
            .then(|| format!("other sections {}", b(total - known)))
    };
    let rodata_parts = [l.strings, l.orc, l.site_tables];
    let rodata: Vec<String> = [
        part("`.rodata` (strings and constants)", l.strings),
        part(
            "ORC unwind tables (`.orc_unwind`, `.orc_unwind_ip`, `.orc_header`)",
            l.orc,
        ),
        part(
            "patch-site tables (`.call_sites`, `.return_sites`, `.retpoline_sites`, \
             `.ibt_endbr_seal`, `__mcount_loc`, `.smp_locks`: what the kernel's patching needs)",
            l.site_tables,
        ),
        other(l.rodata, &rodata_parts),
    ]
    .into_iter()
    .flatten()
    .collect();
    let data_parts = [l.this_module, l.bss];
    let data: Vec<String> = [
        part(
            "`.gnu.linkonce.this_module` (the module's `struct module`)",
            l.this_module,
        ),
        part("`.bss`", l.bss),
        other(l.data, &data_parts),
    ]
    .into_iter()
    .flatten()
    .collect();
    let pfx = match (l.kallsyms_pfx_symbols, l.kallsyms_pfx_bytes) {
        (Some(c), Some(bytes)) if c > 0 => format!(
            "; of them, {c} are objtool's `__pfx_` symbols, {} in all: one for the 16-byte prefix \
             in front of each function (call depth tracking, FineIBT), which kprobes looks up to \
             refuse a probe there (`kernel/kprobes.c`, `is_cfi_preamble_symbol`), so they stay",
            b(bytes)
        ),
        _ => String::new(),
    };
    let kallsyms = match (l.kallsyms_symbols, l.kallsyms_name_bytes) {
        (Some(c), Some(names)) => format!(
            "{c} symbols: a 24-byte `Elf64_Sym` and a type byte each ({}), and {} of names (Rust's \
             mangled names, {} bytes each on average){pfx}",
            b(c * 25),
            b(names),
            names / c.max(1)
        ),
        (Some(c), None) => format!("{c} symbols"),
        _ => "every named symbol of a loaded section".to_string(),
    };
    let what = [
        "the executable sections: the module's code".to_string(),
        format!(
            "the read-only sections{}",
            if rodata.is_empty() {
                String::new()
            } else {
                format!(": {}", rodata.join(", "))
            }
        ),
        "`.data..ro_after_init`: written while the module loads, read-only after".to_string(),
        format!(
            "the writable sections, {}{}; and the module's core symbol table for kallsyms \
             (`CONFIG_KALLSYMS_ALL`), {}: {kallsyms}",
            b(l.data),
            if data.is_empty() {
                String::new()
            } else {
                format!(" ({})", data.join(", "))
            },
            b(l.kallsyms)
        ),
    ];
    let _ = writeln!(
        o,
        "| region | bytes | page-rounded | what is in it |\n|---|---|---|---|"
    );
    for ((name, bytes), what) in region_names().iter().zip(l.regions()).zip(what) {
        let pages = page_rounded(bytes) / PAGE;
        let _ = writeln!(
            o,
            "| {name} | {} | {} ({pages} page{}) | {what} |",
            b(bytes),
            kib(page_rounded(bytes) as f64),
            if pages == 1 { "" } else { "s" }
        );
    }
    let model = l.model_bytes();
    let _ = writeln!(
        o,
        "| **the model: the four regions** | | **{}** ({}) | |",
        kib(model as f64),
        b(model)
    );
    if let Some(m) = measured {
        let _ = writeln!(
            o,
            "| measured: `/proc/modules` (median, n={}) | | {} ({}) | |",
            m.n,
            kib(m.median),
            b(m.median as u64)
        );
    }
    o.push('\n');
    let mut notes = Vec::new();
    if let Some(m) = measured {
        let diff = m.median - model as f64;
        notes.push(if diff == 0.0 {
            "The model gives the measured size exactly.".to_string()
        } else {
            format!(
                "The measured size is {} {} the model ({} pages).",
                b(diff.abs() as u64),
                if diff > 0.0 { "above" } else { "below" },
                n(diff / PAGE as f64, 1)
            )
        });
        if m.min != m.max {
            notes.push(format!(
                "`/proc/modules` varied between cycles: {} – {}.",
                b(m.min as u64),
                b(m.max as u64)
            ));
        }
    }
    if let Some(own) = l.model.filter(|&own| own != model) {
        notes.push(format!(
            "`ci/bench.sh`'s own sum (`ko.model_bytes`) is {}, not the {} of the regions above.",
            b(own),
            b(model)
        ));
    }
    if model > GOAL_BYTES {
        notes.push(format!(
            "The goal was {}: {} pages more than that. The kallsyms table alone fills {} pages \
             (its `__pfx_` symbols {}), and the code {} pages; see docs/testing.md, \"Footprint\", \
             for what was cut and what was left and why.",
            kib(GOAL_BYTES as f64),
            (model - GOAL_BYTES) / PAGE,
            n(l.kallsyms as f64 / PAGE as f64, 1),
            l.kallsyms_pfx_bytes
                .map(|p| format!("{} pages", n(p as f64 / PAGE as f64, 1)))
                .unwrap_or_else(|| "not counted".to_string()),
            n(l.text as f64 / PAGE as f64, 1),
        ));
    }
    if !notes.is_empty() {
        let _ = writeln!(o, "{}\n", notes.join(" "));
    }
}

/// The largest functions and objects of the module.
fn symbols_table(o: &mut String, symbols: &[Symbol], layout: Option<&Layout>) {
    if symbols.is_empty() {
        let _ = writeln!(
            o,
            "The module's largest symbols were not listed in this run (`--symbols`).\n"
        );
        return;
    }
    let _ = writeln!(
        o,
        "**The largest symbols** of the `.ko` ({}, largest first; functions are in text, objects \
         in rodata or data):\n\n| bytes | kind | name |\n|---|---|---|",
        symbols.len()
    );
    for sym in symbols {
        let _ = writeln!(
            o,
            "| {} | {} | `{}` |",
            sym.bytes,
            sym.kind,
            sym.name.replace('|', "\\|")
        );
    }
    o.push('\n');
    let functions: u64 = symbols
        .iter()
        .filter(|s| s.kind == "function")
        .map(|s| s.bytes)
        .sum();
    if let Some(l) = layout.filter(|l| l.text > 0 && functions > 0) {
        let _ = writeln!(
            o,
            "The functions listed make {} B of text's {} B ({} %).\n",
            functions,
            l.text,
            n(functions as f64 / l.text as f64 * 100.0, 0)
        );
    }
}

fn footprint_section(o: &mut String, f: &Figures, symbols: &[Symbol]) {
    let fp = &f.footprint;
    let _ = writeln!(
        o,
        "### 5. Footprint\n\n\
         **The module's size.** One VM boot (`ci/bench/vm-footprint.sh`) with amdgpu loaded: \
         rdna1_fg loaded and unloaded in cycles, each reading the module's size in \
         `/proc/modules`. What makes it up is computed from the `.ko` (`ci/bench.sh`) after how \
         the module loader of this kernel lays a module out (`kernel/module/main.c`, \
         `layout_sections`, and `kernel/module/kallsyms.c`, `layout_symtab`): four core memory \
         regions, each page-aligned (4 KiB).\n"
    );
    match (&fp.layout, fp.module_bytes) {
        (Some(l), m) => layout_table(o, l, m),
        (None, Some(m)) => {
            let _ = writeln!(
                o,
                "The layout of the `.ko` was {NOT_MEASURED}; `/proc/modules` alone:\n"
            );
            summary_table(o, &[("module size (`/proc/modules`)", Some(m))], &|x| {
                format!("{} B", n(x, 0))
            });
        }
        (None, None) => {
            let _ = writeln!(o, "{NOT_MEASURED}.\n");
        }
    }
    symbols_table(o, symbols, fp.layout.as_ref());
    let _ = writeln!(
        o,
        "**Load and unload.** In the same cycles, `insmod` of rdna1_fg alone, `insmod` to the bank \
         patched (polled every 10 ms, so ±10 ms), and `rmmod` (the bank restored). {GUEST_TIME}\n"
    );
    summary_table(
        o,
        &[
            ("`insmod` rdna1_fg", fp.insmod),
            ("`insmod` to the bank patched (±10 ms)", fp.load_to_effect),
            ("`rmmod` (bank restored)", fp.rmmod),
        ],
        &|x| format!("{} guest ms", n(x, 1)),
    );
    let _ = writeln!(
        o,
        "**Memory allocated.** Each cycle also reads the kernel's slab memory one second before \
         `insmod` and one second after the bank is patched: `/proc/meminfo` `Slab` and \
         `SUnreclaim`, and the bytes of active objects summed over `/proc/slabinfo`. These count \
         every allocation in the guest, not only the module's (and what the kernel allocates on \
         its behalf: kprobes, the debugfs file, the sysfs mount, the module's own sysfs \
         directory), and they move only when the kernel takes new slab pages: SLUB counts the free \
         objects of its per-CPU slabs as in use, so an allocation served from them changes \
         nothing. They are coarse, and given as a distribution.\n"
    );
    let objects = [("slab objects added (`/proc/slabinfo`)", fp.slabinfo_bytes)];
    let meminfo = [
        ("`Slab` added", fp.slab_kb),
        ("`SUnreclaim` added", fp.sunreclaim_kb),
    ];
    let measured = |rows: &[(&str, Option<Summary>)]| rows.iter().any(|r| r.1.is_some());
    if !measured(&objects) && !measured(&meminfo) {
        let _ = writeln!(o, "{NOT_MEASURED}.\n");
    }
    if measured(&objects) {
        summary_table(o, &objects, &|x| format!("{} B", n(x, 0)));
    }
    if measured(&meminfo) {
        summary_table(o, &meminfo, &|x| format!("{} KiB", n(x, 0)));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_precision() {
        assert_eq!(pct(0.0083, 2), "+0.83 %");
        assert_eq!(pct(-0.0125, 2), "-1.25 %");
        assert_eq!(pct(0.00005, 3), "+0.005 %");
        let i = Interval {
            n: 10,
            estimate: 1.0,
            lo: 0.9998,
            hi: 1.0002,
        };
        assert_eq!(plus_minus(&i), "±0.02 %");
        assert_eq!(pct_decimals(&i), 2);
        let narrow = Interval {
            lo: 0.99999,
            hi: 1.00001,
            ..i
        };
        assert_eq!(pct_decimals(&narrow), 3);
        assert_eq!(r(32.75), "32.8×");
        assert_eq!(r(1234.0), "1234×");
        assert_eq!(
            short_verdict(&i),
            "within ±1 % (±0.02 %), including 1: no difference resolved"
        );
        let wide = Interval {
            n: 5,
            estimate: 1.05,
            lo: 1.02,
            hi: 1.08,
        };
        assert_eq!(
            short_verdict(&wide),
            "does not resolve to ±1 %: reached ±2.86 %, excluding 1"
        );
    }

    #[test]
    fn a_report_says_what_its_intervals_reach() {
        // Ratios 0.97 to 1.05 over 6 pairs: wider than ±1 %. Reads: 2
        // files, 10 rounds.
        let mut t = String::from(
            "v\tamdgpu_load_pairs_max\t6\nv\tamdgpu_load_pairs_limit\t0.005\n\
             r\tread_rounds\t10\nr\treader_files\t2\n",
        );
        for (w, wo) in [
            (97, 100),
            (105, 100),
            (99, 100),
            (104, 100),
            (101, 100),
            (103, 100),
        ] {
            t += &format!(
                "v\tamdgpu_load_with_ns\t{w}000000\nv\tamdgpu_load_without_ns\t{wo}000000\n"
            );
        }
        for (w, wo) in [(20_100, 20_000), (20_102, 20_000), (20_098, 20_000)] {
            t += &format!("r\tread_with_ns\t{w}\nr\tread_without_ns\t{wo}\n");
        }
        let s = Samples::parse(&t).unwrap();
        let md = markdown(&s, &Figures::compute(&s), &[], &[], "b.svg");
        assert!(md.contains("nothing here is edited by hand"));
        assert!(md.contains("does not resolve to ±1 %: reached ±"));
        assert!(md.contains(
            "The guest stopped at the cap of 6 pairs, before its own estimate reached ±0.50 %."
        ));
        // 20000 ns per 20 reads: 1 µs per read, 0.005 µs added.
        assert!(md.contains("| median without | 1.000 µs (n=3) |"));
        assert!(md.contains("**+0.005 guest µs** per read"));
        assert!(md.contains("`BENCH_WALL_PAIRS`"));
        assert!(md.contains("| 1. Install cost vs. the original way | not measured in this run |"));
    }
}
