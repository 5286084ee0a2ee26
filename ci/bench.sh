#!/bin/bash
# Benchmarks (make bench; not part of make test), for the primary target
# (RDNA1_FG_TARGET, default: the first of ci/targets/default.list, with its
# last resolution; resolved by ci/resolve.sh when it has none):
#   1. build rdna1_fg.ko and the packages, in a throwaway overlay of the
#      build root (the cached build root is never changed);
#   2. run each benchmark of ci/bench/ (BENCH_ONLY: only those named): the
#      vm-*.sh ones in one VM each (ci/vm.sh, one VM at a time), the others
#      in a chroot of the build root (ci/chroot.sh); each prints its raw
#      samples as "# BENCH KEY VALUE" lines;
#   3. collect the samples, with a description of the machine, into
#      ci/out/bench/samples.tsv, and write BENCHMARKS.md and
#      BENCHMARKS.svg from them with the report generator (bench/).
#
# Counts (defaults in parentheses): BENCH_RELOADS (30) amdgpu reloads for the
# time to effect; BENCH_LOADS (10) amdgpu loads with and as many without
# rdna1_fg; BENCH_READ_ROUNDS (20) rounds of BENCH_READ_SECONDS (2) of reads
# with and as many without; BENCH_FOOTPRINT_CYCLES (10) load/unload cycles;
# BENCH_DKMS_RUNS (3) DKMS builds and installs; BENCH_AMDGPU_RUNS (1) amdgpu
# rebuilds. BENCH_AMDGPU_DIR: the directory rebuilt (default
# drivers/gpu/drm/amd/amdgpu; a smaller one to try the benchmark quickly).
# BENCH_CI_TIMES: the file of separately measured .ci/run times
# (default ci/bench/ci-times.tsv; see ci/bench/time-ci.sh).
# BENCH_NOTE: a sentence about the run for the report (e.g. what else ran
# on the machine meanwhile).
# BENCH_REPORT_DIR: where BENCHMARKS.md and BENCHMARKS.svg go (default: the
# top of the checkout).
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

export RDNA1_FG_VM_JOBS=1
BENCH_DIR=$REPO_DIR/ci/out/bench
SAMPLES=$BENCH_DIR/samples.tsv
COUNTS="BENCH_RELOADS BENCH_LOADS BENCH_READ_ROUNDS BENCH_READ_SECONDS BENCH_FOOTPRINT_CYCLES
 BENCH_DKMS_RUNS BENCH_AMDGPU_RUNS BENCH_AMDGPU_DIR"
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
	meta vm "TCG (no KVM), thread=${RDNA1_FG_TCG_THREAD:-single}, -smp 2, -m 2048, -cpu max, one VM at a time"
	local v
	for v in $COUNTS; do
		[ -z "${!v:-}" ] || meta "count.$v" "${!v}"
	done
}

# The module and the packages, built in a throwaway overlay of the build root.
build() {
	local work
	work=$(mktemp -d /var/tmp/rdna1_fg-bench-build.XXXXXX)
	overlay_root "$work"
	local rc=0
	RDNA1_FG_ROOT=$work/merged "$CI_DIR/build-module.sh" &&
		RDNA1_FG_ROOT=$work/merged "$CI_DIR/build-deb.sh" || rc=$?
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
		[ -n "$size" ] && printf 'host\tstruct_bytes.%s\t%d\n' "$name" "$((16#$size))" >>"$SAMPLES"
	done
}

# run_bench SCRIPT: runs it (a copy with the counts set first), then adds its
# samples to $SAMPLES.
run_bench() {
	local script=$1 name copy v log
	name=$(basename "$script" .sh)
	copy=$BENCH_DIR/scripts/$name.sh
	mkdir -p "$BENCH_DIR/scripts"
	{
		echo "# $name: ci/bench/$name.sh with the counts of this run (written by ci/bench.sh)"
		for v in $COUNTS; do
			[ -z "${!v:-}" ] || printf '%s=%q\n' "$v" "${!v}"
		done
		cat "$script"
	} >"$copy"
	case $name in
	vm-*) "$CI_DIR/vm.sh" "$copy" ;;
	*) "$CI_DIR/chroot.sh" "$copy" ;;
	esac || return 1
	log=$OUT_DIR/logs/$name.log
	# Only whole lines: a kernel message printed into a line spoils it.
	tr -d '\r' <"$log" | grep -a -E '^# BENCH [a-z0-9_.]+ [0-9]+(\.[0-9]+)?$' |
		awk -v n="$name" '{ printf "%s\t%s\t%s\n", n, $3, $4 }' >>"$SAMPLES"
}

main() {
	[ "$(id -u)" -eq 0 ] || die "the benchmarks need root (overlay mounts, chroot)"
	local scripts=() name
	if [ -n "${BENCH_ONLY:-}" ]; then
		for name in $BENCH_ONLY; do
			[ -f "$CI_DIR/bench/$name.sh" ] || die "no benchmark ci/bench/$name.sh"
			scripts+=("$CI_DIR/bench/$name.sh")
		done
	else
		# The longest first: the install benchmark rebuilds amdgpu.
		scripts=("$CI_DIR/bench/install-cost.sh" "$CI_DIR"/bench/vm-*.sh)
	fi
	mkdir -p "$BENCH_DIR"
	rm -f "$SAMPLES"
	describe_machine
	step "build rdna1_fg.ko and the packages (in an overlay of the build root)" build
	struct_sizes
	local failed=()
	for name in "${scripts[@]}"; do
		step "benchmark $(basename "$name" .sh)" run_bench "$name" || failed+=("$(basename "$name" .sh)")
	done
	meta host_load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
	# A failed benchmark's samples are left out; the report says it failed.
	[ ${#failed[@]} -eq 0 ] || meta failed "${failed[*]}"
	step "report" cargo run --quiet --release --locked -p rdna1-fg-bench -- \
		--samples "$SAMPLES" --ci-times "$BENCH_CI_TIMES" \
		--markdown "$BENCH_REPORT_DIR/BENCHMARKS.md" --svg "$BENCH_REPORT_DIR/BENCHMARKS.svg"
	log "samples: $SAMPLES; report: $BENCH_REPORT_DIR/BENCHMARKS.md, $BENCH_REPORT_DIR/BENCHMARKS.svg"
	[ ${#failed[@]} -eq 0 ] || die "benchmark(s) failed: ${failed[*]} (logs in $OUT_DIR/logs/); the report lacks their figures"
}

main "$@"
