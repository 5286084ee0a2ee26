#!/bin/bash
# The QEMU half of the test suite, for each kernel target (RDNA1_FG_TARGETS,
# default: ci/targets/default.list): resolve the targets against the archive
# (ci/resolve.sh: which kernel each suite and flavour has now, and its
# toolchain), then for each target that resolves to a kernel rdna1_fg can be
# built for, prepare (or reuse) the build root and Debian's kernel, build
# rdna1_fg.ko and the package, and boot one VM per scenario in ci/scenarios/
# and run each scenario of ci/chroot-scenarios/ in a chroot of the build root
# (or only the scenarios named as arguments). A skipped target gets one line
# that says why. Ends with the boot failures and flaky boots of all targets
# (with their guest logs) and two lines counting them and the scenarios.
RDNA1_FG_LIB_NO_TARGET=1
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
targets=${RDNA1_FG_TARGETS:-$DEFAULT_TARGETS}
# shellcheck disable=SC2086
"$CI_DIR/resolve.sh" $targets
"$CI_DIR/compat-table.sh" --check
if [ $# -eq 0 ]; then
	for f in "$CI_DIR"/scenarios/*.sh "$CI_DIR"/chroot-scenarios/*.sh; do set -- "$@" "$(basename "$f" .sh)"; done
fi
vm=()
chroot=()
for name in "$@"; do
	if [ -f "$CI_DIR/chroot-scenarios/$name.sh" ]; then chroot+=("$name"); else vm+=("$name"); fi
done

# run_target primary|other: build, then every VM scenario (those marked
# "# targets: primary" on the primary target only), then (on the
# primary target only: they test the packaging, not the kernel, and prepare
# a whole kernel tree natively) every chroot scenario, which runs even when a
# VM scenario failed. RDNA1_FG_PACKAGING_ALL=1 runs both kinds on every target.
run_target() {
	"$CI_DIR/buildroot.sh" && "$CI_DIR/build-module.sh" && "$CI_DIR/build-deb.sh" || return 1
	local r=0
	local run=() name
	for name in "${vm[@]}"; do
		# "# targets: primary": the packaging scenario, whose DKMS build under
		# TCG is the suite's longest step; the module build itself is covered
		# on every target by build-module.sh (the Makefile DKMS runs).
		if [ "$1" != primary ] && grep -q '^# targets: primary$' "$CI_DIR/scenarios/$name.sh"; then continue; fi
		run+=("$name")
	done
	if [ ${#run[@]} -gt 0 ]; then "$CI_DIR/vm.sh" "${run[@]}" || r=1; fi
	if [ ${#chroot[@]} -gt 0 ] && [ "$1" = primary ]; then "$CI_DIR/chroot.sh" "${chroot[@]}" || r=1; fi
	return "$r"
}

passed=0
failed=0
flaky=0
boot_failed=0
notes=()
failures=()
status=0
for target in $targets; do
	export RDNA1_FG_TARGET=$target
	kernel=$(resolved_field "$target" KREL)
	if [ "$(resolved_field "$target" STATUS)" != tested ]; then
		echo "== kernel target $target: skipped: $(resolved_field "$target" SKIP_REASON)"
		continue
	fi
	echo "== kernel target: $target (kernel $kernel)"
	log=$(mktemp)
	rc=0
	role=other
	load_target_file "$target"
	# A kernel built here (BUILD_FROM: the debug kernel) has no Debian
	# packages for the packaging scenarios to install against: never primary.
	if [ -z "$BUILD_FROM" ]; then
		if [ -z "${primary_done:-}" ] || [ "${RDNA1_FG_PACKAGING_ALL:-0}" = 1 ]; then role=primary; fi
		primary_done=1
	fi
	expected=0
	for name in "${vm[@]}"; do
		if [ "$role" = primary ] || ! grep -q '^# targets: primary$' "$CI_DIR/scenarios/$name.sh"; then expected=$((expected + 1)); fi
	done
	if [ "$role" = primary ]; then expected=$((expected + ${#chroot[@]})); fi
	run_target "$role" 2>&1 | tee "$log" || rc=$?
	# vm.sh and chroot.sh each end with "scenarios: N passed, M failed"
	# (vm.sh also with "boots: F flaky, B failed"); a runner that did not get
	# to its count line counts its scenarios as failed.
	counts=$(sed -n 's/^scenarios: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log")
	boots=$(sed -n 's/^boots: \([0-9]*\) flaky, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -n 1)
	mapfile -t -O "${#notes[@]}" notes < <(grep -E '^(flaky boot|boot failure): ' "$log" || true)
	# Each failed scenario, named again at the end (a long run's output is
	# often read from its tail only).
	mapfile -t -O "${#failures[@]}" failures < <(sed -n "s/^\[ci [0-9:]*\] \(FAIL\(ED\)\{0,1\}:\{0,1\} .*\)/$target: \1/p" "$log")
	rm -f "$log"
	ran=0
	if [ -n "$counts" ]; then
		while read -r p f; do
			passed=$((passed + p))
			failed=$((failed + f))
			ran=$((ran + p + f))
		done <<<"$counts"
	fi
	failed=$((failed + expected - ran))
	if [ -n "$boots" ]; then
		flaky=$((flaky + ${boots% *}))
		boot_failed=$((boot_failed + ${boots#* }))
	fi
	if [ "$rc" -ne 0 ]; then
		echo "== kernel target $target (kernel $kernel): FAILED (exit $rc)"
		status=1
	fi
done
if [ ${#notes[@]} -gt 0 ]; then printf '%s\n' "${notes[@]}"; fi
for line in "${failures[@]}"; do
	echo "failed: $line"
	# and the checks that failed in it, from its log
	path=$(sed -n 's/.*(\(guest \)\{0,1\}log: \([^)]*\)).*/\2/p' <<<"$line")
	if [ -n "$path" ] && [ -f "$path" ]; then grep -a -m 10 -E '^not ok [0-9]+' "$path" | sed 's/^/    /' || true; fi
done
echo "total boots: $flaky flaky, $boot_failed failed"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
