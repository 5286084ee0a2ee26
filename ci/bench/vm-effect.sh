# shellcheck shell=sh
# timeout: 3600
# Benchmark (ci/bench.sh), figure "time to effect": in one boot, with
# rdna1_fg loaded on the CPU node (device_id=0 heap_mask=0x1), amdgpu is
# unloaded and loaded again BENCH_RELOADS times; after each load, once the
# bank's flags is 1 again, the module's own measure is read from the status
# file: "latency: last patch N ns after amdgpu load" (from amdgpu going live
# to the write). Samples: effect_ns.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
: "${BENCH_RELOADS:=30}"
bench_boot || exit 1
insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "insmod rdna1_fg" "$?" 0
wait_until "patched at load" 20 flags_are 0 0 1

i=1
while [ "$i" -le "$BENCH_RELOADS" ]; do
	unload_amdgpu || fail "rmmod amdgpu, cycle $i"
	reload_amdgpu || fail "insmod amdgpu, cycle $i"
	if ! wait_quietly 60 flags_are 0 0 1; then
		fail "cycle $i: not patched again within 60 s"
		break
	fi
	# The latency line belongs to this load when the patch count has moved.
	if ! grep -q "^counters: scans [0-9]*, patched $((i + 1))," "$STATUS"; then
		fail "cycle $i: the status file does not count patch $((i + 1))"
		sed 's/^/#   status: /' "$STATUS"
		break
	fi
	line=$(grep '^latency: ' "$STATUS")
	case $line in
	"latency: last patch "*" ns after amdgpu load")
		ns=${line#latency: last patch }
		sample effect_ns "${ns%% *}"
		;;
	*)
		fail "cycle $i: unexpected latency line '$line'"
		break
		;;
	esac
	i=$((i + 1))
done
[ "$i" -gt "$BENCH_RELOADS" ] && pass "$BENCH_RELOADS reloads measured"

rmmod rdna1_fg
check_eq "rmmod rdna1_fg" "$?" 0
check_eq "flags restored" "$(bank_field 0 0 flags)" 0
finish
