# shellcheck shell=sh
# boot: shared
# needs: no-amdgpu
# rdna1_fg loaded before amdgpu: it says it waits; when amdgpu loads, the
# module notifier hooks KFD and the CPU node's bank is patched.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh

insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "insmod before amdgpu succeeds" "$?" 0
check_dmesg "waiting line" 'rdna1_fg: KFD: RDNA1 rule: waiting for amdgpu: KFD is not loaded; banks are patched as soon as it is'
check_status "status says waiting" '^state: waiting for KFD$'
check_status "hooks not registered yet" '^hooks: not registered, '

load_amdgpu || exit 1
wait_until "node 0 bank 0 flags read 1 after amdgpu loads" 20 flags_are 0 0 1
check_dmesg "rescan line" 'rdna1_fg: KFD: RDNA1 rule: rescan after amdgpu load'
check_dmesg "patch line matches KFD.*RDNA1" \
	'rdna1_fg: KFD: Enabling fine-grained for RDNA1 0x0: node 0 bank 0 SYSTEM flags 0x0 -> 0x1$'
check_status "status says active" '^state: active$'
check_status "hooks registered, amdgpu seen live" '^hooks: registered, .*amdgpu_live 1,'
check_status "latency measured from amdgpu load" '^latency: last patch [0-9]+ ns after amdgpu load$'
say "$(grep '^latency' "$STATUS")"

rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "flags after rmmod" "$(bank_field 0 0 flags)" 0
unload_amdgpu
check_eq "rmmod amdgpu succeeds" "$?" 0
finish
