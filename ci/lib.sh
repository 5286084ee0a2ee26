# shellcheck shell=bash
# Its variables are used by the scripts that source it.
# shellcheck disable=SC2034
# Shared helpers for the ci/ scripts: logging with timings, clear failures,
# target selection, the cache layout and the Debian mirror lookup.
#
# Sourcing it selects the kernel target RDNA1_FG_TARGET (default: the first
# of ci/targets/default.list) and loads its last resolution (ci/resolve.sh;
# run here when there is none), unless RDNA1_FG_LIB_NO_TARGET=1 is set in the
# sourcing shell (not exported): then only the helpers are defined.

set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

CI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$CI_DIR/.." && pwd)

# Targets: files in ci/targets/ that name a suite and a kernel flavour; the
# versions are resolved at run time (ci/resolve.sh) into $RESOLVED_DIR.
DEFAULT_TARGETS=$(grep -v -E '^[[:space:]]*(#|$)' "$CI_DIR/targets/default.list" | xargs)
RESOLVED_DIR=$REPO_DIR/ci/out/targets
RESOLVED_SUMMARY=$REPO_DIR/ci/out/targets.resolved
RDNA1_FG_CACHE=${RDNA1_FG_CACHE:-/var/cache/rdna1_fg}

log() { printf '[ci %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

die() {
	printf '[ci] ERROR: %s\n' "$*" >&2
	exit 1
}

# step NAME CMD...: run CMD, printing a line when it starts and when it ends
# with the seconds it took. A failure names the step.
step() {
	local name=$1 start rc=0
	shift
	start=$(date +%s)
	log "start: $name"
	# A subshell outside any `||`, so that `set -e` holds inside the step.
	set +e
	(
		set -e
		"$@"
	)
	rc=$?
	set -e
	if [ "$rc" -ne 0 ]; then
		log "FAILED: $name (exit $rc after $(($(date +%s) - start)) s)"
		return "$rc"
	fi
	log "done: $name ($(($(date +%s) - start)) s)"
}

# load_target_file NAME: the target's suite and flavour (SUITE, EXTRA_SUITES,
# FLAVOUR, APT_RELEASE, ONLY_IF_NEWEST; for a kernel built here rather than
# Debian's, BUILD_FROM, KERNEL_CMDLINE, added to the VM's, and
# TIMEOUT_FACTOR, which multiplies every VM time limit) and its suite root: a debootstrap of
# SUITE with the extra suites in its sources, shared by the targets of the
# same suites, where apt resolves the target and every build root of those
# suites starts from.
load_target_file() {
	local file=$CI_DIR/targets/$1.env
	[ -f "$file" ] || die "unknown target '$1': no $file (targets: $(cd "$CI_DIR/targets" && printf '%s\n' *.env | sed 's/\.env$//' | xargs))"
	SUITE='' EXTRA_SUITES='' FLAVOUR='' APT_RELEASE='' ONLY_IF_NEWEST='' BUILD_FROM='' KERNEL_CMDLINE='' TIMEOUT_FACTOR=1
	# shellcheck source=/dev/null
	. "$file"
	if [ -z "$SUITE" ] || [ -z "$FLAVOUR" ]; then die "$file must set SUITE and FLAVOUR"; fi
	SUITE_KEY=$(echo "$SUITE $EXTRA_SUITES" | xargs | tr ' ' '+')
	SUITE_ROOT=$RDNA1_FG_CACHE/suite-$SUITE_KEY/root
	APT_TARGET_OPTS=${APT_RELEASE:+-t $APT_RELEASE}
}

# resolved_field NAME VAR: a value from target NAME's last resolution (empty
# when it has none).
resolved_field() {
	[ -f "$RESOLVED_DIR/$1.env" ] || return 0
	(
		# shellcheck source=/dev/null
		. "$RESOLVED_DIR/$1.env"
		echo "${!2:-}"
	)
}

# load_target NAME: the target's file and its last resolution (made now when
# there is none). Dies for a target that resolves to a skipped kernel.
load_target() {
	local resolved=$RESOLVED_DIR/$1.env
	load_target_file "$1"
	if [ ! -f "$resolved" ]; then
		"$CI_DIR/resolve.sh" "$1" >&2 || die "resolving target $1 failed (see above)"
	fi
	STATUS='' SKIP_REASON=''
	# shellcheck source=/dev/null
	. "$resolved"
	[ "$STATUS" = tested ] || die "target $1 is skipped: $SKIP_REASON"
	# Cache: heavy, reusable steps live under one directory keyed by kernel release.
	CACHE_DIR="$RDNA1_FG_CACHE/$KREL"
	# The Debian build root (chroot). RDNA1_FG_ROOT: another tree to use
	# instead, such as a throwaway overlay of it (overlay_root).
	ROOT_DIR=${RDNA1_FG_ROOT:-$CACHE_DIR/root}
	BOOT_DIR="$CACHE_DIR/boot"    # Debian's kernel image and modules, unpacked
	OUT_DIR=${RDNA1_FG_OUT:-$REPO_DIR/ci/out/$KREL} # per-checkout build and test output
}

APT_OPTS=(-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -o Dpkg::Use-Pty=0)

# The Debian mirror: RDNA1_FG_MIRROR, else the first Debian archive URI in
# this machine's apt sources (one-line or deb822 format).
debian_mirror() {
	if [ -n "${RDNA1_FG_MIRROR:-}" ]; then
		echo "$RDNA1_FG_MIRROR"
		return
	fi
	local uri
	uri=$(
		{
			grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
				sed -E 's/\[[^]]*\]//' | awk '{print $2}'
			grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
				sed -E 's/^[[:space:]]*URIs:[[:space:]]*//' | tr ' ' '\n'
		} | grep -E '/debian/?$' | grep -v security | head -n1
	) || true
	[ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources*; set RDNA1_FG_MIRROR=<url of a Debian archive>"
	echo "${uri%/}"
}

# The build root's /proc, /sys and /dev (objtool and apt need them).
mount_root() {
	local m
	for m in proc sys dev; do
		mountpoint -q "$ROOT_DIR/$m" && continue
		case $m in
		proc) mount -t proc proc "$ROOT_DIR/proc" ;;
		sys) mount -t sysfs sys "$ROOT_DIR/sys" ;;
		dev) mount --bind /dev "$ROOT_DIR/dev" ;;
		esac
	done
}
umount_root() {
	local m
	for m in dev sys proc; do
		mountpoint -q "$ROOT_DIR/$m" && umount -l "$ROOT_DIR/$m"
	done
	return 0
}

