#!/bin/bash
# Run the scenarios that need a Debian userland but not a booted kernel
# (ci/chroot-scenarios/): natively, in a chroot of the build root under a
# throwaway overlay, so that the build root itself is never changed. Each
# gets the packages of $OUT_DIR in /ci/ and the kernel release in
# RDNA1_FG_KREL (uname -r there is this host's kernel).
#
# Usage: ci/chroot.sh [--keep DIR] SCENARIO...
#   SCENARIO: the name of a file in ci/chroot-scenarios/ (without .sh), or
#   the path of a script (ci/bench/ has some).
#   --keep DIR: keep what one SCENARIO changed in the build root (its
#   overlay's upper directory, without /ci) as DIR, when it passed: a layer
#   that ci/vm.sh mounts over the build root for a "# root:" scenario.
# Prints the scenario's own lines and keeps its log in $OUT_DIR/logs/; ends
# with "scenarios: N passed, M failed" as ci/vm.sh does.
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

LIMIT=${RDNA1_FG_CHROOT_TIMEOUT:-900}
LOG_DIR=$OUT_DIR/logs
KEEP=

WORK=
# Everything mounted for a scenario goes away with its overlay.
cleanup() {
	[ -n "$WORK" ] || return 0
	overlay_root_remove "$WORK"
	WORK=
}
trap cleanup EXIT

# run_one SCENARIO: returns non-zero on failure.
run_one() {
	local script name log rc=0 start=$SECONDS
	case $1 in
	*/*) script=$1 ;;
	*) script=$CI_DIR/chroot-scenarios/$1.sh ;;
	esac
	[ -f "$script" ] || die "no scenario $script"
	name=$(basename "$script" .sh)
	log=$LOG_DIR/$name.log
	mkdir -p "$LOG_DIR"
	WORK=$(mktemp -d /var/tmp/rdna1_fg-chroot.XXXXXX)
	overlay_root "$WORK"
	local new=$WORK/merged
	mkdir -p "$new/ci"
	cp "$CI_DIR/guest/lib.sh" "$new/ci/lib.sh"
	cp "$script" "$new/ci/scenario.sh"
	cp "$OUT_DIR"/*.deb "$new/ci/"
	# A scenario may ask for more time: "# timeout: SECONDS". (No
	# --foreground: the signal goes to every process of the scenario.)
	local limit
	limit=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$script")
	limit=${limit:-$LIMIT}
	timeout -k 10 "$limit" chroot "$new" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive RDNA1_FG_KREL="$KREL" \
		bash /ci/scenario.sh </dev/null >"$log" 2>&1 || rc=$?
	if [ -n "$KEEP" ] && [ "$rc" -eq 0 ]; then
		umount -R -l "$new"
		rm -rf "$WORK/upper/ci"
		mv "$WORK/upper" "$KEEP"
	fi
	cleanup
	ktap_lines "$log"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		log "FAIL $name: timed out after ${limit}s (log: $log)"
		return 1
	fi
	local verdict
	if ! verdict=$(ktap_verdict "$log"); then
		log "FAIL $name: $verdict (log: $log)"
		return 1
	fi
	if [ "$rc" -ne 0 ]; then
		log "FAIL $name: exit $rc (log: $log)"
		return 1
	fi
	log "PASS $name ($((SECONDS - start))s)"
}

main() {
	if [ "${1:-}" = --keep ]; then
		[ $# -eq 3 ] || die "usage: ci/chroot.sh --keep DIR SCENARIO (one scenario)"
		KEEP=$2
		shift 2
	fi
	[ $# -gt 0 ] || die "usage: ci/chroot.sh [--keep DIR] SCENARIO..."
	[ "$(id -u)" -eq 0 ] || die "the chroot scenarios need root (overlay mounts, chroot)"
	[ -d "$ROOT_DIR/usr" ] || die "no build root at $ROOT_DIR: run ci/buildroot.sh first"
	ls "$OUT_DIR"/rdna1-fg-dkms_*_all.deb >/dev/null 2>&1 || die "no package in $OUT_DIR: run ci/build-deb.sh first"
	local name ok=0 bad=0
	for name in "$@"; do
		if run_one "$name"; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
	echo "scenarios: $ok passed, $bad failed"
	[ "$bad" -eq 0 ]
}

main "$@"
