# shellcheck shell=sh
# boot: shared
# Forced layout mismatch (layout_shift=8, test only): the load succeeds, the
# bank is refused with a line that says why, nothing is written, and the
# refusal is counted in the status file.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

insmod "$MODULE" device_id=0 heap_mask=0x1 layout_shift=8
check_eq "insmod with a mismatching layout succeeds" "$?" 0
check_dmesg "parameters show the test setting" 'dry_run=0 layout_shift=8 \(test setting\)'
check_dmesg "refusal line" \
	'rdna1_fg: KFD: RDNA1 0x0: node 0 bank 0 refused, nothing written: layout check failed: heap_type at offset 24 reads 0x[0-9a-f]+, sysfs shows 0x0'
check_no_dmesg "no patch line" 'Enabling fine-grained'
check_eq "sysfs unchanged" "$(topology_text)" "$before"
check_status "refusal counted" '^counters: scans 1, patched 0, restored 0, refused 1, already_set 0, adopted 0, forgotten 0$'
check_status "last error names it" '^last error: KFD: RDNA1 0x0: node 0 bank 0 refused, nothing written: layout check failed'
check_status "layout shown shifted" '^layout: heap_type@24 size_in_bytes@32 flags@40 width@44 mem_clk_max@48 attr@64, from kfd_topology.h of the build tree$'
check_status "no patched bank" '^patched banks: 0$'

rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "sysfs unchanged after rmmod" "$(topology_text)" "$before"
finish
