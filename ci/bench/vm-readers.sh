# shellcheck shell=sh
# busybox sh has local.
# shellcheck disable=SC3043
# timeout: 1800
# needs: guest-timer
# Benchmark (ci/bench.sh), figure "cost to readers": in one boot with amdgpu
# loaded, every KFD properties file (nodes/*/properties and
# nodes/*/mem_banks/*/properties) is read BENCH_READ_ROUNDS times (open, one
# read of up to 4 KiB, close: KFD's show() runs once per read, with
# rdna1_fg's probe on mem_show in the path when it is loaded), timed as one
# sample, with rdna1_fg loaded (and its bank patched) and without, in pairs
# (ci/guest/lib.sh: pairs, until the interval of the ratio is within
# +-0.05 %, at most BENCH_READ_PAIRS_MAX: a pair costs little). Samples:
# read_with_ns, read_without_ns, read_rounds, reader_files.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
: "${BENCH_READ_PAIRS_MAX:=100}" "${BENCH_READ_ROUNDS:=6000}"
bench_boot || exit 1
files=$(ls "$TOPO"/nodes/*/properties "$TOPO"/nodes/*/mem_banks/*/properties)
sample reader_files "$(echo "$files" | wc -l)"
sample read_rounds "$BENCH_READ_ROUNDS"

# read_set with|without: sets VALUE to the ns BENCH_READ_ROUNDS rounds took.
read_set() {
	if [ "$1" = with ]; then
		module_loaded || insmod "$MODULE" device_id=0 heap_mask=0x1 || { fail "insmod rdna1_fg"; return 1; }
		wait_quietly 60 flags_are 0 0 1 || { fail "not patched before reads with rdna1_fg"; return 1; }
	else
		! module_loaded || rmmod rdna1_fg || { fail "rmmod rdna1_fg"; return 1; }
	fi
	# shellcheck disable=SC2086 # one file name a word
	VALUE=$("$TIMER" read "$BENCH_READ_ROUNDS" $files) || { fail "reads $1 rdna1_fg"; return 1; }
}

pairs read "$BENCH_READ_PAIRS_MAX" read_set 0.0005 && pass "reads with and without rdna1_fg measured"
! module_loaded || rmmod rdna1_fg
check_eq "flags at the end, rdna1_fg unloaded" "$(bank_field 0 0 flags)" 0
finish
