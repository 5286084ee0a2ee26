#!/bin/bash
# Resolve kernel targets: ask the archive, through apt in the target's suite
# root, which kernel linux-image-<flavour> installs now, read that kernel's
# config, and find the toolchain that matches it (rdna1-fg-prepare-kernel
# --resolve-flavour, the same code users run). Writes ci/out/targets/NAME.env
# for each target (what the other ci/ scripts load), rewrites
# ci/out/targets.resolved (one line per target: tested or skipped, kernel,
# versions) and prints it.
#
# Usage: ci/resolve.sh [TARGET...]   (default: RDNA1_FG_TARGETS, else
# ci/targets/default.list)
#
# A target is skipped, with a line that says why, when its kernel lacks an
# option rdna1_fg needs (CONFIG_RUST and the others DKMS checks), or, for a
# target with ONLY_IF_NEWEST=1 (experimental), when its upstream version is
# not newer than every other target's.
RDNA1_FG_LIB_NO_TARGET=1
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

declare -A UPDATED=()

# suite_root: create (once) the suite root of the loaded target: debootstrap
# of SUITE, the extra suites in its sources (experimental pinned low: nothing
# comes from it unless asked for with -t), apt set up for the frozen archive.
suite_root() {
	local mirror s dir
	dir=$(dirname "$SUITE_ROOT")
	[ -f "$SUITE_ROOT/.rdna1_fg-bootstrap" ] && return 0
	mirror=$(debian_mirror)
	rm -rf "$SUITE_ROOT"
	mkdir -p "$SUITE_ROOT"
	debootstrap --variant=minbase "$SUITE" "$SUITE_ROOT" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
		die "debootstrap of $SUITE from $mirror failed (log: $dir/debootstrap.log); set RDNA1_FG_MIRROR to a reachable Debian mirror"
	{
		echo "deb $mirror $SUITE main"
		for s in $EXTRA_SUITES; do echo "deb $mirror $s main"; done
	} >"$SUITE_ROOT/etc/apt/sources.list"
	printf 'Package: *\nPin: release a=experimental\nPin-Priority: 1\n' >"$SUITE_ROOT/etc/apt/preferences.d/rdna1_fg-experimental"
	printf 'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\nAPT::Sandbox::User "root";\n' \
		>"$SUITE_ROOT/etc/apt/apt.conf.d/90rdna1_fg"
	touch "$SUITE_ROOT/.rdna1_fg-bootstrap"
}

# apt_update: apt-get update in the suite root, once per run.
apt_update() {
	[ -z "${UPDATED[$SUITE_ROOT]:-}" ] || return 0
	in_root apt-get update -qq || die "apt-get update in $SUITE_ROOT failed: check the mirror ($(debian_mirror))"
	UPDATED[$SUITE_ROOT]=1
}

# resolve NAME: write $RESOLVED_DIR/NAME.env (without the status, set later).
resolve() {
	local name=$1 out
	load_target_file "$name"
	ROOT_DIR=$SUITE_ROOT
	mkdir -p "$(dirname "$SUITE_ROOT")" "$RESOLVED_DIR"
	# One resolution at a time per suite root (checkouts share it).
	exec {lock}>"$(dirname "$SUITE_ROOT")/.lock"
	flock "$lock"
	[ -f "$SUITE_ROOT/.rdna1_fg-bootstrap" ] || step "debootstrap $SUITE into $SUITE_ROOT" suite_root
	mount_root
	apt_update
	install -D -m 0755 "$REPO_DIR/scripts/rdna1-fg-prepare-kernel" "$SUITE_ROOT/usr/local/sbin/rdna1-fg-prepare-kernel"
	# shellcheck disable=SC2086
	out=$(in_root /usr/local/sbin/rdna1-fg-prepare-kernel --resolve-flavour "$FLAVOUR" $APT_TARGET_OPTS) ||
		die "resolving target $name (linux-image-$FLAVOUR in $SUITE_KEY) failed (see above)"
	# A kernel built here (BUILD_FROM: ci/debug-kernel.sh) from FLAVOUR's
	# config: its own release, FLAVOUR's kept as CONFIG_KREL, and clang.
	if [ -n "$BUILD_FROM" ]; then out=$(debug_release "$out"); fi
	umount_root
	exec {lock}>&-
	{
		printf 'TARGET=%q\n' "$name"
		echo "$out"
		printf 'RESOLVED_AT=%q\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
	} >"$RESOLVED_DIR/$name.env.new"
	mv "$RESOLVED_DIR/$name.env.new" "$RESOLVED_DIR/$name.env"
}

# debug_release LINES: the resolution LINES of FLAVOUR's kernel, made that
# of the debug kernel built from it: KREL 7.2.13+deb14-rt-amd64 becomes
# CONFIG_KREL, KREL is 7.2.13+deb14-rt-debug-amd64; the C compiler is the
# suite's clang (LLVM=1), at the version apt has now.
debug_release() {
	local flavour_rel clang
	flavour_rel=$(echo "$1" | sed -n 's/^KREL=//p')
	clang=$(in_root apt-cache policy clang 2>/dev/null | sed -n 's/^  Candidate: //p')
	if [ -z "$clang" ] || [ "$clang" = "(none)" ]; then die "apt knows no clang in $SUITE_KEY: the debug kernel needs it"; fi
	echo "$1" | sed -E '/^(KREL|KCC|CC_VERSION)=/d'
	printf 'KREL=%q\nCONFIG_KREL=%q\nKCC=clang\nCC_VERSION=%q\nCLANG_VERSION=%q\n' \
		"${flavour_rel%-*}-debug-${flavour_rel##*-}" "$flavour_rel" "clang=$clang" "$clang"
}

