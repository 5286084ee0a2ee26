#!/bin/bash
# The QEMU half of the test suite, for each kernel target (RDNA1_FG_TARGETS,
# default: ci/targets/default.list): resolve the targets against the archive
# (ci/resolve.sh: which kernel each suite and flavour has now, and its
# toolchain), then for each target that resolves to a kernel rdna1_fg can be
# built for, prepare (or reuse) the build root and Debian's kernel, build
# rdna1_fg.ko (and, on the primary target, the packages), and run every
# scenario of ci/scenarios/ in QEMU and, on the primary target, every
# scenario of ci/chroot-scenarios/ in a chroot of the build root (or only
# the scenarios named as arguments). A skipped target gets one line that
# says why.
#
# One queue for all targets: the targets are prepared one after the other
# in the background, and each target's boots (ci/vm.sh --plan) join the
# queue as soon as it is ready, so that the next target's build root is made
# while the VMs of the first run. Up to RDNA1_FG_VM_JOBS boots and chroot
# scenarios run at a time, the longest first (by their wall time in the
# last run, else by their time limit: ci/lib.sh, queue_priority).
#
# Counts: the primary target (the first of Debian's kernels) runs the
# stress scenarios with their "bounded" counts, every other target with
# their "smoke" counts (RDNA1_FG_STRESS overrides both: make stress sets
# "full"); see ci/guest/lib.sh, scaled.
#
# Ends with the boot failures and flaky boots of all targets (with their
# guest logs), the failed scenarios with their failed checks, and two lines
# counting them and the scenarios.
RDNA1_FG_LIB_NO_TARGET=1
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
targets=${RDNA1_FG_TARGETS:-$DEFAULT_TARGETS}
# shellcheck disable=SC2086
"$CI_DIR/resolve.sh" $targets
"$CI_DIR/compat-table.sh" --check
explicit=$#
if [ $# -eq 0 ]; then
	for f in "$CI_DIR"/scenarios/*.sh "$CI_DIR"/chroot-scenarios/*.sh; do set -- "$@" "$(basename "$f" .sh)"; done
fi
vm=()
chroot=()
for name in "$@"; do
	if [ -f "$CI_DIR/chroot-scenarios/$name.sh" ]; then chroot+=("$name"); else vm+=("$name"); fi
done
# A chroot scenario that makes the root file system of a VM scenario
# ("# root: NAME") runs as part of that scenario's boot, not on its own.
for name in "${vm[@]}"; do
	root=$(sed -n 's/^# root: \([a-z0-9-]*\)$/\1/p' "$CI_DIR/scenarios/$name.sh" 2>/dev/null)
	[ -n "$root" ] || continue
	for i in "${!chroot[@]}"; do [ "${chroot[i]}" != "$root" ] || unset "chroot[i]"; done
done
chroot=("${chroot[@]}")
VM_JOBS=${RDNA1_FG_VM_JOBS:-$(($(nproc) < 4 ? $(nproc) : 4))}
QUEUE=$(mktemp -d /var/tmp/rdna1_fg-test.XXXXXX)
touch "$QUEUE/queue"

# The targets that run, and the role of each: the first of Debian's kernels
# is the primary (packaging scenarios, bounded counts); a kernel built here
# (BUILD_FROM: the debug kernel) has no Debian packages to install against,
# so it is never the primary.
run_targets=()
declare -A role=()
for target in $targets; do
	if [ "$(resolved_field "$target" STATUS)" != tested ]; then
		echo "== kernel target $target: skipped: $(resolved_field "$target" SKIP_REASON)"
		continue
	fi
	run_targets+=("$target")
	role[$target]=other
	if ! grep -q '^BUILD_FROM=.' "$CI_DIR/targets/$target.env"; then
		if [ -z "${primary_done:-}" ] || [ "${RDNA1_FG_PACKAGING_ALL:-0}" = 1 ]; then role[$target]=primary; fi
		primary_done=1
	fi
done

# scenarios_of TARGET: the VM scenarios the target runs (those marked
# "# targets: primary" on the primary target only).
scenarios_of() {
	local name
	for name in "${vm[@]}"; do
		if [ "${role[$1]}" != primary ] && grep -q '^# targets: primary$' "$CI_DIR/scenarios/$name.sh"; then continue; fi
		echo "$name"
	done
}

# prepare TARGET: its build root, module and (primary) packages; then its
# boots and chroot scenarios join the queue.
prepare() {
	local target=$1 stress limit line name tag
	export RDNA1_FG_TARGET=$target
	"$CI_DIR/buildroot.sh" && "$CI_DIR/build-module.sh" || return 1
	stress=${RDNA1_FG_STRESS:-$([ "${role[$target]}" = primary ] && echo bounded || echo smoke)}
	mapfile -t names < <(scenarios_of "$target")
	# The packages, for the chroot scenarios and the booted userland.
	if { [ "${role[$target]}" = primary ] && [ ${#chroot[@]} -gt 0 ]; } ||
		(cd "$CI_DIR/scenarios" && grep -q '^# needs: userland$' "${names[@]/%/.sh}" /dev/null); then
		"$CI_DIR/build-deb.sh" || return 1
	fi
	if [ ${#names[@]} -gt 0 ]; then
		RDNA1_FG_STRESS=$stress "$CI_DIR/vm.sh" --plan "${names[@]}" | while read -r limit line; do
			tag=$target:${line%% *}:$stress
			echo "$(queue_priority "$tag" "$limit") $tag RDNA1_FG_TARGET=$target RDNA1_FG_STRESS=$stress $CI_DIR/vm.sh --run $line"
		done >>"$QUEUE/queue"
	fi
	if [ "${role[$target]}" = primary ]; then
		for name in "${chroot[@]}"; do
			limit=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$CI_DIR/chroot-scenarios/$name.sh")
			echo "$(queue_priority "$target:$name:chroot" "${limit:-900}") $target:$name:chroot RDNA1_FG_TARGET=$target $CI_DIR/chroot.sh $name" >>"$QUEUE/queue"
		done
	fi
}

# The preparer: one target after the other, in the background.
(
	for target in "${run_targets[@]}"; do
		log "== kernel target $target ($(resolved_field "$target" KREL)): preparing (log: $QUEUE/prepare-$target.log)"
		if prepare "$target" >"$QUEUE/prepare-$target.log" 2>&1; then
			grep -E '^\[ci [0-9:]*\] (done|FAILED)|layout equals' "$QUEUE/prepare-$target.log" >&2 || true
			log "== kernel target $target: ready, its boots are queued"
		else
			tail -n 30 "$QUEUE/prepare-$target.log" >&2
			log "== kernel target $target: FAILED to prepare (log above)"
			touch "$QUEUE/failed-$target"
		fi
	done
	touch "$QUEUE/queue.closed"
) &
preparer=$!
run_queue "$VM_JOBS" "$QUEUE"
# (The queue closes when the preparer is done; it may be reaped already.)
wait "$preparer" 2>/dev/null || true

passed=0
failed=0
status=0
outs=()
failures=()
for target in "${run_targets[@]}"; do
	kernel=$(resolved_field "$target" KREL)
	expected=$(scenarios_of "$target" | wc -l)
	if [ "${role[$target]}" = primary ]; then expected=$((expected + ${#chroot[@]})); fi
	# and the chroot scenarios that run in the boots of "# root:" scenarios
	for name in $(scenarios_of "$target"); do
		if grep -q '^# root: ' "$CI_DIR/scenarios/$name.sh"; then expected=$((expected + 1)); fi
	done
	mine=()
	for f in "$QUEUE"/*.tag; do
		[ -f "$f" ] && [ "$(cut -d: -f1 "$f")" = "$target" ] && mine+=("${f%.tag}.out")
	done
	# A run that did not get to its count line counts its scenarios as failed.
	summary=$(summarize_runs "${mine[@]}" || true)
	p=0 f=0
	read -r p f < <(sed -n 's/^scenarios: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' <<<"$summary") || true
	passed=$((passed + p))
	failed=$((failed + f + expected - p - f))
	outs+=("${mine[@]}")
	mapfile -t -O "${#failures[@]}" failures < <(cat "${mine[@]}" /dev/null | sed -n "s/^\[ci [0-9:]*\] \(\(BOOT \)\{0,1\}FAIL\(ED\)\{0,1\}:\{0,1\} .*\)/$target: \1/p")
	if [ -f "$QUEUE/failed-$target" ] || [ $((expected - p - f)) -ne 0 ] || [ "$f" -ne 0 ]; then
		echo "== kernel target $target (kernel $kernel): FAILED ($p passed, $((expected - p)) failed)"
		status=1
	else
		echo "== kernel target $target (kernel $kernel): $p passed"
	fi
done
summary=$(summarize_runs "${outs[@]}" || true)
grep -E '^(flaky boot|boot failure): ' <<<"$summary" || true
for line in "${failures[@]}"; do
	echo "failed: $line"
	# and the checks that failed in it, from its log
	path=$(sed -n 's/.*(\(guest \)\{0,1\}log: \([^)]*\)).*/\2/p' <<<"$line")
	if [ -n "$path" ] && [ -f "$path" ]; then grep -a -m 10 -E '^not ok [0-9]+' "$path" | sed 's/^/    /' || true; fi
done
echo "total $(grep '^boots: ' <<<"$summary" | sed 's/^boots/boots/')"
[ "$explicit" -gt 0 ] || [ ${#run_targets[@]} -gt 0 ] || {
	echo "no kernel target could be tested"
	status=1
}
rm -rf "$QUEUE"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
