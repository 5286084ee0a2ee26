# shellcheck shell=sh
# boot: shared
# device_id=0 with SYSTEM in heap_mask: node 0 bank 0 (the CPU node's SYSTEM
# heap, the one bank KFD has without a GPU) goes flags 0 -> 1, and back to 0
# on rmmod; nothing else in the bank changes.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)
check_eq "flags before load" "$(bank_field 0 0 flags)" 0
say "before: $(tr '\n' ' ' <"$TOPO/nodes/0/mem_banks/0/properties")"

insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "insmod device_id=0 heap_mask=0x1 succeeds" "$?" 0
say "loaded: $(tr '\n' ' ' <"$TOPO/nodes/0/mem_banks/0/properties")"
check_eq "flags after load" "$(bank_field 0 0 flags)" 1
check_eq "other fields unchanged" \
	"$(grep -v '^flags' "$TOPO/nodes/0/mem_banks/0/properties")" \
	"$(echo "$before" | sed -n '2,6p' | grep -v '^flags')"
check_dmesg "patch line matches KFD.*RDNA1" \
	'rdna1_fg: KFD: Enabling fine-grained for RDNA1 0x0: node 0 bank 0 SYSTEM flags 0x0 -> 0x1$'
check_eq "exactly one patch line" "$(rfg_lines | grep -c 'Enabling fine-grained')" 1
check_dmesg "summary line" 'KFD: RDNA1 rule: 1 bank\(s\) patched, 0 kept, 0 already set, 0 refused, on 1 matching of 1 node\(s\)'

rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "flags after rmmod" "$(bank_field 0 0 flags)" 0
check_dmesg "restore line" 'rdna1_fg: KFD: RDNA1 0x0: node 0 bank 0 SYSTEM flags restored 0x1 -> 0x0'
check_dmesg "unload summary" 'KFD: RDNA1 rule: unloading, 1 bank\(s\) restored, 0 not restored'
check_eq "sysfs text after rmmod equals text before load" "$(topology_text)" "$before"
say "after rmmod: $(tr '\n' ' ' <"$TOPO/nodes/0/mem_banks/0/properties")"
finish
