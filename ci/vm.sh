#!/bin/bash
# Boot Debian's kernel in QEMU (TCG) with an initramfs that holds busybox,
# Debian's amdgpu.ko and the modules it needs, rdna1_fg.ko and one scenario,
# and report the scenario's result.
#
# Usage: ci/vm.sh [--repeat N] SCENARIO...
#   SCENARIO: the name of a file in ci/scenarios/ (without .sh), or the path
#   of a scenario script. A script with a "# module: none" line runs without
#   rdna1_fg.ko.
#   --repeat N: boot each scenario N times (runs NAME.1 ... NAME.N), with no
#   retry: every boot counts (what make boot-soak measures).
#
# One VM per scenario, the longest first, up to RDNA1_FG_VM_JOBS at a time (default: the number
# of CPUs, at most 4; each VM keeps one host CPU busy). A scenario's lines are
# printed together when its VM has stopped. Each guest console log is kept in
# $OUT_DIR/logs/RUN.log. The scenario reports in KTAP (ci/guest/lib.sh); it
# fails on a "not ok" result, on a missing or wrong plan (it stopped early),
# on a kernel panic (the guest runs with panic_on_warn=1 and oops=panic: see
# KERNEL_CHECKS) or a report the kernel prints without panicking (see
# BAD_KERNEL_LOG) after the scenario began, or on a timeout
# (RDNA1_FG_VM_TIMEOUT seconds, default 900; a scenario may set its own with
# a "# timeout: SECONDS" line).
#
# A target may add to the kernel command line (KERNEL_CMDLINE in its file:
# the debug kernel adds kasan.fault=panic), and multiply every time limit
# (TIMEOUT_FACTOR: the debug kernel runs several times slower).
#
# A guest that stops before the scenario begins (a kernel report before the
# RDNA1_FG_SCENARIO_BEGIN line that ci/guest/init prints, or no such line) is
# a boot failure of the kernel, not a scenario failure. That boot is retried
# once, its log kept as RUN.boot-failed.log: if the retry boots, the
# scenario's own result counts and the summary lists a flaky boot; if it does
# not, the run fails with a boot failure. A kernel report after the begin line
# is a scenario failure and is never retried.
#
# Ends with "boots: F flaky, B failed" and "scenarios: N passed, M failed"
# (M includes the B boot failures).
#
# The guest runs on single-threaded TCG: one host thread runs both vCPUs in
# turn. With multi-threaded TCG (one host thread per vCPU) a vCPU can run a
# stale translation of kernel text that the other vCPU is rewriting (static
# keys and static calls are patched live through int3), and a 7.3.4 guest
# died in boot of "Oops: int3" in sched_clock_cpu. RDNA1_FG_TCG_THREAD=multi
# brings multi-threaded TCG back, to measure the difference.
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

