#!/bin/bash
# Boot each kernel target (RDNA1_FG_TARGETS, default: ci/targets/default.list;
# skipped targets are said and left out) N times (first argument, default 100) with Debian's amdgpu
# loaded and without rdna1_fg, RDNA1_FG_VM_JOBS VMs at a time, and count the
# boots that failed. Each boot is ci/vm.sh running ci/soak/amdgpu-boot.sh, with
# the test VMs' QEMU command line and no retry. Exits non-zero if any failed.
RDNA1_FG_LIB_NO_TARGET=1
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
n=${1:-100}
[[ $n =~ ^[1-9][0-9]*$ ]] || {
	echo "usage: ci/boot-soak.sh [N]" >&2
	exit 2
}
targets=${RDNA1_FG_TARGETS:-$DEFAULT_TARGETS}
# shellcheck disable=SC2086
"$CI_DIR/resolve.sh" $targets

results=()
status=0
for target in $targets; do
	export RDNA1_FG_TARGET=$target
	if [ "$(resolved_field "$target" STATUS)" != tested ]; then
		results+=("$target: skipped: $(resolved_field "$target" SKIP_REASON)")
		continue
	fi
	echo "== kernel target: $target (kernel $(resolved_field "$target" KREL)), $n boots"
	"$CI_DIR/buildroot.sh"
	log=$(mktemp)
	start=$(date +%s)
	"$CI_DIR/vm.sh" --repeat "$n" "$CI_DIR/soak/amdgpu-boot.sh" 2>&1 | tee "$log" || status=1
	wall=$(($(date +%s) - start))
	# vm.sh's summary: "boots: 0 flaky, B failed" (before the soak scenario
	# began) and "scenarios: P passed, F failed" (F includes B).
	boot_failed=$(sed -n 's/^boots: [0-9]* flaky, \([0-9]*\) failed$/\1/p' "$log")
	failed=$(sed -n 's/^scenarios: [0-9]* passed, \([0-9]*\) failed$/\1/p' "$log")
	jobs=$(sed -n 's/.* VM(s) of kernel .*, \([0-9]*\) at a time$/\1/p' "$log")
	vm_secs=$(sed -n 's/.* PASS amdgpu-boot\.[0-9]* (\([0-9]*\)s)$/\1/p' "$log" |
		awk '{ s += $1; c++ } END { if (c) printf "%.1f", s / c; else print "-" }')
	rm -f "$log"
	if [ -z "$failed" ] || [ -z "$boot_failed" ]; then
		results+=("$target: $n boots, all failed (no summary from vm.sh); wall $wall s")
		status=1
		continue
	fi
	per_boot=$(awk -v w="$wall" -v n="$n" 'BEGIN { printf "%.1f", w / n }')
	results+=("$target: $n boots, $failed failed ($boot_failed before the scenario began, $((failed - boot_failed)) after); wall $wall s with $jobs VMs at a time, $per_boot s per boot; $vm_secs s per passed boot in its VM")
done
echo "== boot soak"
printf '%s\n' "${results[@]}"
exit "$status"
