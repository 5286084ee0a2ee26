# shellcheck shell=sh
# boot: shared
# KFD's sysfs tree rebuilt between the module's two reads of a bank (the
# one that shows it, the one that writes; test_write_delay_ms widens the
# gap, amdgpu's unload removes the files): the second read fails with
# ENODEV before KFD's show(). That is a bank gone, not a probe that did not
# run: no "did not run" warning, writes not blocked, the state follows KFD,
# and the bank is patched when amdgpu is back.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

dmesg -c >/dev/null
insmod "$MODULE" device_id=0 heap_mask=0x1 test_write_delay_ms=4000 &
loader=$!
# The probes registered (add_device's is the last), the first pass reads
# the bank within milliseconds, then waits 4 s before its second read.
wait_until "rdna1_fg's probes registered" 20 grep -q kfd_topology_add_device /sys/kernel/debug/kprobes/list
sleep 1
unload_amdgpu
check_eq "rmmod amdgpu between the two reads" "$?" 0
wait "$loader"
check_eq "insmod returns success" "$?" 0
check_dmesg "the bank is said gone between the reads" \
	'KFD: RDNA1 0x0: node 0 bank 0 refused, nothing written: the bank went away between two reads \(KFD.s topology changed\)'
check_no_dmesg "no probe blamed" 'did not run'
check_status "writes not blocked: the state follows KFD" '^state: waiting for KFD$'
reload_amdgpu || fail "insmod amdgpu"
wait_until "patched once amdgpu is back" 30 flags_are 0 0 1
check_no_dmesg "still no probe blamed" 'did not run'
rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "restored" "$(bank_field 0 0 flags)" 0
check_dmesg "all restored" 'unloading, 1 bank\(s\) restored, 0 not restored'
check_eq "the topology ends as it began" "$(topology_text)" "$before"
finish
