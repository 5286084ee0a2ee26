# shellcheck shell=sh
# boot: shared
# dry_run=1 with device_id=0 and SYSTEM enabled: the line says what would
# change; sysfs does not change, at load or at unload.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

insmod "$MODULE" device_id=0 heap_mask=0x1 dry_run=1
check_eq "insmod dry_run=1 succeeds" "$?" 0
check_dmesg "would-patch line" \
	'rdna1_fg: KFD: dry run: would enable fine-grained for RDNA1 0x0: node 0 bank 0 SYSTEM flags 0x0 -> 0x1 \(nothing written\)'
check_no_dmesg "no patch line" 'Enabling fine-grained'
check_dmesg "summary says dry run" '1 bank\(s\) would be patched \(dry run\)'
check_eq "flags still 0 while loaded" "$(bank_field 0 0 flags)" 0
check_eq "sysfs unchanged while loaded" "$(topology_text)" "$before"

rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_dmesg "nothing to restore" 'unloading, 0 bank\(s\) restored, 0 not restored'
check_eq "sysfs unchanged after rmmod" "$(topology_text)" "$before"
finish