# overlay_root WORK: a throwaway overlay of the build root at WORK/merged
# (its changes in WORK/upper), with /proc, /sys, /dev, and a tmpfs on /tmp
# and /run, so that what runs there never changes the build root.
# overlay_root_remove WORK unmounts it all and deletes WORK.
overlay_root() {
	local new=$1/merged
	mkdir -p "$1/upper" "$1/work" "$new"
	mount -t overlay overlay -o "lowerdir=$ROOT_DIR,upperdir=$1/upper,workdir=$1/work" "$new"
	mount -t proc proc "$new/proc"
	mount -t sysfs sys "$new/sys"
	mount --bind /dev "$new/dev"
	mount -t tmpfs tmpfs "$new/tmp"
	mount -t tmpfs tmpfs "$new/run"
}
overlay_root_remove() {
	umount -R -l "$1/merged" 2>/dev/null || true
	rm -rf "$1"
}

# in_root CMD...: run a command inside the build root.
in_root() {
	chroot "$ROOT_DIR" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# ktap_lines LOG: a scenario's own lines in LOG (ci/guest/lib.sh prints them
# in KTAP), without the kernel's console lines.
ktap_lines() {
	tr -d '\r' <"$1" | grep -a -E '^(KTAP version [0-9]+|(not )?ok [0-9]+( |$)|1\.\.[0-9]+|#( |$))' || true
}

# ktap_verdict LOG: 0 when the KTAP results in LOG are complete and none
# failed; otherwise 1 and, on stdout, why: the failed checks ("not ok"), or a
# plan ("1..N") that is missing (the scenario stopped early) or disagrees with
# the results it printed.
ktap_verdict() {
	local lines results bad plan
	lines=$(ktap_lines "$1")
	results=$(grep -c -E '^(not )?ok [0-9]+' <<<"$lines" || true)
	bad=$(grep -E '^not ok [0-9]+' <<<"$lines" || true)
	plan=$(grep -E '^1\.\.[0-9]+$' <<<"$lines" | tail -n 1 || true)
	if [ -n "$bad" ]; then
		echo "$(grep -c . <<<"$bad") of $results checks failed: $(head -n 1 <<<"$bad")"
		return 1
	fi
	if [ -z "$plan" ]; then
		echo "no KTAP plan after $results results: the scenario did not finish"
		return 1
	fi
	if [ "${plan#1..}" != "$results" ] || [ "$results" -eq 0 ]; then
		echo "KTAP plan $plan, but $results results"
		return 1
	fi
}

# The wall time of each queued run (run_queue: "TAG SECONDS" a line, the
# last line of a TAG counting), kept between runs, so that the longest runs
# start first.
DURATIONS=$RDNA1_FG_CACHE/durations

# queue_priority TAG LIMIT: how long the run TAG took the last time, in
# seconds; its time limit LIMIT when it never ran.
queue_priority() {
	local last
	last=$(grep "^$1 " "$DURATIONS" 2>/dev/null | tail -n 1 | cut -d' ' -f2)
	echo "${last:-$2}"
}

# run_queue JOBS DIR: runs the commands queued in the file DIR/queue, one
# a line, "PRIORITY TAG COMMAND..." (COMMAND: words for bash, no quoting),
# up to JOBS at a time: whenever a slot is free, the queued line with the
# highest PRIORITY (a number: queue_priority) that has not run yet. Lines
# may be added while it runs; it returns once the file DIR/queue.closed
# exists and every line has run. Line N's output goes to DIR/N.out and is
# printed when it ends, after a line naming its TAG; its exit status goes to
# DIR/N.rc, and its wall time to DURATIONS.
run_queue() {
	local jobs=$1 dir=$2 running=0 n best best_prio prio tag cmd i total
	local -A started=() pid_of=()
	while :; do
		while [ "$running" -lt "$jobs" ]; do
			best=0 best_prio=-1 n=0
			while read -r prio tag _; do
				n=$((n + 1))
				[ -z "${started[$n]:-}" ] || continue
				if [ "$prio" -gt "$best_prio" ]; then best=$n best_prio=$prio; fi
			done <"$dir/queue"
			[ "$best" -gt 0 ] || break
			read -r prio tag cmd < <(sed -n "${best}p" "$dir/queue")
			started[$best]=1
			echo "$tag" >"$dir/$best.tag"
			(
				rc=0 start=$SECONDS
				bash -c "$cmd" >"$dir/$best.out" 2>&1 </dev/null || rc=$?
				mkdir -p "$(dirname "$DURATIONS")"
				echo "$tag $((SECONDS - start))" >>"$DURATIONS"
				echo "$rc" >"$dir/$best.rc"
			) &
			pid_of[$best]=$!
			running=$((running + 1))
		done
		for i in "${!pid_of[@]}"; do
			[ -f "$dir/$i.rc" ] || continue
			wait "${pid_of[$i]}" 2>/dev/null || true
			unset "pid_of[$i]"
			running=$((running - 1))
			log "== $(cat "$dir/$i.tag") (exit $(cat "$dir/$i.rc"))"
			cat "$dir/$i.out"
		done
		total=$(grep -c . "$dir/queue" || true)
		if [ "$running" -eq 0 ] && [ -f "$dir/queue.closed" ] && [ "${#started[@]}" -ge "$total" ]; then
			return 0
		fi
		sleep 1
	done
}

# summarize_runs FILE...: the outputs of ci/vm.sh and ci/chroot.sh runs,
# summed up: their flaky-boot and boot-failure lines, then "boots: F flaky,
# B failed" and "scenarios: N passed, M failed". Fails when M is not 0.
summarize_runs() {
	local passed=0 failed=0 flaky=0 boot_failed=0 p f
	local files=() x
	for x in "$@"; do if [ -f "$x" ]; then files+=("$x"); fi; done
	set -- "${files[@]}"
	grep -h -E '^(flaky boot|boot failure): ' "$@" /dev/null || true
	while read -r p f; do
		passed=$((passed + p)) failed=$((failed + f))
	done < <(sed -n 's/^scenarios: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$@" /dev/null)
	while read -r p f; do
		flaky=$((flaky + p)) boot_failed=$((boot_failed + f))
	done < <(sed -n 's/^boots: \([0-9]*\) flaky, \([0-9]*\) failed$/\1 \2/p' "$@" /dev/null)
	echo "boots: $flaky flaky, $boot_failed failed"
	echo "scenarios: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# HOST_TOOLS: every tool the host needs for make vm-demo, make check and make
# test, as "test:package" pairs (test: a command on PATH, a file, or a
# library for ldconfig, "lib:NAME"); ensure_host_tools installs the missing ones with
# apt, in one go. docs/testing.md lists the same packages.
HOST_TOOLS="debootstrap:debootstrap qemu-system-x86_64:qemu-system-x86 cpio:cpio xz:xz-utils zstd:zstd
 depmod:kmod timeout:coreutils flock:util-linux objcopy:binutils git:git cc:gcc
 /usr/include/stdio.h:libc6-dev lib:libclang:libclang-dev shellcheck:shellcheck"

# ensure_host_tools: installs what HOST_TOOLS names and this host lacks; one
# line naming what is missing and how to get it when that cannot be done.
# Cargo (with clippy and rustfmt) is not installed from Debian: the host
# crate wants a newer Rust than Debian's stable has; rustup's stable does.
ensure_host_tools() {
	local missing=() pair test pkg
	for pair in $HOST_TOOLS; do
		pkg=${pair##*:}
		test=${pair%:*}
		case $test in
		lib:*) ldconfig -p 2>/dev/null | grep -q "${test#lib:}[-.0-9]*\.so" || missing+=("$pkg") ;;
		/*) [ -e "$test" ] || missing+=("$pkg") ;;
		*) command -v "$test" >/dev/null 2>&1 || missing+=("$pkg") ;;
		esac
	done
	if [ ${#missing[@]} -gt 0 ]; then
		command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them: install them by hand"
		[ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}: run as root (or install them) so the harness can install them"
		log "installing host tools: ${missing[*]}"
		apt-get update -qq || die "apt-get update failed: check this machine's apt sources"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
			die "could not install ${missing[*]} with apt-get: install them by hand"
	fi
	if ! command -v cargo >/dev/null 2>&1; then
		die "cargo is missing: install Rust's stable toolchain with rustup (https://rustup.rs), with its clippy and rustfmt"
	fi
	local c
	for c in clippy-driver rustfmt; do
		command -v "$c" >/dev/null 2>&1 && continue
		command -v rustup >/dev/null 2>&1 || die "$c is missing: install it with Rust's toolchain (rustup component add ${c%-driver})"
		log "installing the Rust component ${c%-driver}"
		rustup component add "${c%-driver}" >/dev/null 2>&1 || die "rustup component add ${c%-driver} failed"
	done
}

if [ "${RDNA1_FG_LIB_NO_TARGET:-0}" != 1 ]; then
	RDNA1_FG_TARGET=${RDNA1_FG_TARGET:-${DEFAULT_TARGETS%% *}}
	load_target "$RDNA1_FG_TARGET"
fi
