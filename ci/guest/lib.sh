# shellcheck shell=sh
# busybox sh, like bash, has local and ${var//pattern/replacement}.
# shellcheck disable=SC3043,SC3060
# Helpers for the scenarios that run inside the test VM (busybox sh) and in
# the build-root chroot (bash).
# A scenario reports in KTAP (Documentation/dev-tools/ktap.rst), as kselftest
# does: "KTAP version 1" when this file is sourced, one "ok N description" or
# "not ok N description" per check ("ok N description # SKIP reason" for a
# check that does not apply), "# " before every other line it prints, and the
# plan "1..N" last, from `finish` (TAP allows the plan at the end: the number
# of checks is known only then). The kernel's console lines start with "["
# and never look like these; ci/lib.sh (ktap_verdict) reads them on the host.

KREL=$(uname -r)
CHAIN=/lib/modules/$KREL/amdgpu-chain
TOPO=/sys/class/kfd/kfd/topology
# shellcheck disable=SC2034 # used by the scenarios that source this file
MODULE=/rdna1_fg.ko
tests=0
passed=0
failed=0
skipped=0
NL='
'
echo "KTAP version 1"
# The counts of the stress scenarios: "smoke" (make test on the targets after
# the primary, and make check), "bounded" (make test on the primary target)
# or "full" (make stress).
STRESS=$(cat /ci/stress 2>/dev/null || echo bounded)

# scaled SMOKE BOUNDED FULL: a cycle count for the run's stress level.
scaled() {
	case $STRESS in
	smoke) echo "$1" ;;
	full) echo "$3" ;;
	*) echo "$2" ;;
	esac
}

say() { echo "# $*"; }

# result STATUS TEXT [DIRECTIVE]: one KTAP result line. A "#" in TEXT would
# start a directive, so it becomes "."; lines after the first become
# diagnostics.
result() {
	local text rest=
	tests=$((tests + 1))
	text=${2//[#]/.}
	case $text in
	*"$NL"*)
		rest=${text#*"$NL"}
		text=${text%%"$NL"*}
		;;
	esac
	echo "$1 $tests $text${3:+ # $3}"
	[ -z "$rest" ] || printf '%s\n' "$rest" | sed 's/^/#   /'
}

pass() {
	passed=$((passed + 1))
	result ok "$*"
}

fail() {
	failed=$((failed + 1))
	result "not ok" "$*"
}

# skip DESCRIPTION REASON: a check that does not apply here.
skip() {
	skipped=$((skipped + 1))
	result ok "$1" "SKIP $2"
}

# check DESCRIPTION ACTUAL EXPECTED
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: got '$2', expected '$3'"
	fi
}

# check_dmesg DESCRIPTION EXTENDED-REGEX: the kernel log has a matching line.
check_dmesg() {
	if dmesg | grep -Eq -- "$2"; then
		pass "$1"
	else
		fail "$1: no kernel log line matches /$2/"
	fi
}

# check_no_dmesg DESCRIPTION EXTENDED-REGEX
check_no_dmesg() {
	if dmesg | grep -Eq -- "$2"; then
		fail "$1: kernel log has /$2/: $(dmesg | grep -E -- "$2" | head -n 1)"
	else
		pass "$1"
	fi
}

# Loads Debian's amdgpu and the modules it needs, in dependency order; a
# module an earlier scenario of the same boot left loaded stays as it is.
load_amdgpu() {
	local m
	# shellcheck disable=SC2013 # one module file name a line, none with spaces
	for m in $(cat "$CHAIN/order"); do
		grep -q "^$(basename "$m" .ko | tr - _) " /proc/modules && continue
		insmod "$CHAIN/$m" || {
			fail "insmod $m"
			return 1
		}
	done
	[ -d "$TOPO/nodes/0" ] || {
		fail "amdgpu loaded but $TOPO/nodes/0 is missing"
		return 1
	}
}

# bank_field NODE BANK FIELD: one value from a bank's properties file.
bank_field() {
	awk -v k="$3" '$1 == k { print $2 }' "$TOPO/nodes/$1/mem_banks/$2/properties"
}

# topology_text: every bank properties file, with its path, for comparisons.
topology_text() {
	local f
	for f in "$TOPO"/nodes/*/mem_banks/*/properties; do
		[ -e "$f" ] || continue
		echo "$f"
		cat "$f"
	done
}

# rfg_lines: the module's lines, as a user would look for them.
rfg_lines() {
	dmesg | grep -i "KFD.*RDNA1"
}

module_loaded() {
	grep -q '^rdna1_fg ' /proc/modules
}

