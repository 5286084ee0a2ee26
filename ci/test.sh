#!/bin/bash
# The QEMU half of the test suite, for each kernel target (RDNA1_FG_TARGETS,
# default: the primary sid kernel, then trixie-backports): prepare (or reuse)
# the build root and Debian's kernel, build rdna1_fg.ko and the package, and
# boot one VM per scenario in ci/scenarios/ (or only the scenarios named as
# arguments). Ends with one line counting the scenarios of all targets.
set -euo pipefail
CI_DIR=$(cd "$(dirname "$0")" && pwd)
targets=${RDNA1_FG_TARGETS:-sid trixie-backports}
if [ $# -eq 0 ]; then
	set -- $(cd "$CI_DIR/scenarios" && ls -- *.sh | sed 's/\.sh$//')
fi

passed=0
failed=0
for target in $targets; do
	export RDNA1_FG_TARGET=$target
	echo "== kernel target: $target"
	log=$(mktemp)
	rc=0
	{ "$CI_DIR/buildroot.sh" && "$CI_DIR/build-module.sh" && "$CI_DIR/build-deb.sh" &&
		"$CI_DIR/vm.sh" "$@"; } 2>&1 | tee "$log" || rc=$?
	# vm.sh ends with "scenarios: N passed, M failed"; a failure before it
	# counts every scenario of this target as failed.
	counts=$(sed -n 's/^scenarios: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -n 1)
	rm -f "$log"
	if [ -n "$counts" ]; then
		passed=$((passed + ${counts% *}))
		failed=$((failed + ${counts#* }))
	else
		failed=$((failed + $#))
	fi
	[ "$rc" -eq 0 ] || echo "== kernel target $target: FAILED (exit $rc)"
done
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