VM_TIMEOUT=${RDNA1_FG_VM_TIMEOUT:-900}
# How many cycles the stress scenarios run: "bounded" (make test) or "full"
# (make stress); the guest reads it from /ci/stress (ci/guest/lib.sh: scaled).
STRESS=${RDNA1_FG_STRESS:-bounded}
case $STRESS in bounded | full) ;; *) die "RDNA1_FG_STRESS must be bounded or full, not '$STRESS'" ;; esac
TCG_THREAD=${RDNA1_FG_TCG_THREAD:-single}
case $TCG_THREAD in single | multi) ;; *) die "RDNA1_FG_TCG_THREAD must be single or multi, not '$TCG_THREAD'" ;; esac
VM_JOBS=${RDNA1_FG_VM_JOBS:-$(($(nproc) < 4 ? $(nproc) : 4))}
[[ $VM_JOBS =~ ^[1-9][0-9]*$ ]] || die "RDNA1_FG_VM_JOBS must be a positive number, not '$VM_JOBS'"
# Module chains in the initramfs: amdgpu's, and what booting the build root
# as a root file system needs (9p over virtio, overlayfs).
AMDGPU_CHAIN="amdgpu"
ROOTFS_CHAIN="9p 9pnet_virtio overlay"
BASE_CPIO=$CACHE_DIR/initramfs-base-$(echo "$AMDGPU_CHAIN/$ROOTFS_CHAIN/slim" | md5sum | cut -c1-8).cpio
KERNEL_IMAGE=$BOOT_DIR/usr/lib/modules/$KREL/vmlinuz.unsigned
LOG_DIR=$OUT_DIR/logs
# The kernel judges itself: booted with panic_on_warn=1 and oops=panic, any
# WARN (refcount_t, list corruption and UBSAN reports among them), Oops, BUG(),
# general protection fault, and the KASAN and KFENCE reports panic the guest,
# which then stops before the scenario's KTAP plan: the scenario fails, and
# the panic line is shown. slub_debug=FZPU and kfence.sample_interval=1 turn
# on the checks of freed and overrun slab memory that Debian's kernels carry
# (SLUB_DEBUG and KFENCE are built in, off by default).
KERNEL_CHECKS=${RDNA1_FG_KERNEL_CHECKS-"panic_on_warn=1 oops=panic slub_debug=FZPU kfence.sample_interval=1"}
# What the kernel reports without panicking, so the console is read for it:
# lockdep's reports, sleeping in atomic context, slub_debug's "BUG <cache>",
# soft lockups and hung tasks; the panic itself; and the words of a WARN or
# Oops, in case a kernel was booted without the panic options.
BAD_KERNEL_LOG='Kernel panic|BUG[: ]|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|blocked for more than|Oops|WARNING:|Call Trace:'
# log_buf_len: the kernel log holds a whole scenario (the full stress counts
# print thousands of lines; the default buffer drops the first ones, which
# the scenarios count with dmesg).
LOG_BUF="log_buf_len=16M"
# Kernel stall detectors timed for an emulated guest on a shared host. Under
# TCG on a loaded 2-core host, the signature check of amdgpu.ko alone kept a
# vCPU busy for over 30 s, past the default soft lockup limit (20 s), and the
# "BUG: soft lockup" failed a scenario. Lockups are still reported, after
# 330 s (soft lockup), 300 s (RCU stall) and 420 s (hung task), and a guest
# that never comes back hits the VM time limit.
# no_timer_check: the IO-APIC timer check at boot counts timer ticks in a
# busy loop; on a loaded host it failed once ("IO-APIC + timer doesn't work!",
# a panic at 0 s); emulated guests skip it, as cloud images do.
STALL_LIMITS="watchdog_thresh=165 rcupdate.rcu_cpu_stall_timeout=300 sysctl.kernel.hung_task_timeout_secs=420 no_timer_check"
# run_one's status for a guest that stopped before the scenario began.
BOOT_FAILED=2

