# shellcheck shell=sh
# busybox sh has local.
# shellcheck disable=SC3043
# timeout: 3600
# needs: guest-timer
# Benchmark (ci/bench.sh), figure "cost to amdgpu": in one boot, `insmod
# amdgpu.ko` (its dependencies stay loaded) is timed with rdna1_fg loaded
# beforehand (waiting for KFD: at amdgpu's load it registers its probes, and
# patches once amdgpu is live) and without, in pairs (ci/guest/lib.sh:
# pairs; at most BENCH_LOAD_PAIRS_MAX). Each load is checked: KFD's node 0
# exists once insmod returns, and with rdna1_fg its bank gets patched.
# Samples: amdgpu_load_with_ns, amdgpu_load_without_ns (guest-timer: ns of
# the guest's clock, which under icount counts instructions).
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
: "${BENCH_LOAD_PAIRS_MAX:=12}"
bench_boot || exit 1

# timed_load with|without: sets VALUE to the ns `insmod amdgpu.ko` took.
timed_load() {
	unload_amdgpu || { fail "rmmod amdgpu before a load $1 rdna1_fg"; return 1; }
	if [ "$1" = with ]; then
		module_loaded || insmod "$MODULE" device_id=0 heap_mask=0x1 || { fail "insmod rdna1_fg"; return 1; }
	else
		! module_loaded || rmmod rdna1_fg || { fail "rmmod rdna1_fg"; return 1; }
	fi
	VALUE=$("$TIMER" time insmod "$CHAIN/amdgpu.ko") || { fail "insmod amdgpu $1 rdna1_fg"; return 1; }
	test -d "$TOPO/nodes/0" || { fail "no KFD node 0 once insmod amdgpu returned ($1 rdna1_fg)"; return 1; }
	if [ "$1" = with ]; then
		wait_quietly 60 flags_are 0 0 1 || { fail "not patched after a load with rdna1_fg"; return 1; }
	fi
}

pairs amdgpu_load "$BENCH_LOAD_PAIRS_MAX" timed_load && pass "amdgpu loads with and without rdna1_fg measured"
! module_loaded || rmmod rdna1_fg
check_eq "flags at the end, rdna1_fg unloaded" "$(bank_field 0 0 flags)" 0
finish