# set_status NAME STATUS REASON: record whether the target is tested.
set_status() {
	sed -i '/^\(STATUS\|SKIP_REASON\)=/d' "$RESOLVED_DIR/$1.env"
	printf 'STATUS=%q\nSKIP_REASON=%q\n' "$2" "$3" >>"$RESOLVED_DIR/$1.env"
}

upstream_of() { echo "$1" | sed -E 's/^[0-9]+://; s/-[^-]*$//'; }

# others NAME: every other target of Debian's own kernels: neither
# ONLY_IF_NEWEST nor built here from another target's source (BUILD_FROM,
# whose version is that target's).
others() {
	local f o
	for f in "$CI_DIR"/targets/*.env; do
		o=$(basename "$f" .env)
		[ "$o" != "$1" ] || continue
		load_target_file "$o"
		[ -n "$ONLY_IF_NEWEST" ] || [ -n "$BUILD_FROM" ] || echo "$o"
	done
}

# newest_check NAME: for an ONLY_IF_NEWEST target (the others resolved),
# prints why it is skipped (another target's kernel is as new or newer), or
# nothing.
newest_check() {
	local mine other o
	mine=$(upstream_of "$(resolved_field "$1" KPKG_VERSION)")
	for o in $(others "$1"); do
		other=$(upstream_of "$(resolved_field "$o" KPKG_VERSION)")
		if ! dpkg --compare-versions "$mine" gt "$other"; then
			echo "its kernel $mine ($(resolved_field "$1" KREL)) is not newer than $o's $other"
			return
		fi
	done
}

# summary: ci/out/targets.resolved from every resolved target that still
# has a file in ci/targets/ and a status (a target resolved only to compare
# another with has none).
summary() {
	local f name
	{
		printf '# target\tstatus\tkernel\tpackage\trustc\tbindgen\tcc\tresolved\tnote\n'
		for f in "$RESOLVED_DIR"/*.env; do
			name=$(basename "$f" .env)
			[ -f "$CI_DIR/targets/$name.env" ] || continue
			(
				# shellcheck disable=SC2030 # each target's values stay in its subshell
				STATUS='' SKIP_REASON='' RUSTC_VERSION='' BINDGEN_VERSION='' CC_VERSION=''
				# shellcheck source=/dev/null
				. "$f"
				[ -n "$STATUS" ] || exit 0
				printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$STATUS" "$KREL" "$META_PKG=$META_VERSION" \
					"${RUSTC_VERSION:--}" "${BINDGEN_VERSION:--}" "${CC_VERSION:--}" "$RESOLVED_AT" "${SKIP_REASON:--}"
			)
		done
	} >"$RESOLVED_SUMMARY"
}

# report NAME: the one line printed for a target.
# shellcheck disable=SC2031 # its values come from the target's file, sourced here
report() { (
	# shellcheck source=/dev/null
	. "$RESOLVED_DIR/$1.env"
	if [ "$STATUS" = tested ]; then
		echo "target $1: kernel $KREL ($META_PKG $META_VERSION), rustc $RUSTC_VERSION, bindgen $BINDGEN_VERSION, cc $CC_VERSION"
	else
		echo "target $1: skipped: $SKIP_REASON"
	fi
); }

main() {
	[ "$(id -u)" -eq 0 ] || die "resolving targets needs root (debootstrap, chroot): run as root"
	local targets name missing reason
	if [ $# -gt 0 ]; then targets=$*; else targets=${RDNA1_FG_TARGETS:-$DEFAULT_TARGETS}; fi
	for name in $targets; do load_target_file "$name"; done
	ensure_host_tools
	trap umount_root EXIT
	# The targets, and the ones an ONLY_IF_NEWEST target is compared with.
	local -A seen=()
	local all=$targets
	for name in $targets; do
		load_target_file "$name"
		if [ -n "$ONLY_IF_NEWEST" ]; then all="$all $(others "$name" | xargs)"; fi
	done
	for name in $all; do
		[ -n "${seen[$name]:-}" ] || resolve "$name"
		seen[$name]=1
	done
	# Every target resolved now gets its status (a comparison target too:
	# its file was just rewritten); the ones asked for are reported.
	for name in "${!seen[@]}"; do
		missing=$(resolved_field "$name" MISSING_CONFIGS)
		load_target_file "$name"
		reason=
		if [ -n "$missing" ]; then
			reason="kernel $(resolved_field "$name" KREL) lacks $missing: rdna1_fg cannot be built for it"
		elif [ -n "$ONLY_IF_NEWEST" ]; then
			reason=$(newest_check "$name")
		fi
		if [ -n "$reason" ]; then set_status "$name" skipped "$reason"; else set_status "$name" tested ""; fi
	done
	for name in $targets; do report "$name"; done
	summary
}

main "$@"
