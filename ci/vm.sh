#!/bin/bash
# Boot Debian's kernel in QEMU (TCG) with an initramfs that holds busybox,
# Debian's amdgpu.ko and the modules it needs, rdna1_fg.ko and scenarios,
# and report each scenario's result.
#
# Usage: ci/vm.sh [--repeat N] SCENARIO...
#        ci/vm.sh --plan SCENARIO...
#        ci/vm.sh --run RUN SCENARIO...
#   SCENARIO: the name of a file in ci/scenarios/ (without .sh), or the path
#   of a scenario script. A script with a "# module: none" line runs without
#   rdna1_fg.ko.
#   --repeat N: boot each scenario N times (runs NAME.1 ... NAME.N), alone,
#   with no retry: every boot counts (what make boot-soak measures).
#   --plan: print the boots the scenarios need, the longest first, one a
#   line: "LIMIT RUN SCENARIO..." (what ci/test.sh queues).
#   --run: make one boot, named RUN, with the scenarios (from --plan).
#
# Boots: a scenario marked "# boot: shared" leaves the module unloaded and
# the topology as it found it, so the shared scenarios of a run share boots
# (so does one marked "# boot: shared at smoke counts", a stress scenario,
# when it runs with its smoke counts)
# (SHARED_PER_BOOT at most in one; ci/guest/parts.sh runs them one after the
# other, clears the kernel log before each, and fails one that leaves
# rdna1_fg loaded or kprobes disarmed); every other scenario boots alone.
# Up to RDNA1_FG_VM_JOBS boots run at a time (default: the number of CPUs,
# at most 4; each VM keeps one host CPU busy), the longest first (by their
# wall time in the last run, else by their time limit). A boot's
# lines are printed together when its VM has stopped. Each guest console log
# is kept in $OUT_DIR/logs/RUN.log, and each scenario's part of a shared
# boot's log in $OUT_DIR/logs/SCENARIO.log. A scenario reports in KTAP
# (ci/guest/lib.sh); it fails on a "not ok" result, on a missing or wrong
# plan (it stopped early), on a kernel panic (the guest runs with
# panic_on_warn=1 and oops=panic: see KERNEL_CHECKS) or a report the kernel
# prints without panicking (see BAD_KERNEL_LOG) while it ran, or on a
# timeout (RDNA1_FG_VM_TIMEOUT seconds, default 600; a scenario may set its
# own with a "# timeout: SECONDS" line; the guest stops a scenario at its
# limit, and a shared boot's limit is the sum of its scenarios').
#
# A scenario marked "# root: NAME" (with "# needs: userland") boots the
# build root as a Debian userland with what the chroot scenario NAME left in
# it: ci/chroot.sh runs NAME first, natively, and the boot follows when it
# passed. A scenario marked "# needs: guest-timer" (the benchmarks) gets
# $OUT_DIR/guest-timer, which ci/bench.sh builds, as /ci/guest-timer.
#
# A target may add to the kernel command line (KERNEL_CMDLINE in its file:
# the debug kernel adds kasan.fault=panic), and multiply every time limit
# (TIMEOUT_FACTOR: the debug kernel runs several times slower).
#
# A guest that stops before its first scenario begins (a kernel report
# before the RDNA1_FG_SCENARIO_BEGIN line that ci/guest/init prints, or no
# such line) is a boot failure of the kernel, not a scenario failure. That
# boot is retried once, its log kept as RUN.boot-failed.log: if the retry
# boots, the scenarios' own results count and the summary lists a flaky
# boot; if it does not, its scenarios fail with a boot failure. A kernel
# report after the begin line is a scenario failure and is never retried.
#
# Ends with "boots: F flaky, B failed" and "scenarios: N passed, M failed"
# (M includes the scenarios of the B failed boots).
#
# The guest runs on single-threaded TCG: one host thread runs both vCPUs in
# turn. With multi-threaded TCG (one host thread per vCPU) a vCPU can run a
# stale translation of kernel text that the other vCPU is rewriting (static
# keys and static calls are patched live through int3), and a 7.3.4 guest
# died in boot of "Oops: int3" in sched_clock_cpu. RDNA1_FG_TCG_THREAD=multi
# brings multi-threaded TCG back, to measure the difference.
#
# RDNA1_FG_VM_CLOCK=icount (the benchmarks; default: host) runs the guest
# with QEMU's -icount shift=0,sleep=off: its clock advances by one
# nanosecond per instruction the vCPUs execute, and idle time is skipped, so
# a duration the guest measures depends on what the guest did, not on how
# busy the host was. Needs single-threaded TCG.
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

