# shellcheck shell=sh
# busybox sh has local.
# shellcheck disable=SC3043
# timeout: 3600
# Benchmark (ci/bench.sh), figure "cost to readers": in one boot with amdgpu
# loaded, every KFD properties file (nodes/*/properties and
# nodes/*/mem_banks/*/properties) is read in a loop for BENCH_READ_SECONDS,
# BENCH_READ_ROUNDS times with rdna1_fg loaded (and active) and as many
# times without, alternating (ABBA). Each read opens the file and reads its
# first line with the shell's `read` (no process started), so KFD's show()
# runs once per read. Samples: reads_per_s_with, reads_per_s_without.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
: "${BENCH_READ_ROUNDS:=20}" "${BENCH_READ_SECONDS:=2}"
bench_boot || exit 1
files=$(ls "$TOPO"/nodes/*/properties "$TOPO"/nodes/*/mem_banks/*/properties)
nfiles=$(echo "$files" | wc -l)
sample reader_files "$nfiles"

# read_round with|without
read_round() {
	local start end n=0 line f
	if [ "$1" = with ]; then
		module_loaded || insmod "$MODULE" device_id=0 heap_mask=0x1 || fail "insmod rdna1_fg"
		wait_quietly 60 flags_are 0 0 1 || fail "not patched before a round with rdna1_fg"
	else
		! module_loaded || rmmod rdna1_fg || fail "rmmod rdna1_fg"
	fi
	now_cs
	start=$NOW
	end=$((start + BENCH_READ_SECONDS * 100))
	while :; do
		for f in $files; do
			# shellcheck disable=SC2034 # the read is what is measured, not the line
			read -r line <"$f"
		done
		n=$((n + 1))
		if [ $((n % 10)) -eq 0 ]; then
			now_cs
			[ "$NOW" -lt "$end" ] || break
		fi
	done
	sample "reads_per_s_$1" $((n * nfiles * 100 / (NOW - start)))
}

abba "$BENCH_READ_ROUNDS" read_round
[ "$failed" -eq 0 ] && pass "$BENCH_READ_ROUNDS rounds with and $BENCH_READ_ROUNDS without rdna1_fg"
! module_loaded || rmmod rdna1_fg
check_eq "flags at the end, rdna1_fg unloaded" "$(bank_field 0 0 flags)" 0
finish