# slim_amdgpu KO: amdgpu.ko without its appended signature and without the
# symbols no relocation needs, except the KFD functions rdna1_fg probes
# (their names are read from src/kfd_hooks.c). Loading Debian's amdgpu.ko
# under TCG takes about 18 s, 14 of them in ftrace checking each of its
# 16771 functions against the module's symbol table (test_for_valid_rec:
# kallsyms_lookup, a linear search of its 54682 symbols); with the unneeded
# symbols gone (19410 left) the load takes about half as long. The code and
# data are Debian's, byte for byte; what is lost is the names of amdgpu's
# other static functions in stack traces and ftrace, and the signature,
# which Debian's kernels do not enforce (a module without one taints, as
# rdna1_fg.ko does anyway). The packaging scenario boots the build root and
# loads Debian's files as they are.
slim_amdgpu() {
	local keep=() name
	while read -r name; do
		keep+=(-K "$name")
	done < <(sed -n 's/^\t\[RDNA1_FG_PROBE_[A-Z_]*\] = "\([a-z_0-9]*\)",$/\1/p' "$REPO_DIR/src/kfd_hooks.c")
	[ ${#keep[@]} -ge 4 ] || die "no probed function names found in $REPO_DIR/src/kfd_hooks.c"
	objcopy --strip-unneeded "${keep[@]}" "$1" "$1.slim"
	mv "$1.slim" "$1"
}

# add_chain DIR MODULE...: the modules and their dependencies, decompressed
# (busybox insmod takes plain .ko files), with their load order in DIR/order.
add_chain() {
	local dir=$1 m
	shift
	mkdir -p "$dir"
	for m in "$@"; do
		modprobe -d "$BOOT_DIR/usr" -S "$KREL" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' >"$dir.paths"
	[ -s "$dir.paths" ] || die "modprobe found no modules for $* in $BOOT_DIR"
	while read -r m; do
		xz -dc "$m" >"$dir/$(basename "$m" .xz)"
		[ "$(basename "$m" .xz)" != amdgpu.ko ] || slim_amdgpu "$dir/amdgpu.ko"
		basename "$m" .xz >>"$dir/order"
	done <"$dir.paths"
	rm "$dir.paths"
}

# The part of the initramfs that depends only on the kernel: busybox and the
# module chains. Built in a directory of its own, so that two checkouts
# building it at once do not mix their files.
build_base_cpio() {
	local dir
	dir=$(mktemp -d "$CACHE_DIR/initramfs-base.XXXXXX")
	mkdir -p "$dir/bin"
	cp "$ROOT_DIR/bin/busybox" "$dir/bin/busybox"
	# shellcheck disable=SC2086
	add_chain "$dir/lib/modules/$KREL/amdgpu-chain" $AMDGPU_CHAIN
	# shellcheck disable=SC2086
	add_chain "$dir/lib/modules/$KREL/rootfs-chain" $ROOTFS_CHAIN
	(cd "$dir" && find . | cpio -o -H newc --quiet) >"$dir.cpio"
	mv "$dir.cpio" "$BASE_CPIO"
	rm -rf "$dir"
}

# kernel_reports FILE: the first lines of FILE that say the kernel went wrong.
kernel_reports() {
	grep -a -E "$BAD_KERNEL_LOG" "$1" | sed -n 1,5p || true
}

# run_one SCRIPT RUN: boot once with the scenario SCRIPT; the console log is
# $LOG_DIR/RUN.log. Returns 0 when the scenario passed, 1 when it failed,
# $BOOT_FAILED when the guest stopped before the scenario began.
run_one() {
	local script=$1 run=$2 work log rc=0
	work=$(mktemp -d)
	log=$LOG_DIR/$run.log
	mkdir -p "$work/ci"
	install -m 0755 "$CI_DIR/guest/init" "$work/init"
	cp "$CI_DIR/guest/lib.sh" "$work/ci/lib.sh"
	cp "$script" "$work/ci/scenario.sh"
	echo "$run" >"$work/ci/name"
	echo "$STRESS" >"$work/ci/stress"
	grep -q '^# module: none' "$script" || cp "$OUT_DIR/rdna1_fg.ko" "$work/rdna1_fg.ko"
	local qemu_extra=(-m 2048) checks=$KERNEL_CHECKS
	if grep -q '^# needs: userland' "$script"; then
		# The packaging scenario compiles the module twice in the guest and
		# once ran past its limit at its last step on a loaded host; it tests
		# the packaging, so it boots without slub_debug, which checks every
		# slab allocation (the module gets those checks in every other
		# scenario). KFENCE and the panic options stay.
		checks=${checks/slub_debug=FZPU /}
		# Boot the build root (read-only, under a tmpfs overlay) as the
		# guest's Debian userland, and give it the package.
		touch "$work/ci/userland"
		cp "$CI_DIR/guest/userland-init.sh" "$work/ci/"
		cp "$OUT_DIR"/rdna1-fg-dkms_*_all.deb "$work/ci/" ||
			die "no package in $OUT_DIR: run ci/build-deb.sh first"
		cp "$OUT_DIR"/rdna1-fg_*.deb "$work/ci/" 2>/dev/null || true # the tool's, when built
		qemu_extra=(-m 3072 -virtfs "local,path=$ROOT_DIR,mount_tag=rootfs,security_model=none,readonly=on")
	fi
	(cd "$work" && find . | cpio -o -H newc --quiet) >"$work.cpio"
	cat "$BASE_CPIO" "$work.cpio" >"$work.initrd"
	local limit
	limit=$(scenario_limit "$script")
	local start=$SECONDS
	timeout --foreground -k 10 "$limit" qemu-system-x86_64 -accel "tcg,thread=$TCG_THREAD" \
		-cpu max -smp 2 "${qemu_extra[@]}" \
		-nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$KERNEL_IMAGE" -initrd "$work.initrd" \
		-append "console=ttyS0 panic=-1 $checks rdinit=/init $LOG_BUF $STALL_LIMITS${KERNEL_CMDLINE:+ $KERNEL_CMDLINE}" </dev/null >"$log" 2>&1 || rc=$?
	rm -rf "$work" "$work.cpio" "$work.initrd"
	local secs=$((SECONDS - start)) begin boot_part
	# The boot: everything before the scenario's begin line.
	begin=$(grep -a -n -m 1 'RDNA1_FG_SCENARIO_BEGIN' "$log" | cut -d: -f1 || true)
	if [ -z "$begin" ]; then
		kernel_reports "$log" >&2
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			log "BOOT FAIL $run: kernel $KREL did not start the scenario within ${limit}s (guest log: $log)"
		else
			log "BOOT FAIL $run: kernel $KREL stopped before the scenario began (after ${secs}s; guest log: $log)"
		fi
		return "$BOOT_FAILED"
	fi
	boot_part=$(head -n "$((begin - 1))" "$log" | grep -a -E "$BAD_KERNEL_LOG" || true)
	if [ -n "$boot_part" ]; then
		echo "$boot_part" | sed -n 1,5p >&2
		log "BOOT FAIL $run: kernel $KREL reported a problem before the scenario began (guest log: $log)"
		return "$BOOT_FAILED"
	fi
	ktap_lines "$log"
	local exit_line verdict
	exit_line=$(grep -a -o 'RDNA1_FG_SCENARIO_EXIT=[0-9]*' "$log" | tail -n 1 || true)
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		log "FAIL $run: timed out after ${limit}s (guest log: $log)"
		return 1
	fi
	if grep -a -E -q "$BAD_KERNEL_LOG" "$log"; then
		kernel_reports "$log" >&2
		log "FAIL $run: the guest kernel reported a problem (guest log: $log)"
		return 1
	fi
	if ! verdict=$(ktap_verdict "$log"); then
		log "FAIL $run: $verdict (guest log: $log)"
		return 1
	fi
	if [ "$exit_line" != "RDNA1_FG_SCENARIO_EXIT=0" ]; then
		log "FAIL $run: scenario ended with '${exit_line:-no exit status}' (guest log: $log)"
		return 1
	fi
	log "PASS $run (${secs}s)"
}

# run_scenario SCRIPT RUN RETRY: run_one; after a boot failure, when RETRY is
# 1, keeps that boot's log as RUN.boot-failed.log and boots once more.
run_scenario() {
	local rc=0
	run_one "$1" "$2" || rc=$?
	if [ "$rc" -ne "$BOOT_FAILED" ] || [ "$3" -ne 1 ]; then
		return "$rc"
	fi
	mv "$LOG_DIR/$2.log" "$LOG_DIR/$2.boot-failed.log"
	log "retrying $2 once after a boot failure (failed boot's log: $LOG_DIR/$2.boot-failed.log)"
	run_one "$1" "$2"
}

# scenario_limit SCRIPT: the VM time limit of a scenario, in seconds. A
# scenario may ask for more time than VM_TIMEOUT ("# timeout: SECONDS"); the
# full counts of make stress take longer ("# timeout-full: SECONDS"); the
# target may multiply it (TIMEOUT_FACTOR).
scenario_limit() {
	local limit
	limit=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$1" 2>/dev/null)
	limit=${limit:-$VM_TIMEOUT}
	if [ "$STRESS" = full ]; then
		limit=$(sed -n 's/^# timeout-full: \([0-9]*\)$/\1/p' "$1" 2>/dev/null | grep . || echo "$limit")
	fi
	echo $((limit * TIMEOUT_FACTOR))
}

# scenario_script ARG: the script of a scenario named by ARG (a name in
# ci/scenarios/, or a path).
scenario_script() {
	case $1 in
	*/*) echo "$1" ;;
	*) echo "$CI_DIR/scenarios/$1.sh" ;;
	esac
}

main() {
	local repeat=0 retry=1
	if [ "${1:-}" = "--repeat" ]; then
		[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "usage: ci/vm.sh [--repeat N] SCENARIO..."
		repeat=$2 retry=0
		shift 2
	fi
	[ $# -gt 0 ] || die "usage: ci/vm.sh [--repeat N] SCENARIO..."
	ensure_host_tools
	[ -f "$KERNEL_IMAGE" ] || die "no kernel image at $KERNEL_IMAGE: run ci/buildroot.sh first"
	# The runs: RUN names and their scenario scripts, the longest first (by
	# their time limits), so that a long one does not run alone at the end
	# while the other VM slots are idle.
	local runs=() scripts=() arg script name i
	# shellcheck disable=SC2046
	set -- $(for arg in "$@"; do
		printf '%s %s\n' "$(scenario_limit "$(scenario_script "$arg")")" "$arg"
	done | sort -s -k1,1nr | cut -d' ' -f2)
	for arg in "$@"; do
		script=$(scenario_script "$arg")
		[ -f "$script" ] || die "no scenario $script"
		grep -q '^# module: none' "$script" || [ -f "$OUT_DIR/rdna1_fg.ko" ] ||
			die "no $OUT_DIR/rdna1_fg.ko: run ci/build-module.sh first"
		name=$(basename "$script" .sh)
		if [ "$repeat" -eq 0 ]; then
			runs+=("$name")
			scripts+=("$script")
		fi
		for ((i = 1; i <= repeat; i++)); do
			runs+=("$name.$i")
			scripts+=("$script")
		done
	done
	[ -f "$BASE_CPIO" ] || step "initramfs with busybox and the amdgpu module chain" build_base_cpio
	mkdir -p "$LOG_DIR"

	local out next=0 running=0 pid idx rc run
	local ok=0 bad=0 boot_bad=0 flaky=0 notes=()
	local -A index_of=()
	out=$(mktemp -d)
	log "booting ${#runs[@]} VM(s) of kernel $KREL, $VM_JOBS at a time"
	while [ "$next" -lt "${#runs[@]}" ] || [ "$running" -gt 0 ]; do
		if [ "$next" -lt "${#runs[@]}" ] && [ "$running" -lt "$VM_JOBS" ]; then
			rm -f "$LOG_DIR/${runs[next]}.boot-failed.log"
			# Tested with ||, as run_one always was: errexit is off inside.
			(run_scenario "${scripts[next]}" "${runs[next]}" "$retry" || exit) >"$out/$next" 2>&1 &
			index_of[$!]=$next
			next=$((next + 1)) running=$((running + 1))
			continue
		fi
		rc=0
		wait -n -p pid || rc=$?
		idx=${index_of[$pid]}
		run=${runs[idx]}
		running=$((running - 1))
		cat "$out/$idx"
		case $rc in
		0) ok=$((ok + 1)) ;;
		"$BOOT_FAILED")
			boot_bad=$((boot_bad + 1))
			if [ -f "$LOG_DIR/$run.boot-failed.log" ]; then
				notes+=("boot failure: $run on kernel $KREL, twice (guest logs: $LOG_DIR/$run.boot-failed.log, $LOG_DIR/$run.log)")
			else
				notes+=("boot failure: $run on kernel $KREL (guest log: $LOG_DIR/$run.log)")
			fi
			;;
		*) bad=$((bad + 1)) ;;
		esac
		if [ "$rc" -ne "$BOOT_FAILED" ] && [ -f "$LOG_DIR/$run.boot-failed.log" ]; then
			flaky=$((flaky + 1))
			notes+=("flaky boot: $run on kernel $KREL failed to boot once, then booted (failed boot's log: $LOG_DIR/$run.boot-failed.log)")
		fi
	done
	rm -rf "$out"
	if [ ${#notes[@]} -gt 0 ]; then printf '%s\n' "${notes[@]}"; fi
	echo "boots: $flaky flaky, $boot_bad failed"
	echo "scenarios: $ok passed, $((bad + boot_bad)) failed"
	[ $((bad + boot_bad)) -eq 0 ]
}

main "$@"
