# shellcheck shell=sh
# boot: shared
# A bank read that fails at unload (test_fail_restore_read=1: every bank
# read of the restore fails with -ENOMEM, as a seq_file buffer that could not
# be allocated). The restore cannot see the bank, so it must not call it
# gone: the bit stays set, and one warning names the bank, says why and how
# to clear it (adopt=1); then adopt=1 and an unload clear it.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

insmod "$MODULE" device_id=0 heap_mask=0x1 test_fail_restore_read=1
check_eq "insmod succeeds" "$?" 0
check_dmesg "the test setting is shown" 'test_fail_restore_read=1 \(test setting\)'
check_eq "patched" "$(bank_field 0 0 flags)" 1
rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "the bit stays set (the restore could not read the bank)" "$(bank_field 0 0 flags)" 1
check_dmesg "the failed read is said" \
	'KFD: RDNA1 0x0: node 0 bank 0 refused, nothing written: read failed'
check_dmesg "the bank is not restored, with why and adopt=1" \
	'KFD: RDNA1 0x0: node 0 bank 0 SYSTEM not restored, nothing written: its properties could not be read \(see the refusal above\); HOT_PLUGGABLE stays set: .* modprobe rdna1_fg adopt=1 device_id=0x0 heap_mask=0x1 && modprobe -r rdna1_fg'
check_no_dmesg "not called gone" 'forgotten'
check_dmesg "the summary counts it" 'unloading, 0 bank\(s\) restored, 1 not restored'

dmesg -c >/dev/null
insmod "$MODULE" device_id=0 heap_mask=0x1 adopt=1
check_eq "insmod adopt=1 succeeds" "$?" 0
check_dmesg "the bit is adopted" 'KFD: RDNA1 0x0: node 0 bank 0 SYSTEM .*adopted'
rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "cleared" "$(bank_field 0 0 flags)" 0
check_dmesg "restored" 'unloading, 1 bank\(s\) restored, 0 not restored'
check_eq "the topology ends as it began" "$(topology_text)" "$before"
finish
