# shellcheck shell=sh
# boot: shared at smoke counts
# timeout: 2400
# timeout-full: 7200
# amdgpu unloaded and loaded again 10 times (smoke: 3; make stress: 50) while rdna1_fg
# stays loaded: the bank is patched again after every load and forgotten
# at every unload;
# finally rmmod rdna1_fg then rmmod amdgpu are clean.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "insmod succeeds" "$?" 0
check_eq "patched at load" "$(bank_field 0 0 flags)" 1

cycles=$(scaled 3 6 50)
i=1
while [ "$i" -le "$cycles" ]; do
	unload_amdgpu || fail "rmmod amdgpu, cycle $i"
	[ -d "$TOPO" ] && fail "KFD topology still there after rmmod amdgpu, cycle $i"
	reload_amdgpu || fail "insmod amdgpu, cycle $i"
	wait_until "cycle $i: patched again after amdgpu load" 20 flags_are 0 0 1
	i=$((i + 1))
done
check_eq "one patch line per amdgpu load, plus the first" \
	"$(rfg_lines | grep -c 'Enabling fine-grained for RDNA1 0x0: node 0 bank 0 SYSTEM')" $((cycles + 1))
check_eq "one forget line per amdgpu unload" \
	"$(rfg_lines | grep -c 'node 0 bank 0 SYSTEM forgotten (KFD.s topology was freed (amdgpu unloaded)): nothing to restore')" "$cycles"
check_status "status counts the hooks" "^hooks: registered, add_device 0, remove_device 0, shutdown $cycles, amdgpu_live $cycles, amdgpu_going $cycles, probe_errors 0, missed 0$"
check_status "status counts the patches" "^counters: scans $((cycles + 1)), patched $((cycles + 1)), restored 0, refused 0, already_set 0, adopted 0, forgotten $cycles$"

rmmod rdna1_fg
check_eq "rmmod rdna1_fg succeeds" "$?" 0
check_eq "flags restored" "$(bank_field 0 0 flags)" 0
check_dmesg "restore line" 'unloading, 1 bank\(s\) restored, 0 not restored'
unload_amdgpu
check_eq "rmmod amdgpu succeeds" "$?" 0
finish
