#!/bin/bash
# Benchmarks (make bench; not part of make test), for the primary target
# (RDNA1_FG_TARGET, default: the first of ci/targets/default.list, with its
# last resolution; resolved by ci/resolve.sh when it has none), from one run
# meant for a quiet machine (nothing else running: the report gives the
# load):
#   1. build rdna1_fg.ko, the packages and the guest's clock
#      (ci/bench/guest-timer.c, static) in a throwaway overlay of the build
#      root (the cached build root is never changed), and take the module's
#      footprint apart (ci/bench/ko-footprint.sh);
#   2. the install benchmark (ci/bench/install-cost.sh, in a chroot of the
#      build root), alone on the machine: it measures wall and CPU time;
#   3. the VM benchmarks (ci/bench/vm-*.sh) under QEMU icount
#      (RDNA1_FG_VM_CLOCK=icount: the guest's clock counts its instructions,
#      whatever else the host runs), two VMs side by side;
#   4. the plain-TCG reference: vm-amdgpu-load and vm-readers again with the
#      guest's clock following the host's, BENCH_WALL_PAIRS pairs each, one
#      VM at a time; their samples are prefixed "wall.";
#   5. the report: the samples, with a description of the machine, in
#      ci/out/bench/samples.tsv, and BENCHMARKS.md and BENCHMARKS.svg written
#      from them by the report generator (bench/).
# Each benchmark prints its raw samples as "# BENCH KEY VALUE" lines. The
# guests boot with the kernel's default settings (the test suite's
# slub_debug and KFENCE checks cost time, so they are off here; a WARN or
# Oops still panics the guest). BENCH_ONLY: only the benchmarks named (e.g.
# "vm-readers install-cost"), and no reference runs unless "wall" is named.
#
# Counts (defaults in parentheses): BENCH_LOAD_PAIRS_MAX (12) and
# BENCH_READ_PAIRS_MAX (100): the most with/without pairs of amdgpu loads and
# of read sets (fewer once the interval of the ratio is within +-0.5 %, for
# reads +-0.05 %; at least 5); BENCH_READ_ROUNDS (6000) rounds of reads per
# set; BENCH_WALL_PAIRS (5) pairs of each in the plain-TCG reference;
# BENCH_RELOADS (30) amdgpu reloads for the time to effect;
# BENCH_FOOTPRINT_CYCLES (10) load/unload cycles; BENCH_DKMS_RUNS (3) DKMS
# builds and installs; BENCH_AMDGPU_RUNS (1) amdgpu rebuilds.
# BENCH_AMDGPU_DIR: the directory rebuilt (default
# drivers/gpu/drm/amd/amdgpu; a smaller one to try the benchmark quickly).
# BENCH_CI_TIMES: the file of separately measured .ci/run times
# (default ci/bench/ci-times.tsv; see ci/bench/time-ci.sh).
# BENCH_NOTE: a sentence about the run for the report (e.g. what else ran
# on the machine meanwhile).
# BENCH_REPORT_DIR: where BENCHMARKS.md and BENCHMARKS.svg go (default: the
# top of the checkout).
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

export RDNA1_FG_KERNEL_CHECKS="panic_on_warn=1 oops=panic"
BENCH_DIR=$REPO_DIR/ci/out/bench
SAMPLES=$BENCH_DIR/samples.tsv
SYMBOLS=$BENCH_DIR/largest-symbols.tsv
COUNTS="BENCH_LOAD_PAIRS_MAX BENCH_READ_PAIRS_MAX BENCH_READ_ROUNDS BENCH_RELOADS BENCH_FOOTPRINT_CYCLES
 BENCH_DKMS_RUNS BENCH_AMDGPU_RUNS BENCH_AMDGPU_DIR"
WALL_PAIRS=${BENCH_WALL_PAIRS:-5}
BENCH_CI_TIMES=${BENCH_CI_TIMES:-$CI_DIR/bench/ci-times.tsv}
BENCH_REPORT_DIR=${BENCH_REPORT_DIR:-$REPO_DIR}

# meta KEY VALUE: a line of the machine's description.
meta() { printf 'host\tmeta.%s\t%s\n' "$1" "$2" >>"$SAMPLES"; }

