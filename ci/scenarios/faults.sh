# shellcheck shell=sh
# boot: shared
# timeout: 1200
# Faults, each with a clear line, nothing written where it must not be, and a
# consistent state after (the test settings test_delay_ms and
# test_fail_probe widen a window or force a failure):
# 1. a probe that fails to register at load, for each of the four KFD
#    functions: the load fails with ENOENT, one line names the function,
#    nothing changed;
# 2. the same failure when amdgpu loads after rdna1_fg: a warning naming the
#    function, the failure counted, nothing written, unload clean;
# 3. amdgpu unloaded while rdna1_fg is in its init (its first pass waiting):
#    the load succeeds, the pass finds no topology, nothing written; when
#    amdgpu comes back the bank is patched, and unload restores it;
# 4. rdna1_fg unloaded while a pass runs and another is pending (amdgpu
#    reloaded under a slow pass): unload restores what is patched, the
#    topology ends as it began;
# 5. rdna1_fg unloaded while a retry pass runs (writes blocked): nothing
#    written, unload clean.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

# 1. Registration failure at load, amdgpu loaded.
n=1
for function in mem_show kfd_topology_shutdown kfd_topology_remove_device kfd_topology_add_device; do
	dmesg -c >/dev/null
	out=$(insmod "$MODULE" device_id=0 heap_mask=0x1 test_fail_probe=$n 2>&1)
	rc=$?
	check_eq "test_fail_probe=$n ($function): insmod fails" "$([ "$rc" -ne 0 ] && echo failed || echo succeeded)" failed
	# busybox insmod words ENOENT as "unknown symbol in module, or unknown
	# parameter"; kmod's as "No such file or directory".
	case $out in
	*"unknown symbol in module"* | *"No such file"*) pass "test_fail_probe=$n: insmod reports ENOENT" ;;
	*) fail "test_fail_probe=$n: insmod output: '$out'" ;;
	esac
	check_dmesg "test_fail_probe=$n: the line names $function" \
		"rdna1_fg: KFD: RDNA1 rule: cannot hook KFD's function $function \(error -2\): amdgpu has no such function .*; module not loaded, nothing changed"
	module_loaded && fail "rdna1_fg loaded after test_fail_probe=$n" && rmmod rdna1_fg
	check_eq "test_fail_probe=$n: sysfs unchanged" "$(topology_text)" "$before"
	n=$((n + 1))
done

# 2. Registration failure when amdgpu loads later.
unload_amdgpu || fail "rmmod amdgpu"
dmesg -c >/dev/null
insmod "$MODULE" device_id=0 heap_mask=0x1 test_fail_probe=4
check_eq "without amdgpu, insmod test_fail_probe=4 succeeds (waits)" "$?" 0
reload_amdgpu || fail "insmod amdgpu"
wait_until "a warning names the function" 20 sh -c \
	"dmesg | grep -q \"KFD: RDNA1 rule: cannot hook KFD's function kfd_topology_add_device (error -2).*nothing is patched until amdgpu loads again\""
check_status "the failure is counted" '^hooks: not registered, .*probe_errors 1,'
check_status "the state says so" '^state: hooks failed \(see last error\)$'
check_eq "nothing written" "$(bank_field 0 0 flags)" 0
rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "sysfs unchanged after the failed hooking" "$(topology_text)" "$before"

# 3. amdgpu goes away while rdna1_fg's first pass waits in its init.
dmesg -c >/dev/null
insmod "$MODULE" device_id=0 heap_mask=0x1 test_delay_ms=4000 &
loader=$!
sleep 1
unload_amdgpu
check_eq "rmmod amdgpu during rdna1_fg's init" "$?" 0
wait "$loader"
check_eq "insmod returns success" "$?" 0
if module_loaded; then pass "rdna1_fg loaded"; else fail "rdna1_fg not loaded"; fi
check_no_dmesg "nothing patched while amdgpu was gone" 'Enabling fine-grained'
check_status "the state says so" '^state: waiting for KFD$'
reload_amdgpu || fail "insmod amdgpu"
wait_until "patched once amdgpu is back" 30 flags_are 0 0 1
rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "restored" "$(bank_field 0 0 flags)" 0
check_dmesg "the restore is logged" 'unloading, 1 bank\(s\) restored, 0 not restored'

# 4. Unload while a pass runs and another is pending.
dmesg -c >/dev/null
insmod "$MODULE" device_id=0 heap_mask=0x1 test_delay_ms=2000
check_eq "insmod test_delay_ms=2000" "$?" 0
check_eq "patched" "$(bank_field 0 0 flags)" 1
unload_amdgpu # queues a pass that waits 2 s
reload_amdgpu # queues another behind it
rmmod rdna1_fg
check_eq "rmmod while passes run and wait" "$?" 0
module_loaded && fail "rdna1_fg still loaded"
check_eq "flags 0 after the unload" "$(bank_field 0 0 flags)" 0
check_dmesg "unload logged, nothing left unrestored" 'unloading, [0-9]+ bank\(s\) restored, 0 not restored'
check_eq "topology as it began" "$(topology_text)" "$before"

# 5. Unload while a retry pass runs: nothing can be written (no write probe),
#    the module retries 1 s after its first pass, and the pass takes 2 s.
dmesg -c >/dev/null
insmod "$MODULE" device_id=0 heap_mask=0x1 test_no_write_probe=1 test_delay_ms=2000
check_eq "insmod without the write probe" "$?" 0
sleep 2
rmmod rdna1_fg
check_eq "rmmod while the retry pass runs" "$?" 0
check_eq "nothing written" "$(bank_field 0 0 flags)" 0
check_dmesg "unload logged" 'unloading, 0 bank\(s\) restored, 0 not restored'
check_eq "topology as it began, at the end" "$(topology_text)" "$before"
finish
