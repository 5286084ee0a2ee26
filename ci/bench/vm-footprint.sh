# shellcheck shell=sh
# timeout: 3600
# Benchmark (ci/bench.sh), figure "footprint": in one boot with amdgpu
# loaded, rdna1_fg is loaded and unloaded BENCH_FOOTPRINT_CYCLES times. Each
# cycle records the module's size in /proc/modules, the kernel's slab memory
# before the load and once the bank is patched (/proc/meminfo Slab and
# SUnreclaim in kB, and the bytes of active objects in /proc/slabinfo), and
# the time from insmod to the patch and of rmmod (guest uptime, 10 ms steps).
# The slab figures count every allocation in the guest, not only the
# module's: the medians of the differences are what the module adds, give or
# take what else the guest allocated meanwhile.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
: "${BENCH_FOOTPRINT_CYCLES:=10}"
bench_boot || exit 1

meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
slab_bytes() { awk 'NR > 2 { s += $2 * $4 } END { printf "%d\n", s }' /proc/slabinfo; }

i=1
while [ "$i" -le "$BENCH_FOOTPRINT_CYCLES" ]; do
	sleep 1
	slab0=$(meminfo_kb Slab)
	unrec0=$(meminfo_kb SUnreclaim)
	objs0=$(slab_bytes)
	now_cs
	t0=$NOW
	insmod "$MODULE" device_id=0 heap_mask=0x1 || fail "insmod rdna1_fg, cycle $i"
	wait_quietly 60 flags_are 0 0 1 || fail "not patched, cycle $i"
	now_cs
	sample module_load_to_effect_ms $(((NOW - t0) * 10))
	sleep 1
	sample slab_delta_kb $(($(meminfo_kb Slab) - slab0))
	sample sunreclaim_delta_kb $(($(meminfo_kb SUnreclaim) - unrec0))
	sample slabinfo_delta_bytes $(($(slab_bytes) - objs0))
	sample module_size_bytes "$(awk '$1 == "rdna1_fg" { print $2 }' /proc/modules)"
	now_cs
	t0=$NOW
	rmmod rdna1_fg || fail "rmmod rdna1_fg, cycle $i"
	now_cs
	sample module_unload_ms $(((NOW - t0) * 10))
	flags_are 0 0 0 || fail "flags not restored, cycle $i"
	i=$((i + 1))
done
[ "$failed" -eq 0 ] && pass "$BENCH_FOOTPRINT_CYCLES load/unload cycles measured"
finish
