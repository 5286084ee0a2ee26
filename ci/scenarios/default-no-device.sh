# shellcheck shell=sh
# boot: shared
# Default parameters (device 0x731F) on a machine without that GPU: the
# module loads, says no node matched, and changes nothing.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)
say "bank 0 of node 0 before: $(tr '\n' ' ' <"$TOPO/nodes/0/mem_banks/0/properties")"

insmod "$MODULE"
check_eq "insmod with default parameters succeeds" "$?" 0
check_dmesg "parameters logged" 'rdna1_fg: KFD: RDNA1 rule: device_id=0x731f heap_mask=0x3e \(FB_PUBLIC\|FB_PRIVATE\|GPU_GDS\|GPU_LDS\|GPU_SCRATCH\) dry_run=0'
check_dmesg "no-match line" 'rdna1_fg: KFD: RDNA1 rule: no node with device_id 0x731f among 1 KFD node\(s\): nothing to patch'
check_no_dmesg "no bank patched" 'Enabling fine-grained'
check_eq "sysfs unchanged while loaded" "$(topology_text)" "$before"

rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_dmesg "unload line" 'rdna1_fg: KFD: RDNA1 rule: unloading, 0 bank\(s\) restored, 0 not restored'
check_eq "sysfs unchanged after rmmod" "$(topology_text)" "$before"
finish