VM_TIMEOUT=${RDNA1_FG_VM_TIMEOUT:-600}
# How many cycles the stress scenarios run: "smoke" (make check, and make
# test on the targets after the primary), "bounded" (make test on the
# primary target) or "full" (make stress); the guest reads it from
# /ci/stress (ci/guest/lib.sh: scaled).
STRESS=${RDNA1_FG_STRESS:-bounded}
case $STRESS in smoke | bounded | full) ;; *) die "RDNA1_FG_STRESS must be smoke, bounded or full, not '$STRESS'" ;; esac
# At most this many scenarios share one boot: the shared scenarios of a run
# are spread over as many boots as that needs, so that they still run
# side by side with the long ones.
SHARED_PER_BOOT=${RDNA1_FG_SHARED_PER_BOOT:-8}
TCG_THREAD=${RDNA1_FG_TCG_THREAD:-single}
case $TCG_THREAD in single | multi) ;; *) die "RDNA1_FG_TCG_THREAD must be single or multi, not '$TCG_THREAD'" ;; esac
VM_CLOCK=${RDNA1_FG_VM_CLOCK:-host}
case $VM_CLOCK in
host) ICOUNT=() ;;
icount)
	[ "$TCG_THREAD" = single ] || die "RDNA1_FG_VM_CLOCK=icount needs single-threaded TCG (RDNA1_FG_TCG_THREAD=single)"
	ICOUNT=(-icount "shift=0,sleep=off")
	;;
*) die "RDNA1_FG_VM_CLOCK must be host or icount, not '$VM_CLOCK'" ;;
esac
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
# (busybox insmod takes plain .ko files; Debian's are xz-compressed, the
# debug kernel's are not), with their load order in DIR/order.
add_chain() {
	local dir=$1 m
	shift
	mkdir -p "$dir"
	for m in "$@"; do
		modprobe -d "$BOOT_DIR/usr" -S "$KREL" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' >"$dir.paths"
	[ -s "$dir.paths" ] || die "modprobe found no modules for $* in $BOOT_DIR"
	while read -r m; do
		case $m in
		*.xz) xz -dc "$m" >"$dir/$(basename "$m" .xz)" ;;
		*) cp "$m" "$dir/" ;; # the debug kernel's, installed uncompressed
		esac
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

# part_section LOG NAME: the lines of scenario NAME in the console log LOG,
# from its begin line to its exit line (or to the end, when it has none),
# and a line of ci/guest/parts.sh about what it left behind.
part_section() {
	awk -v n="$2" '
		$0 ~ "RDNA1_FG_PART_BEGIN " n "\r?$" { on = 1 }
		on { print }
		on && $0 ~ "RDNA1_FG_PART_EXIT " n " " { on = 0 }
		$0 ~ "RDNA1_FG_PART_LEFT " n " " { print }
	' "$1" | tr -d '\r'
}

# judge_part LOG NAME TIMED_OUT PARTLOG: the verdict on scenario NAME from
# the console log LOG of its boot (TIMED_OUT: 1 when QEMU was stopped at the
# boot's limit), its part of the log written to PARTLOG; prints its PASS or
# FAIL line, returns non-zero when it failed.
judge_part() {
	local log=$1 name=$2 timed_out=$3 partlog=$4 exit_line rc verdict secs
	# A scenario that had its boot to itself: its log is the boot's.
	if [ "$partlog" = "$log" ]; then
		partlog=$(mktemp)
		part_section "$log" "$name" >"$partlog"
		judge_part_log "$log" "$name" "$timed_out" "$partlog" "$log" || rc=$?
		rm -f "$partlog"
		return "${rc:-0}"
	fi
	part_section "$log" "$name" >"$partlog"
	judge_part_log "$log" "$name" "$timed_out" "$partlog" "$partlog"
}

