# shellcheck shell=sh
# boot: shared
# Every write goes through the probe on KFD's mem_show. With kprobes
# disarmed system-wide, nothing is written, a line and the status file say
# why, an amdgpu reload is clean, and once re-armed the retry patches. A
# restore that cannot be written says how to clear the bit, and adopt=1 can.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
KPROBES=/sys/kernel/debug/kprobes/enabled
load_amdgpu || exit 1
before=$(topology_text)

echo 0 >"$KPROBES"
check_eq "kprobes disarmed" "$(cat "$KPROBES")" 0
insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "insmod succeeds" "$?" 0
check_eq "nothing written" "$(bank_field 0 0 flags)" 0
check_dmesg "a line says why" \
	"rdna1_fg: KFD: RDNA1 rule: the probe on KFD's mem_show did not run for the module's read \(kprobes disarmed"
check_dmesg "the bank is refused" \
	'KFD: RDNA1 0x0: node 0 bank 0 refused, nothing written: the probe on KFD.s mem_show did not run'
check_status "status: writes blocked" '^state: writes blocked'
check_status "status: probe not run counted" '^write probe: registered, missed 0, not run [1-9]'

unload_amdgpu
check_eq "amdgpu unloads under the module" "$?" 0
reload_amdgpu
check_eq "amdgpu loads again" "$?" 0
check_eq "still nothing written" "$(bank_field 0 0 flags)" 0

echo 1 >"$KPROBES"
wait_until "re-armed: the retry patches" 30 flags_are 0 0 1
check_dmesg "a line says writes resume" "the probe on KFD's mem_show runs again: writes resume"

# Disarmed at unload: the restore cannot be written.
echo 0 >"$KPROBES"
rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "the bit stays set" "$(bank_field 0 0 flags)" 1
check_dmesg "a warning names the bank and how to clear it" \
	'KFD: RDNA1 0x0: node 0 bank 0 SYSTEM not restored, nothing written: the probe on KFD.s mem_show did not run .*to clear it, .* modprobe rdna1_fg adopt=1 device_id=0x0 heap_mask=0x1 && modprobe -r rdna1_fg'

echo 1 >"$KPROBES"
insmod "$MODULE" device_id=0 heap_mask=0x1 adopt=1
check_eq "insmod adopt=1 succeeds" "$?" 0
check_dmesg "adopted" 'KFD: RDNA1 0x0: node 0 bank 0 SYSTEM already has HOT_PLUGGABLE \(flags 0x1\): adopted'
rmmod rdna1_fg
check_eq "flags 0 after adopt and unload" "$(bank_field 0 0 flags)" 0
check_eq "sysfs text equals the text before" "$(topology_text)" "$before"
finish
