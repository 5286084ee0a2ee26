# shellcheck shell=sh
# boot: shared
# timeout: 300
# amdgpu unloaded and loaded again within one pass of the module's work
# (test_delay_ms widens the pass): the records of the old topology are
# forgotten as such (amdgpu went away since they were made, even though KFD
# is live again when the pass walks), never matched against the new
# topology's structs; the new bank is patched, and unload restores it.
# The reload must finish within the pass's wait (10 s; the slimmed amdgpu
# loads in about 6 s under TCG).
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
DELAY_MS=10000
load_amdgpu || exit 1
before=$(topology_text)

insmod "$MODULE" device_id=0 heap_mask=0x1 test_delay_ms=$DELAY_MS
check_eq "insmod succeeds" "$?" 0
check_eq "patched" "$(bank_field 0 0 flags)" 1
dmesg -c >/dev/null
# GOING queues a pass, which waits; amdgpu is back before it walks.
unload_amdgpu || fail "rmmod amdgpu"
start=$(cut -d' ' -f1 /proc/uptime)
reload_amdgpu || fail "insmod amdgpu"
say "amdgpu unloaded and loaded again in $(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime) s"
wait_until "the old record is forgotten as outdated" $((DELAY_MS / 1000 + 20)) sh -c \
	"dmesg | grep -q 'node 0 bank 0 SYSTEM forgotten (amdgpu was unloaded since the bank was patched): nothing to restore'"
check_no_dmesg "not as a freed topology (amdgpu was back before the walk)" \
	"forgotten \(KFD's topology was freed"
wait_until "the new topology's bank is patched" $((DELAY_MS / 1000 + 20)) flags_are 0 0 1
check_dmesg "with its own line" 'KFD: Enabling fine-grained for RDNA1 0x0: node 0 bank 0 SYSTEM flags 0x0 -> 0x1'
check_status "one bank on record" '^patched banks: 1$'
rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "restored" "$(bank_field 0 0 flags)" 0
check_dmesg "all restored" 'unloading, 1 bank\(s\) restored, 0 not restored'
check_eq "the topology ends as it began" "$(topology_text)" "$before"
finish
