# timeout: 900
# 100 load/unload cycles of rdna1_fg while another process reads every KFD
# properties file in a loop: every read sees flags 0 or 1, and the final
# sysfs text equals the text before.
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

rm -f /tmp/stop /tmp/flags
(
	while [ ! -e /tmp/stop ]; do
		for f in "$TOPO"/nodes/*/mem_banks/*/properties "$TOPO"/nodes/*/properties; do
			awk '$1 == "flags" { print $2 }' "$f"
		done
	done >/tmp/flags
) &
reader=$!

cycles=100
i=1
bad=0
while [ "$i" -le "$cycles" ]; do
	insmod "$MODULE" device_id=0 heap_mask=0x1 || bad=$((bad + 1))
	rmmod rdna1_fg || bad=$((bad + 1))
	i=$((i + 1))
done
touch /tmp/stop
wait "$reader"
check_eq "$cycles insmod/rmmod cycles without an error" "$bad" 0
reads=$(wc -l </tmp/flags)
say "reader saw $reads flags values; distinct: $(sort -u /tmp/flags | tr '\n' ' ')"
[ "$reads" -gt "$cycles" ] && pass "reader ran throughout ($reads reads)" || fail "reader made only $reads reads"
check_eq "every read saw flags 0 or 1" "$(grep -cv '^[01]$' /tmp/flags)" 0
grep -q '^1$' /tmp/flags && pass "reader saw the bit set at least once" || say "reader never caught the bit set"
check_eq "patched $cycles times" "$(rfg_lines | grep -c 'Enabling fine-grained')" "$cycles"
check_eq "restored $cycles times" "$(rfg_lines | grep -c 'flags restored 0x1 -> 0x0')" "$cycles"
check_eq "final sysfs text equals the text before" "$(topology_text)" "$before"
finish
