#!/bin/bash
# The QEMU half of the test suite, for each kernel target (RDNA1_FG_TARGETS,
# default: the primary sid kernel, then trixie-backports): prepare (or reuse)
# the build root and Debian's kernel, build rdna1_fg.ko and the package, and
# boot one VM per scenario in ci/scenarios/ (or only the scenarios named as
# arguments). Ends with the boot failures and flaky boots of all targets
# (with their guest logs) and two lines counting them and the scenarios.
set -euo pipefail
CI_DIR=$(cd "$(dirname "$0")" && pwd)
targets=${RDNA1_FG_TARGETS:-sid trixie-backports}
if [ $# -eq 0 ]; then
	for f in "$CI_DIR"/scenarios/*.sh; do set -- "$@" "$(basename "$f" .sh)"; done
fi

passed=0
failed=0
flaky=0
boot_failed=0
notes=()
status=0
for target in $targets; do
	export RDNA1_FG_TARGET=$target
	echo "== kernel target: $target"
	log=$(mktemp)
	rc=0
	{ "$CI_DIR/buildroot.sh" && "$CI_DIR/build-module.sh" && "$CI_DIR/build-deb.sh" &&
		"$CI_DIR/vm.sh" "$@"; } 2>&1 | tee "$log" || rc=$?
	# vm.sh ends with "boots: F flaky, B failed" and "scenarios: N passed,
	# M failed"; a failure before them counts every scenario of this target
	# as failed.
	counts=$(sed -n 's/^scenarios: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -n 1)
	boots=$(sed -n 's/^boots: \([0-9]*\) flaky, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -n 1)
	mapfile -t -O "${#notes[@]}" notes < <(grep -E '^(flaky boot|boot failure): ' "$log" || true)
	rm -f "$log"
	if [ -n "$counts" ] && [ -n "$boots" ]; then
		passed=$((passed + ${counts% *}))
		failed=$((failed + ${counts#* }))
		flaky=$((flaky + ${boots% *}))
		boot_failed=$((boot_failed + ${boots#* }))
	else
		failed=$((failed + $#))
	fi
	if [ "$rc" -ne 0 ]; then
		echo "== kernel target $target: FAILED (exit $rc)"
		status=1
	fi
done
if [ ${#notes[@]} -gt 0 ]; then printf '%s\n' "${notes[@]}"; fi
echo "total boots: $flaky flaky, $boot_failed failed"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
