#!/bin/bash
# The QEMU half of the test suite, for each kernel target (RDNA1_FG_TARGETS,
# default: the primary sid kernel, then trixie-backports): prepare (or reuse)
# the build root and Debian's kernel, build rdna1_fg.ko and the packages (the
# tool on this host), boot one VM per scenario in ci/scenarios/ and run each
# scenario of ci/chroot-scenarios/ in a chroot of the build root (or only the
# scenarios named as arguments). Ends with one line counting the scenarios
# of all targets.
set -euo pipefail
CI_DIR=$(cd "$(dirname "$0")" && pwd)
targets=${RDNA1_FG_TARGETS:-sid trixie-backports}
if [ $# -eq 0 ]; then
	set -- $(cd "$CI_DIR/scenarios" && ls -- *.sh | sed 's/\.sh$//') \
		$(cd "$CI_DIR/chroot-scenarios" && ls -- *.sh | sed 's/\.sh$//')
fi
vm=()
chroot=()
for name in "$@"; do
	if [ -f "$CI_DIR/chroot-scenarios/$name.sh" ]; then chroot+=("$name"); else vm+=("$name"); fi
done

# run_target: build, then every VM scenario, then every chroot scenario
# (these run even when a VM scenario failed).
run_target() {
	"$CI_DIR/buildroot.sh" && "$CI_DIR/build-module.sh" && "$CI_DIR/build-deb.sh" || return 1
	local r=0
	if [ ${#vm[@]} -gt 0 ]; then "$CI_DIR/vm.sh" "${vm[@]}" || r=1; fi
	if [ ${#chroot[@]} -gt 0 ]; then "$CI_DIR/chroot.sh" "${chroot[@]}" || r=1; fi
	return "$r"
}

passed=0
failed=0
for target in $targets; do
	export RDNA1_FG_TARGET=$target
	echo "== kernel target: $target"
	log=$(mktemp)
	rc=0
	run_target 2>&1 | tee "$log" || rc=$?
	# vm.sh and chroot.sh each end with "scenarios: N passed, M failed"; a
	# failure before them counts every scenario of this target as failed.
	counts=$(sed -n 's/^scenarios: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log")
	rm -f "$log"
	if [ -n "$counts" ]; then
		while read -r p f; do
			passed=$((passed + p))
			failed=$((failed + f))
		done <<<"$counts"
		# A runner that did not get to its count line: its scenarios failed.
		ran=$(awk '{ n += $1 + $2 } END { print n }' <<<"$counts")
		failed=$((failed + $# - ran))
	else
		failed=$((failed + $#))
	fi
	[ "$rc" -eq 0 ] || echo "== kernel target $target: FAILED (exit $rc)"
done
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
