# shellcheck shell=sh
# busybox sh has local.
# shellcheck disable=SC3043
# timeout: 5400
# Benchmark (ci/bench.sh), figure "cost to amdgpu": in one boot, amdgpu is
# loaded BENCH_LOADS times with rdna1_fg loaded (waiting for KFD) and as many
# times without, alternating (ABBA: with, without, without, with, ...). A load
# is timed from `insmod amdgpu.ko` to KFD's node 0 in sysfs (guest uptime,
# 10 ms steps). Samples: amdgpu_load_with_ms, amdgpu_load_without_ms.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
: "${BENCH_LOADS:=10}"
bench_boot || exit 1

# timed_load with|without
timed_load() {
	local t0
	unload_amdgpu || fail "rmmod amdgpu before a load $1 rdna1_fg"
	if [ "$1" = with ]; then
		module_loaded || insmod "$MODULE" device_id=0 heap_mask=0x1 || fail "insmod rdna1_fg"
	else
		! module_loaded || rmmod rdna1_fg || fail "rmmod rdna1_fg"
	fi
	now_cs
	t0=$NOW
	reload_amdgpu || fail "insmod amdgpu $1 rdna1_fg"
	wait_quietly 120 test -d "$TOPO/nodes/0" || fail "no KFD node 0 after insmod amdgpu $1 rdna1_fg"
	now_cs
	sample "amdgpu_load_$1_ms" $(((NOW - t0) * 10))
	if [ "$1" = with ]; then
		wait_quietly 60 flags_are 0 0 1 || fail "not patched after a load with rdna1_fg"
	fi
}

abba "$BENCH_LOADS" timed_load
[ "$failed" -eq 0 ] && pass "$BENCH_LOADS loads with and $BENCH_LOADS without rdna1_fg"
! module_loaded || rmmod rdna1_fg
check_eq "flags at the end, rdna1_fg unloaded" "$(bank_field 0 0 flags)" 0
finish