finish() {
	say "kernel lines matching KFD.*RDNA1:"
	rfg_lines | sed 's/^/#   /'
	echo "1..$tests"
	say "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

STATUS=/sys/kernel/debug/rdna1_fg/status

# wait_until DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.2 s.
wait_until() {
	local desc="$1" limit=$(($2 * 5)) tries=0
	shift 2
	while [ "$tries" -lt "$limit" ]; do
		if "$@"; then
			pass "$desc"
			return 0
		fi
		sleep 0.2
		tries=$((tries + 1))
	done
	fail "$desc: not within $((limit / 5)) s"
	return 1
}

flags_are() { # NODE BANK VALUE
	[ "$(bank_field "$1" "$2" flags 2>/dev/null)" = "$3" ]
}

# amdgpu alone (the modules it depends on stay loaded).
unload_amdgpu() {
	rmmod amdgpu
}

reload_amdgpu() {
	insmod "$CHAIN/amdgpu.ko"
}

# check_status DESCRIPTION EXTENDED-REGEX: the status file has a matching line.
check_status() {
	if grep -Eq -- "$2" "$STATUS"; then
		pass "$1"
	else
		fail "$1: no status line matches /$2/"
		sed 's/^/#   status: /' "$STATUS"
	fi
}

# Benchmarks (ci/bench/): `sample KEY VALUE` prints a raw sample as
# "# BENCH KEY VALUE" for ci/bench.sh to collect; `now_cs` sets NOW to the
# guest's uptime in centiseconds (/proc/uptime), with no process started;
# TIMER is the benchmarks' nanosecond clock (ci/bench/guest-timer.c, in the
# initramfs of the scenarios marked "# needs: guest-timer").
# shellcheck disable=SC2034 # used by the benchmarks that source this file
TIMER=/ci/guest-timer
sample() { say "BENCH $1 $2"; }
now_cs() {
	local up rest
	read -r up rest </proc/uptime
	# Always two decimals; the 1 in front keeps a leading 0 from reading as octal.
	NOW=$((${up%.*} * 100 + 1${up#*.} - 100))
}

# bench_boot: the samples every benchmark boot gives (a floor for the reboot
# the original way needs): the time from the kernel's start to the scenario,
# and the time the amdgpu chain takes to load, up to KFD's node 0. Loads it.
bench_boot() {
	local t0
	now_cs
	sample boot_to_init_ms $((NOW * 10))
	t0=$NOW
	load_amdgpu || return 1
	now_cs
	sample amdgpu_chain_load_ms $(((NOW - t0) * 10))
	sample guest_cpus "$(nproc)"
	sample guest_mem_kb "$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)"
}

# pairs KEY MAX FUNCTION [LIMIT]: measures KEY with and without rdna1_fg in pairs,
# `FUNCTION with` and `FUNCTION without` (each sets VALUE to what it
# measured), the order alternating (with, without, without, with, ...) so
# that a drift of the guest's speed weighs on both sides alike. Samples
# KEY_with_ns and KEY_without_ns. Stops once the 95 % interval of the ratio
# is within +-LIMIT (default 0.005: +-0.5 %; `guest-timer within`, after at
# least PAIRS_MIN pairs) or after MAX pairs, and samples that rule as
# KEY_pairs_max and KEY_pairs_limit. Fails at the first failed measure.
: "${PAIRS_MIN:=5}"
pairs() {
	local key="$1" max="$2" fn="$3" limit="${4:-0.005}" i=1 w wo h=inf rc file="/tmp/pairs.$1"
	: >"$file"
	sample "${key}_pairs_max" "$max"
	sample "${key}_pairs_limit" "$limit"
	while [ "$i" -le "$max" ]; do
		if [ $((i % 2)) -eq 1 ]; then
			"$fn" with || return 1
			w=$VALUE
			"$fn" without || return 1
			wo=$VALUE
		else
			"$fn" without || return 1
			wo=$VALUE
			"$fn" with || return 1
			w=$VALUE
		fi
		sample "${key}_with_ns" "$w"
		sample "${key}_without_ns" "$wo"
		echo "$w $wo" >>"$file"
		if [ "$i" -ge "$PAIRS_MIN" ]; then
			rc=0
			h=$("$TIMER" within "$file" "$limit") || rc=$?
			[ "$rc" -eq 0 ] && break
			[ "$rc" -eq 1 ] || { fail "$key: guest-timer within failed (exit $rc)"; return 1; }
		fi
		i=$((i + 1))
	done
	say "$key: $(wc -l <"$file") pairs, 95 % interval of the ratio within +-$h (this guest's estimate)"
}

# wait_quietly SECONDS COMMAND...: polls COMMAND every 10 ms; fails after SECONDS.
wait_quietly() {
	local limit=$(($1 * 100)) tries=0
	shift
	while ! "$@"; do
		tries=$((tries + 1))
		[ "$tries" -lt "$limit" ] || return 1
		usleep 10000
	done
}
