# shellcheck shell=sh
# timeout: 1800
# needs: guest-timer
# Benchmark (ci/bench.sh), figure "footprint": in one boot with amdgpu
# loaded, rdna1_fg is loaded and unloaded BENCH_FOOTPRINT_CYCLES times. Each
# cycle records the module's size in /proc/modules, the kernel's slab memory
# before the load and once the bank is patched (/proc/meminfo Slab and
# SUnreclaim in kB, and the bytes of active objects in /proc/slabinfo), and
# the times of insmod, of insmod to the bank patched (polled every 10 ms)
# and of rmmod (guest-timer). The slab figures count every allocation in the
# guest, not only the module's: the medians of the differences are what the
# module adds, give or take what else the guest allocated meanwhile.
# Samples: module_size_bytes, module_insmod_ns, module_load_to_effect_ns,
# module_rmmod_ns, slab_delta_kb, sunreclaim_delta_kb, slabinfo_delta_bytes.
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
	t0=$("$TIMER" now)
	ns=$("$TIMER" time insmod "$MODULE" device_id=0 heap_mask=0x1) || fail "insmod rdna1_fg, cycle $i"
	sample module_insmod_ns "$ns"
	wait_quietly 60 flags_are 0 0 1 || fail "not patched, cycle $i"
	sample module_load_to_effect_ns $(($("$TIMER" now) - t0))
	sleep 1
	sample slab_delta_kb $(($(meminfo_kb Slab) - slab0))
	sample sunreclaim_delta_kb $(($(meminfo_kb SUnreclaim) - unrec0))
	sample slabinfo_delta_bytes $(($(slab_bytes) - objs0))
	sample module_size_bytes "$(awk '$1 == "rdna1_fg" { print $2 }' /proc/modules)"
	if [ "$i" -eq 1 ]; then
		# Where the loader put each section (for ci/bench/ko-footprint.sh's model).
		for f in /sys/module/rdna1_fg/sections/.* /sys/module/rdna1_fg/sections/*; do
			[ -f "$f" ] && say "section ${f##*/} $(cat "$f")"
		done
	fi
	ns=$("$TIMER" time rmmod rdna1_fg) || fail "rmmod rdna1_fg, cycle $i"
	sample module_rmmod_ns "$ns"
	flags_are 0 0 0 || fail "flags not restored, cycle $i"
	i=$((i + 1))
done
[ "$failed" -eq 0 ] && pass "$BENCH_FOOTPRINT_CYCLES load/unload cycles measured"
finish