# judge_part_log LOG NAME TIMED_OUT PARTLOG SHOWN: judge_part, on the part
# PARTLOG already cut out of LOG; its lines name the log SHOWN.
judge_part_log() {
	local log=$1 name=$2 timed_out=$3 partlog=$4 shown=$5 exit_line rc verdict secs
	if ! grep -q "^RDNA1_FG_PART_BEGIN $name\$" "$partlog"; then
		if [ "$timed_out" = 1 ]; then
			log "FAIL $name: did not run: its boot reached its time limit first (guest log: $log)"
		else
			log "FAIL $name: did not run: the guest stopped before it (guest log: $log)"
		fi
		return 1
	fi
	ktap_lines "$partlog"
	exit_line=$(grep -m 1 "^RDNA1_FG_PART_EXIT $name " "$partlog" || true)
	if [ -z "$exit_line" ]; then
		kernel_reports "$partlog" >&2
		if [ "$timed_out" = 1 ]; then
			log "FAIL $name: timed out: its boot reached its time limit (guest log: $log)"
		else
			log "FAIL $name: the guest stopped while it ran (guest log: $log)"
		fi
		return 1
	fi
	if grep -a -E -q "$BAD_KERNEL_LOG" "$partlog"; then
		kernel_reports "$partlog" >&2
		log "FAIL $name: the guest kernel reported a problem (log: $shown)"
		return 1
	fi
	if ! verdict=$(ktap_verdict "$partlog"); then
		log "FAIL $name: $verdict (log: $shown)"
		return 1
	fi
	read -r _ _ rc secs <<<"$exit_line"
	if [ "$rc" = 137 ]; then
		log "FAIL $name: stopped at its time limit in the guest (log: $shown)"
		return 1
	fi
	if [ "$rc" != 0 ]; then
		log "FAIL $name: scenario ended with exit status $rc (log: $shown)"
		return 1
	fi
	if grep -q "^RDNA1_FG_PART_LEFT $name " "$partlog"; then
		log "FAIL $name: $(sed -n "s/^RDNA1_FG_PART_LEFT $name //p" "$partlog" | head -n 1) after it (log: $shown)"
		return 1
	fi
	log "PASS $name (${secs:-?}s)"
}

# native_root WORK NAME: the root file system of a "# root: NAME" scenario
# at WORK/root: the chroot scenario NAME runs (ci/chroot.sh), and an overlay
# of its changes over the build root is mounted there. Prints the chroot
# scenario's result lines.
native_root() {
	"$CI_DIR/chroot.sh" --keep "$1/root-changes" "$2" || return 1
	mkdir -p "$1/root"
	mount -t overlay overlay -o "ro,lowerdir=$1/root-changes:$ROOT_DIR" "$1/root"
}

# boot_cleanup: removes the work directory of the boot (BOOT_WORK), and the
# root file system mounted there; also when the run is stopped.
BOOT_WORK=
boot_cleanup() {
	[ -n "$BOOT_WORK" ] || return 0
	if mountpoint -q "$BOOT_WORK/root"; then umount -l "$BOOT_WORK/root"; fi
	rm -rf "$BOOT_WORK"
	BOOT_WORK=
}
trap boot_cleanup EXIT
trap 'exit 143' TERM INT

