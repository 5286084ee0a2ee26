# shellcheck shell=sh
# boot: shared
# rmmod rdna1_fg after amdgpu is already gone: clean, nothing written.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "patched" "$(bank_field 0 0 flags)" 1
unload_amdgpu
check_eq "rmmod amdgpu succeeds with rdna1_fg loaded" "$?" 0
wait_until "the patched bank is forgotten" 10 \
	sh -c 'dmesg | grep -q "node 0 bank 0 SYSTEM forgotten (KFD.s topology was freed (amdgpu unloaded))"'
check_status "status says waiting" '^state: waiting for KFD$'
check_status "no patched bank left" '^patched banks: 0$'

rmmod rdna1_fg
check_eq "rmmod rdna1_fg succeeds" "$?" 0
check_dmesg "nothing restored, nothing written" 'unloading, 0 bank\(s\) restored, 0 not restored'
check_no_dmesg "no restore line" 'flags restored'
finish