describe_machine() {
	meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	meta commit "$(git -C "$REPO_DIR" rev-parse --short HEAD)$(git -C "$REPO_DIR" diff --quiet HEAD -- . ':!BENCHMARKS.md' ':!BENCHMARKS.svg' || echo '+changes')"
	meta target "$RDNA1_FG_TARGET"
	meta kernel "$KREL"
	meta host_kernel "$(uname -r)"
	meta host_cpus "$(nproc)"
	meta host_cpu_model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	meta host_mem_kb "$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)"
	meta host_load "$(cut -d' ' -f1-3 /proc/loadavg)"
	meta qemu "$(qemu-system-x86_64 --version | head -n 1)"
	[ -z "${BENCH_NOTE:-}" ] || meta note "$BENCH_NOTE"
	meta vm "TCG (no KVM), thread=single, -icount shift=0,sleep=off, -smp 2, -m 2048, -cpu max, two VMs side by side; the plain-TCG reference one at a time"
	meta vm_kernel_cmdline "$RDNA1_FG_KERNEL_CHECKS"
	local v
	for v in $COUNTS BENCH_WALL_PAIRS; do
		[ -z "${!v:-}" ] || meta "count.$v" "${!v}"
	done
}

# The module, the packages and the guest's clock, built in a throwaway
# overlay of the build root.
build() {
	local work
	work=$(mktemp -d /var/tmp/rdna1_fg-bench-build.XXXXXX)
	overlay_root "$work"
	local rc=0
	RDNA1_FG_ROOT=$work/merged "$CI_DIR/build-module.sh" &&
		RDNA1_FG_ROOT=$work/merged "$CI_DIR/build-deb.sh" &&
		cp "$CI_DIR/bench/guest-timer.c" "$work/merged/tmp/" &&
		chroot "$work/merged" gcc -static -O2 -Wall -Werror -o /tmp/guest-timer /tmp/guest-timer.c -lm &&
		cp "$work/merged/tmp/guest-timer" "$OUT_DIR/guest-timer" || rc=$?
	overlay_root_remove "$work"
	return "$rc"
}

# The sizes, from the module's debug information, of the record kept per
# patched bank and of the module's state (what the footprint figure computes
# for many banks with).
struct_sizes() {
	local name size
	command -v llvm-dwarfdump >/dev/null 2>&1 || {
		log "no llvm-dwarfdump on this host: the footprint figure will lack the per-bank record size"
		return 0
	}
	for name in PatchRecord Patcher; do
		size=$(llvm-dwarfdump --name="$name" "$OUT_DIR/rdna1_fg.ko" |
			sed -n 's/.*DW_AT_byte_size[[:space:]]*(0x\([0-9a-f]*\)).*/\1/p' | head -n 1)
		if [ -n "$size" ]; then
			printf 'host\tstruct_bytes.%s\t%d\n' "$name" "$((16#$size))" >>"$SAMPLES"
		fi
	done
}

# The module's memory, taken apart from the .ko (ci/bench/ko-footprint.sh).
footprint() {
	"$CI_DIR/bench/ko-footprint.sh" "$OUT_DIR/rdna1_fg.ko" "$SYMBOLS" |
		awk '{ printf "host\t%s\t%s\n", $1, $2 }' >>"$SAMPLES"
}

# copy_bench SCRIPT NAME [VAR=VALUE...]: $BENCH_DIR/scripts/NAME.sh, the
# benchmark with the counts of this run (and VAR=VALUE) set first.
copy_bench() {
	local script=$1 name=$2 v
	shift 2
	mkdir -p "$BENCH_DIR/scripts"
	{
		echo "# $name: ci/bench/$(basename "$script") with the counts of this run (written by ci/bench.sh)"
		for v in $COUNTS; do
			[ -z "${!v:-}" ] || printf '%s=%q\n' "$v" "${!v}"
		done
		for v in "$@"; do echo "$v"; done
		cat "$script"
	} >"$BENCH_DIR/scripts/$name.sh"
	echo "$BENCH_DIR/scripts/$name.sh"
}

# collect NAME [PREFIX]: adds the samples of the run NAME (its log) to
# $SAMPLES, their keys prefixed with PREFIX.
collect() {
	local log=$OUT_DIR/logs/$1.log
	[ -f "$log" ] || return 1
	# Only whole lines: a kernel message printed into a line spoils it.
	tr -d '\r' <"$log" | grep -a -E '^# BENCH [a-z0-9_.]+ -?[0-9]+(\.[0-9]+)?$' |
		awk -v n="$1" -v p="${2:-}" '{ printf "%s\t%s%s\t%s\n", n, p, $3, $4 }' >>"$SAMPLES"
	# A line spoiled by a kernel message loses a sample: with and without
	# must still pair up one for one.
	tr -d '\r' <"$log" | awk '$1 == "#" && $2 == "BENCH" && $3 ~ /_with(out)?_ns$/ {
			k = $3; sub(/_with(out)?_ns$/, "", k); c[k] += ($3 ~ /_without_ns$/) ? -1 : 1 }
		END { bad = 0; for (k in c) if (c[k] != 0) { print "unpaired: " k; bad = 1 }; exit bad }' >&2 || {
		log "$1: a with or a without sample was lost (a spoiled line?): its pairs are not collected"
		return 1
	}
}

