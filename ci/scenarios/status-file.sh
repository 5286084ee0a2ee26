# shellcheck shell=sh
# boot: shared
# The debugfs status file: root-only, shows the parameters, the state, the
# patched bank with its flags before and now, counters and hooks; it goes
# away with the module.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "insmod succeeds" "$?" 0
sed 's/^/#   status: /' "$STATUS"
check_eq "status file is root-only" "$(stat -c %a "$STATUS")" 400
check_status "state" '^state: active$'
check_status "parameters" '^parameters: KFD: RDNA1 rule: device_id=0x0 heap_mask=0x1 \(SYSTEM\) dry_run=0$'
check_status "layout, from KFD's header in the build tree" '^layout: heap_type@16 size_in_bytes@24 flags@32 width@36 mem_clk_max@40 attr@64, from kfd_topology.h of the build tree$'
check_status "hooks" '^hooks: registered, add_device 0, remove_device 0, shutdown 0, amdgpu_live 0, amdgpu_going 0, probe_errors 0, missed 0$'
check_status "counters" '^counters: scans 1, patched 1, restored 0, refused 0, already_set 0, adopted 0, forgotten 0$'
check_status "write probe" '^write probe: registered, missed 0, not run 0$'
check_status "bank count" '^patched banks: 1$'
check_status "the patched bank" '^  node 0 bank 0 SYSTEM flags before 0x0 now 0x1$'
check_status "no error" '^last error: none$'
rmmod rdna1_fg
if [ -e "$STATUS" ]; then fail "status file still there after rmmod"; else pass "status file removed with the module"; fi

insmod "$MODULE" heap_mask=0x6 dry_run=1
check_status "default device, other parameters shown" '^parameters: KFD: RDNA1 rule: device_id=0x731f heap_mask=0x6 \(FB_PUBLIC\|FB_PRIVATE\) dry_run=1$'
check_status "nothing patched" '^patched banks: 0$'
rmmod rdna1_fg
finish
