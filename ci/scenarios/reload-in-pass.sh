# shellcheck shell=sh
# boot: shared
# timeout: 300
# amdgpu unloaded and loaded again within one pass of the module's work
# (test_going_delay_ms: the pass that amdgpu's going starts waits 20 s
# before it looks at the hooks again, while amdgpu loads again in 6 to 10 s):
# the records of the old topology are forgotten as such (amdgpu went away
# since they were made, even though KFD is live again when the pass walks),
# never matched against the new topology's structs; the new bank is
# patched, and unload restores it.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
DELAY_MS=20000
load_amdgpu || exit 1
before=$(topology_text)

insmod "$MODULE" device_id=0 heap_mask=0x1 test_going_delay_ms=$DELAY_MS
check_eq "insmod succeeds" "$?" 0
check_dmesg "the test setting is shown" "test_going_delay_ms=$DELAY_MS \(test setting\)"
check_eq "patched" "$(bank_field 0 0 flags)" 1
dmesg -c >/dev/null
# amdgpu's going starts a pass, which waits; amdgpu is back before it walks.
start=$(cut -d' ' -f1 /proc/uptime)
unload_amdgpu || fail "rmmod amdgpu"
reload_amdgpu || fail "insmod amdgpu"
took=$(awk -v s="$start" '{ printf "%d", $1 - s }' /proc/uptime)
say "amdgpu unloaded and loaded again in $took s (the pass waits $((DELAY_MS / 1000)) s)"
[ "$took" -lt $((DELAY_MS / 1000)) ] || fail "amdgpu took $took s to come back, longer than the pass waits: this run cannot tell"
wait_until "the old record is forgotten as outdated" $((DELAY_MS / 1000 + 20)) sh -c \
	"dmesg | grep -q 'node 0 bank 0 SYSTEM forgotten (amdgpu was unloaded since the bank was patched): nothing to restore'"
check_no_dmesg "not as a freed topology (amdgpu was back before the walk)" \
	"forgotten \(KFD's topology was freed"
wait_until "the new topology's bank is patched" 20 flags_are 0 0 1
check_dmesg "with its own line" 'KFD: Enabling fine-grained for RDNA1 0x0: node 0 bank 0 SYSTEM flags 0x0 -> 0x1'
check_status "one bank on record" '^patched banks: 1$'
rmmod rdna1_fg
check_eq "rmmod succeeds" "$?" 0
check_eq "restored" "$(bank_field 0 0 flags)" 0
check_dmesg "all restored" 'unloading, 1 bank\(s\) restored, 0 not restored'
check_eq "the topology ends as it began" "$(topology_text)" "$before"
finish