# run_vms CLOCK JOBS NAME...: the copies NAME... in VMs (ci/vm.sh), JOBS at
# a time, with the guest's clock CLOCK; then collects the samples of those
# that passed (prefixed "wall." for the host's clock), and adds the others
# to FAILED.
run_vms() {
	local clock=$1 jobs=$2 name scripts=() out=$BENCH_DIR/vm-$1.out
	shift 2
	for name in "$@"; do scripts+=("$BENCH_DIR/scripts/$name.sh"); done
	step "benchmarks $* ($clock clock, $jobs VM(s) at a time)" \
		env RDNA1_FG_VM_CLOCK="$clock" RDNA1_FG_VM_JOBS="$jobs" "$CI_DIR/vm.sh" "${scripts[@]}" 2>&1 |
		tee "$out" || true
	for name in "$@"; do
		if grep -q "^\[ci [0-9:]*\] PASS $name " "$out" &&
			collect "$name" "$([ "$clock" = host ] && echo wall.)"; then
			continue
		fi
		FAILED+=("$name")
	done
}

# wanted NAME: whether this run includes the benchmark NAME.
wanted() { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }

main() {
	[ "$(id -u)" -eq 0 ] || die "the benchmarks need root (overlay mounts, chroot)"
	local name vms=() walls=()
	FAILED=()
	for name in ${BENCH_ONLY:-}; do
		[ "$name" = wall ] || [ -f "$CI_DIR/bench/$name.sh" ] || die "no benchmark ci/bench/$name.sh"
	done
	mkdir -p "$BENCH_DIR"
	rm -f "$SAMPLES" "$SYMBOLS"
	describe_machine
	step "build rdna1_fg.ko, the packages and the guest's clock (in an overlay of the build root)" build
	struct_sizes
	footprint
	if wanted install-cost; then
		copy_bench "$CI_DIR/bench/install-cost.sh" install-cost >/dev/null
		if step "benchmark install-cost (alone)" "$CI_DIR/chroot.sh" "$BENCH_DIR/scripts/install-cost.sh"; then
			collect install-cost
		else
			FAILED+=(install-cost)
		fi
	fi
	for name in "$CI_DIR"/bench/vm-*.sh; do
		name=$(basename "$name" .sh)
		wanted "$name" || continue
		copy_bench "$CI_DIR/bench/$name.sh" "$name" >/dev/null
		vms+=("$name")
	done
	[ ${#vms[@]} -eq 0 ] || run_vms icount 2 "${vms[@]}"
	if [ -z "${BENCH_ONLY:-}" ] || wanted wall; then
		for name in vm-amdgpu-load vm-readers; do
			copy_bench "$CI_DIR/bench/$name.sh" "$name-wall" PAIRS_MIN="$WALL_PAIRS" \
				BENCH_LOAD_PAIRS_MAX="$WALL_PAIRS" BENCH_READ_PAIRS_MAX="$WALL_PAIRS" >/dev/null
			walls+=("$name-wall")
		done
		run_vms host 1 "${walls[@]}"
	fi
	meta host_load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
	meta run_seconds "$SECONDS"
	# A failed benchmark's samples are left out; the report says it failed.
	[ ${#FAILED[@]} -eq 0 ] || meta failed "${FAILED[*]}"
	step "report" cargo run --quiet --release --locked -p rdna1-fg-bench -- \
		--samples "$SAMPLES" --ci-times "$BENCH_CI_TIMES" --symbols "$SYMBOLS" \
		--markdown "$BENCH_REPORT_DIR/BENCHMARKS.md" --svg "$BENCH_REPORT_DIR/BENCHMARKS.svg"
	log "samples: $SAMPLES; report: $BENCH_REPORT_DIR/BENCHMARKS.md, $BENCH_REPORT_DIR/BENCHMARKS.svg"
	[ ${#FAILED[@]} -eq 0 ] || die "benchmark(s) failed: ${FAILED[*]} (logs in $OUT_DIR/logs/); the report lacks their figures"
}

main "$@"
