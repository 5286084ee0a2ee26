# shellcheck shell=sh
# boot: shared
# test_no_write_probe=1 (test only) leaves KFD's mem_show unprobed, as if
# the probe were gone: nothing is written, and the refusal is counted and
# logged.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

insmod "$MODULE" device_id=0 heap_mask=0x1 test_no_write_probe=1
check_eq "insmod succeeds" "$?" 0
check_dmesg "parameters show the test setting" 'dry_run=0 test_no_write_probe=1 \(test setting\)'
check_eq "nothing written" "$(bank_field 0 0 flags)" 0
check_dmesg "a line says why" "the probe on KFD's mem_show is not registered \(test_no_write_probe=1\): nothing can be written"
check_dmesg "the bank is refused" 'KFD: RDNA1 0x0: node 0 bank 0 refused, nothing written: the probe on KFD.s mem_show is not registered'
check_no_dmesg "no patch line" 'Enabling fine-grained'
check_status "status: write probe left out" '^write probe: not registered \(test_no_write_probe=1\), missed 0, not run 1$'
check_status "status: writes blocked" '^state: writes blocked'
check_status "status: refusal counted" '^counters: scans 1, patched 0, restored 0, refused 1, already_set 0, adopted 0, forgotten 0$'
rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "sysfs unchanged" "$(topology_text)" "$before"
finish
