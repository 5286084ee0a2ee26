# shellcheck shell=sh
# Runs the scenarios of one boot, as listed in /ci/parts ("NAME LIMIT" a
# line), one after the other, each with SHELL (busybox sh, or bash in the
# booted Debian userland) from /ci/scenarios/NAME.sh. Before each, the
# kernel log is cleared (every line stays on the console) and, for a
# scenario marked "# needs: no-amdgpu", amdgpu is unloaded if an earlier
# scenario left it loaded; each is stopped after LIMIT seconds. Around each
# it prints "RDNA1_FG_PART_BEGIN NAME" and "RDNA1_FG_PART_EXIT NAME STATUS
# SECONDS" for ci/vm.sh, which judges every scenario by its own lines. A
# scenario that leaves rdna1_fg loaded or kprobes disarmed gets a
# "RDNA1_FG_PART_LEFT NAME ..." line (which fails it), and the next one
# starts without them.

# run_parts SHELL
run_parts() {
	kprobes=/sys/kernel/debug/kprobes/enabled
	while read -r name limit; do
		script=/ci/scenarios/$name.sh
		dmesg -c >/dev/null
		if grep -q '^# needs: no-amdgpu$' "$script" && grep -q '^amdgpu ' /proc/modules; then
			rmmod amdgpu
		fi
		echo "RDNA1_FG_PART_BEGIN $name"
		start=$(cut -d. -f1 /proc/uptime)
		# (Not from /ci/parts: a scenario that reads its input must not eat the list.)
		timeout -s KILL "$limit" "$1" "$script" </dev/null
		rc=$?
		echo "RDNA1_FG_PART_EXIT $name $rc $(($(cut -d. -f1 /proc/uptime) - start))"
		if grep -q '^rdna1_fg ' /proc/modules; then
			echo "RDNA1_FG_PART_LEFT $name left rdna1_fg loaded"
			rmmod rdna1_fg
		fi
		if [ -f "$kprobes" ] && [ "$(cat "$kprobes")" != 1 ]; then
			echo "RDNA1_FG_PART_LEFT $name left kprobes disarmed"
			echo 1 >"$kprobes"
		fi
	done </ci/parts
}