# boot RUN SCRIPT...: boot once with the scenarios SCRIPT...; the console log
# is $LOG_DIR/RUN.log. Prints a PASS or FAIL line for each scenario and, on
# its last line, "result: P passed, F failed". Returns $BOOT_FAILED when the
# guest stopped before the first scenario began (no result line then), 1
# when a scenario failed, else 0.
boot() {
	local run=$1 work log rc=0 script name limit=0 userland='' root='' shared=0
	shift
	[ $# -gt 1 ] && shared=1
	work=$(mktemp -d /var/tmp/rdna1_fg-vm.XXXXXX)
	BOOT_WORK=$work
	log=$LOG_DIR/$run.log
	mkdir -p "$work/initrd/ci/scenarios"
	install -m 0755 "$CI_DIR/guest/init" "$work/initrd/init"
	cp "$CI_DIR/guest/lib.sh" "$CI_DIR/guest/parts.sh" "$work/initrd/ci/"
	echo "$run" >"$work/initrd/ci/name"
	echo "$STRESS" >"$work/initrd/ci/stress"
	for script in "$@"; do
		name=$(basename "$script" .sh)
		cp "$script" "$work/initrd/ci/scenarios/$name.sh"
		echo "$name $(scenario_limit "$script")" >>"$work/initrd/ci/parts"
		limit=$((limit + $(scenario_limit "$script")))
		grep -q '^# module: none' "$script" || cp "$OUT_DIR/rdna1_fg.ko" "$work/initrd/rdna1_fg.ko"
		grep -q '^# needs: userland' "$script" && userland=1
		if grep -q '^# needs: guest-timer' "$script"; then
			cp "$OUT_DIR/guest-timer" "$work/initrd/ci/guest-timer" ||
				die "no $OUT_DIR/guest-timer: ci/bench.sh builds it"
		fi
		root=${root:-$(sed -n 's/^# root: \([a-z0-9-]*\)$/\1/p' "$script")}
	done
	local qemu_extra=(-m 2048) export_dir=$ROOT_DIR
	if [ -n "$userland" ]; then
		if [ -n "$root" ]; then
			if ! native_root "$work" "$root"; then
				boot_cleanup
				for script in "$@"; do log "FAIL $(basename "$script" .sh): not booted: the chroot scenario $root, which makes its root file system, failed"; done
				echo "result: 0 passed, $# failed"
				return 1
			fi
			export_dir=$work/root
		fi
		# Boot the build root (read-only, under a tmpfs overlay) as the
		# guest's Debian userland, and give it the packages.
		touch "$work/initrd/ci/userland"
		cp "$CI_DIR/guest/userland-init.sh" "$work/initrd/ci/"
		cp "$OUT_DIR"/rdna1-fg-dkms_*_all.deb "$work/initrd/ci/" ||
			die "no package in $OUT_DIR: run ci/build-deb.sh first"
		cp "$OUT_DIR"/rdna1-fg_*.deb "$work/initrd/ci/" 2>/dev/null || true # the tool's, when built
		qemu_extra=(-m 3072 -virtfs "local,path=$export_dir,mount_tag=rootfs,security_model=none,readonly=on")
	fi
	(cd "$work/initrd" && find . | cpio -o -H newc --quiet) >"$work/run.cpio"
	cat "$BASE_CPIO" "$work/run.cpio" >"$work/initrd.img"
	limit=$((limit + 60 * TIMEOUT_FACTOR)) # and the boot itself
	local start=$SECONDS
	timeout --foreground -k 10 "$limit" qemu-system-x86_64 -accel "tcg,thread=$TCG_THREAD" "${ICOUNT[@]}" \
		-cpu max -smp 2 "${qemu_extra[@]}" \
		-nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$KERNEL_IMAGE" -initrd "$work/initrd.img" \
		-append "console=ttyS0 panic=-1 $KERNEL_CHECKS rdinit=/init $LOG_BUF $STALL_LIMITS${KERNEL_CMDLINE:+ $KERNEL_CMDLINE}" </dev/null >"$log" 2>&1 || rc=$?
	boot_cleanup
	local secs=$((SECONDS - start)) begin boot_part timed_out=0
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then timed_out=1; fi
	# The boot: everything before the first scenario's begin line.
	begin=$(grep -a -n -m 1 'RDNA1_FG_SCENARIO_BEGIN' "$log" | cut -d: -f1 || true)
	if [ -z "$begin" ]; then
		kernel_reports "$log" >&2
		if [ "$timed_out" = 1 ]; then
			log "BOOT FAIL $run: kernel $KREL did not start the scenarios within ${limit}s (guest log: $log)"
		else
			log "BOOT FAIL $run: kernel $KREL stopped before the scenarios began (after ${secs}s; guest log: $log)"
		fi
		return "$BOOT_FAILED"
	fi
	boot_part=$(head -n "$((begin - 1))" "$log" | grep -a -E "$BAD_KERNEL_LOG" || true)
	if [ -n "$boot_part" ]; then
		echo "$boot_part" | sed -n 1,5p >&2
		log "BOOT FAIL $run: kernel $KREL reported a problem before the scenarios began (guest log: $log)"
		return "$BOOT_FAILED"
	fi
	local ok=0 bad=0 partlog
	for script in "$@"; do
		name=$(basename "$script" .sh)
		partlog=$log
		if [ "$shared" = 1 ]; then partlog=$LOG_DIR/$name.log; fi
		if judge_part "$log" "$name" "$timed_out" "$partlog"; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
	[ "$shared" = 0 ] || log "boot $run: $# scenarios in ${secs}s (guest log: $log)"
	echo "result: $ok passed, $bad failed"
	[ "$bad" -eq 0 ]
}

# run RUN RETRY SCRIPT...: boot; after a boot failure, when RETRY is 1,
# keeps that boot's log as RUN.boot-failed.log and boots once more. Ends
# with "boots: F flaky, B failed" and "scenarios: N passed, M failed" for
# this run.
run() {
	local run=$1 retry=$2 rc=0 out flaky=0 boot_bad=0 counts
	shift 2
	rm -f "$LOG_DIR/$run.boot-failed.log"
	out=$(mktemp)
	boot "$run" "$@" >"$out" || rc=$?
	if [ "$rc" -eq "$BOOT_FAILED" ] && [ "$retry" -eq 1 ]; then
		cat "$out"
		mv "$LOG_DIR/$run.log" "$LOG_DIR/$run.boot-failed.log"
		log "retrying $run once after a boot failure (failed boot's log: $LOG_DIR/$run.boot-failed.log)"
		rc=0
		boot "$run" "$@" >"$out" || rc=$?
		if [ "$rc" -ne "$BOOT_FAILED" ]; then
			flaky=1
			echo "flaky boot: $run on kernel $KREL failed to boot once, then booted (failed boot's log: $LOG_DIR/$run.boot-failed.log)"
		else
			echo "boot failure: $run on kernel $KREL, twice (guest logs: $LOG_DIR/$run.boot-failed.log, $LOG_DIR/$run.log)"
		fi
	elif [ "$rc" -eq "$BOOT_FAILED" ]; then
		echo "boot failure: $run on kernel $KREL (guest log: $LOG_DIR/$run.log)"
	fi
	grep -v '^result: ' "$out" || true
	if [ "$rc" -eq "$BOOT_FAILED" ]; then
		boot_bad=1
		counts="0 $#"
	else
		counts=$(sed -n 's/^result: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out")
	fi
	rm -f "$out"
	echo "boots: $flaky flaky, $boot_bad failed"
	echo "scenarios: ${counts% *} passed, ${counts#* } failed"
	[ "$rc" -eq 0 ]
}

# scenario_limit SCRIPT: the time limit of a scenario, in seconds. A
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

# plan [--repeat N] SCENARIO...: the boots, one a line, "LIMIT RUN
# SCENARIO...", the longest first. The shared scenarios go into
# ceil(count / SHARED_PER_BOOT) boots, dealt out longest first.
plan() {
	local repeat=0 arg script name i shared=() lines=()
	if [ "${1:-}" = "--repeat" ]; then
		repeat=$2
		shift 2
	fi
	for arg in "$@"; do
		script=$(scenario_script "$arg")
		[ -f "$script" ] || die "no scenario $script"
		name=$(basename "$script" .sh)
		if [ "$repeat" -gt 0 ]; then
			for ((i = 1; i <= repeat; i++)); do lines+=("$(scenario_limit "$script") $name.$i $arg"); done
		elif grep -q '^# boot: shared$' "$script" ||
			{ [ "$STRESS" = smoke ] && grep -q '^# boot: shared at smoke counts$' "$script"; }; then
			shared+=("$(scenario_limit "$script") $arg")
		else
			lines+=("$(scenario_limit "$script") $name $arg")
		fi
	done
	if [ ${#shared[@]} -gt 0 ]; then
		local boots=$(((${#shared[@]} + SHARED_PER_BOOT - 1) / SHARED_PER_BOOT)) k=0 limit
		local -a members=() limits=()
		while read -r limit arg; do
			members[k]="${members[k]:-} $arg"
			limits[k]=$((${limits[k]:-0} + limit))
			k=$(((k + 1) % boots))
		done < <(printf '%s\n' "${shared[@]}" | sort -s -k1,1nr)
		for ((k = 0; k < boots; k++)); do
			# A boot with one scenario is named after it.
			# shellcheck disable=SC2086 # names of scenarios, no spaces
			set -- ${members[k]}
			if [ $# -eq 1 ]; then
				lines+=("${limits[k]} $(basename "$1" .sh)${members[k]}")
			else
				lines+=("${limits[k]} shared-$((k + 1))${members[k]}")
			fi
		done
	fi
	printf '%s\n' "${lines[@]}" | sort -s -k1,1nr
}

# run_plan_line RETRY RUN SCENARIO...: run one line of the plan.
run_plan_line() {
	local retry=$1 run=$2 scripts=() arg
	shift 2
	for arg in "$@"; do scripts+=("$(scenario_script "$arg")"); done
	run "$run" "$retry" "${scripts[@]}"
}

# check_inputs SCENARIO...: what the boots need is there.
check_inputs() {
	local arg script
	[ -f "$KERNEL_IMAGE" ] || die "no kernel image at $KERNEL_IMAGE: run ci/buildroot.sh first"
	for arg in "$@"; do
		script=$(scenario_script "$arg")
		[ -f "$script" ] || die "no scenario $script"
		grep -q '^# module: none' "$script" || [ -f "$OUT_DIR/rdna1_fg.ko" ] ||
			die "no $OUT_DIR/rdna1_fg.ko: run ci/build-module.sh first"
	done
	mkdir -p "$LOG_DIR"
	# One boot makes it; boots that start meanwhile wait for it.
	local lock
	exec {lock}>"$CACHE_DIR/.initramfs-base.lock"
	flock "$lock"
	[ -f "$BASE_CPIO" ] || step "initramfs with busybox and the amdgpu module chain" build_base_cpio
	exec {lock}>&-
}

main() {
	local retry=1 repeat=()
	case ${1:-} in
	--plan)
		shift
		plan "$@"
		return
		;;
	--run)
		shift
		if [ "${1:-}" = --no-retry ]; then
			retry=0
			shift
		fi
		[ $# -ge 2 ] || die "usage: ci/vm.sh --run [--no-retry] RUN SCENARIO..."
		ensure_host_tools
		check_inputs "${@:2}"
		run_plan_line "$retry" "$@"
		return
		;;
	--repeat)
		[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "usage: ci/vm.sh [--repeat N] SCENARIO..."
		repeat=(--repeat "$2")
		retry=0
		shift 2
		;;
	esac
	[ $# -gt 0 ] || die "usage: ci/vm.sh [--repeat N] SCENARIO..."
	ensure_host_tools
	check_inputs "$@"
	local queue limit line tag status=0
	queue=$(mktemp -d)
	plan "${repeat[@]}" "$@" | while read -r limit line; do
		tag=$RDNA1_FG_TARGET:${line%% *}:$STRESS
		echo "$(queue_priority "$tag" "$limit") $tag RDNA1_FG_TARGET=$RDNA1_FG_TARGET RDNA1_FG_STRESS=$STRESS $CI_DIR/vm.sh --run$([ "$retry" = 1 ] || echo ' --no-retry') $line"
	done >"$queue/queue"
	touch "$queue/queue.closed"
	log "kernel $KREL: $(wc -l <"$queue/queue") boot(s) for the scenarios, up to $VM_JOBS at a time"
	run_queue "$VM_JOBS" "$queue"
	summarize_runs "$queue"/*.out || status=1
	rm -rf "$queue"
	return "$status"
}

main "$@"
