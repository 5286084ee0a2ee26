# shellcheck shell=sh
# boot: shared at smoke counts
# timeout: 1200
# timeout-full: 3600
# rdna1_fg loaded and unloaded 100 times (smoke: 30; make stress: 500) with parameters
# that change every cycle (patching with every heap mask that selects the
# bank, adopting, a dry run, a device that matches nothing), while other
# processes read every KFD properties file and the status file in loops.
# Every cycle's status counters and flags agree with its parameters; every
# read saw flags 0 or 1; the final sysfs text equals the text before; the
# kernel log has no report (ci/vm.sh fails the scenario on any).
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

rm -f /tmp/stop /tmp/flags /tmp/status-reads
(
	while [ ! -e /tmp/stop ]; do
		for f in "$TOPO"/nodes/*/mem_banks/*/properties "$TOPO"/nodes/*/properties; do
			awk '$1 == "flags" { print $2 }' "$f"
		done
	done >/tmp/flags
) &
flags_reader=$!
(
	# The status file comes and goes with the module: a read may fail.
	while [ ! -e /tmp/stop ]; do
		grep -c . "$STATUS" 2>/dev/null
	done >/tmp/status-reads
) &
status_reader=$!

# The parameter sets, in turn: PARAMS|EXPECTED-PATCHED|EXPECTED-FLAGS
sets='device_id=0 heap_mask=0x1|1|1
device_id=0 heap_mask=0x1 dry_run=1|0|0
device_id=0x1234 heap_mask=0x3f|0|0
device_id=0 heap_mask=0x3f|1|1
device_id=0 heap_mask=0x3|1|1
device_id=0 heap_mask=0x21 adopt=1|1|1
device_id=0xffff heap_mask=0x1|0|0'
nsets=$(echo "$sets" | wc -l)

cycles=$(scaled 30 60 500)
i=0
bad_load=0
bad_unload=0
bad_state=0
patches=0
while [ "$i" -lt "$cycles" ]; do
	line=$(echo "$sets" | sed -n "$((i % nsets + 1))p")
	params=${line%%|*}
	rest=${line#*|}
	want_patched=${rest%%|*}
	want_flags=${rest#*|}
	# shellcheck disable=SC2086
	if insmod "$MODULE" $params; then
		counters=$(grep '^counters: ' "$STATUS")
		case $counters in
		"counters: scans 1, patched $want_patched, restored 0, refused 0,"*) ;;
		*)
			bad_state=$((bad_state + 1))
			say "cycle $i ($params): $counters"
			;;
		esac
		flags=$(bank_field 0 0 flags)
		if [ "$flags" != "$want_flags" ]; then
			bad_state=$((bad_state + 1))
			say "cycle $i ($params): flags $flags, expected $want_flags"
		fi
		patches=$((patches + want_patched))
		rmmod rdna1_fg || bad_unload=$((bad_unload + 1))
		flags=$(bank_field 0 0 flags)
		if [ "$flags" != 0 ]; then
			bad_state=$((bad_state + 1))
			say "cycle $i ($params): flags $flags after rmmod"
		fi
	else
		bad_load=$((bad_load + 1))
	fi
	i=$((i + 1))
done
touch /tmp/stop
wait "$flags_reader" "$status_reader"
check_eq "$cycles insmod without an error" "$bad_load" 0
check_eq "$cycles rmmod without an error" "$bad_unload" 0
check_eq "every cycle's counters and flags as its parameters say" "$bad_state" 0
reads=$(wc -l </tmp/flags)
say "flags reader saw $reads values; distinct: $(sort -u /tmp/flags | tr '\n' ' ')"
if [ "$reads" -gt "$cycles" ]; then pass "flags reader ran throughout ($reads reads)"; else fail "flags reader made only $reads reads"; fi
check_eq "every read saw flags 0 or 1" "$(grep -cv '^[01]$' /tmp/flags)" 0
status_reads=$(grep -c '^[1-9]' /tmp/status-reads)
if [ "$status_reads" -gt 0 ]; then pass "status reader read the file $status_reads times"; else fail "status reader never read the file"; fi
check_eq "one patch line per patching cycle" "$(rfg_lines | grep -c 'Enabling fine-grained')" "$patches"
check_eq "one restore line per patching cycle" "$(rfg_lines | grep -c 'flags restored 0x1 -> 0x0')" "$patches"
check_eq "every unload says 0 not restored" "$(rfg_lines | grep -c 'unloading, .*, 0 not restored')" "$cycles"
check_eq "final sysfs text equals the text before" "$(topology_text)" "$before"
say "$cycles cycles, $patches patched and restored"
finish
