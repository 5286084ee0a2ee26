#!/bin/bash
# Boot Debian's kernel in QEMU (TCG) with an initramfs that holds busybox,
# Debian's amdgpu.ko and the modules it needs, rdna1_fg.ko and one scenario
# from ci/scenarios/, and report the scenario's result.
#
# Usage: ci/vm.sh SCENARIO...   (names of files in ci/scenarios/, without .sh)
# Prints the scenario's own lines; keeps each guest console log in
# $OUT_DIR/logs/. Fails on a failed check, an Oops/BUG/WARNING/panic in the
# guest log, or a timeout (RDNA1_FG_VM_TIMEOUT seconds, default 300).
. "$(dirname "$0")/lib.sh"

VM_TIMEOUT=${RDNA1_FG_VM_TIMEOUT:-300}
BASE_CPIO=$CACHE_DIR/initramfs-base.cpio
KERNEL_IMAGE=$BOOT_DIR/usr/lib/modules/$KREL/vmlinuz.unsigned
LOG_DIR=$OUT_DIR/logs
# What in a guest log means the kernel went wrong.
BAD_KERNEL_LOG='Oops|BUG:|WARNING:|Kernel panic|general protection fault|Call Trace:|UBSAN:|KASAN:|RIP: 00'

# The part of the initramfs that depends only on the kernel: busybox, the
# amdgpu module chain (decompressed, busybox insmod takes plain .ko files)
# and its load order.
build_base_cpio() {
	local dir=$CACHE_DIR/initramfs-base chain m
	rm -rf "$dir"
	chain=$dir/lib/modules/$KREL/amdgpu-chain
	mkdir -p "$dir/bin" "$chain"
	cp "$ROOT_DIR/bin/busybox" "$dir/bin/busybox"
	modprobe -d "$BOOT_DIR/usr" -S "$KREL" --show-depends amdgpu | awk '$1 == "insmod" { print $2 }' >"$dir/chain.paths"
	[ -s "$dir/chain.paths" ] || die "modprobe found no module chain for amdgpu in $BOOT_DIR"
	while read -r m; do
		xz -dc "$m" >"$chain/$(basename "$m" .xz)"
		basename "$m" .xz >>"$chain/order"
	done <"$dir/chain.paths"
	rm "$dir/chain.paths"
	(cd "$dir" && find . | cpio -o -H newc --quiet) >"$BASE_CPIO.tmp"
	mv "$BASE_CPIO.tmp" "$BASE_CPIO"
	rm -rf "$dir"
}

# run_one NAME: boot once with scenario NAME; returns non-zero on failure.
run_one() {
	local name=$1 script=$CI_DIR/scenarios/$1.sh work log rc=0
	[ -f "$script" ] || die "no scenario $script"
	work=$(mktemp -d)
	log=$LOG_DIR/$name.log
	mkdir -p "$work/ci" "$LOG_DIR"
	install -m 0755 "$CI_DIR/guest/init" "$work/init"
	cp "$CI_DIR/guest/lib.sh" "$work/ci/lib.sh"
	cp "$script" "$work/ci/scenario.sh"
	echo "$name" >"$work/ci/name"
	cp "$OUT_DIR/rdna1_fg.ko" "$work/rdna1_fg.ko"
	(cd "$work" && find . | cpio -o -H newc --quiet) >"$work.cpio"
	cat "$BASE_CPIO" "$work.cpio" >"$work.initrd"
	local start=$SECONDS
	timeout --foreground -k 10 "$VM_TIMEOUT" qemu-system-x86_64 -cpu max -m 2048 -smp 2 \
		-nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$KERNEL_IMAGE" -initrd "$work.initrd" \
		-append "console=ttyS0 panic=-1 oops=panic rdinit=/init" </dev/null >"$log" 2>&1 || rc=$?
	rm -rf "$work" "$work.cpio" "$work.initrd"
	grep -a '^| ' "$log" || true
	local secs=$((SECONDS - start)) exit_line
	exit_line=$(grep -a -o 'RDNA1_FG_SCENARIO_EXIT=[0-9]*' "$log" | tail -n 1 || true)
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		log "FAIL $name: timed out after ${VM_TIMEOUT}s (guest log: $log)"
		return 1
	fi
	if grep -a -E -q "$BAD_KERNEL_LOG" "$log"; then
		grep -a -E "$BAD_KERNEL_LOG" "$log" | head -n 5 >&2
		log "FAIL $name: the guest kernel reported a problem (guest log: $log)"
		return 1
	fi
	if [ "$exit_line" != "RDNA1_FG_SCENARIO_EXIT=0" ]; then
		log "FAIL $name: scenario ended with '${exit_line:-no exit status}' (guest log: $log)"
		return 1
	fi
	log "PASS $name (${secs}s)"
}

main() {
	[ $# -gt 0 ] || die "usage: ci/vm.sh SCENARIO..."
	ensure_host_tools
	[ -f "$KERNEL_IMAGE" ] || die "no kernel image at $KERNEL_IMAGE: run ci/buildroot.sh first"
	[ -f "$OUT_DIR/rdna1_fg.ko" ] || die "no $OUT_DIR/rdna1_fg.ko: run ci/build-module.sh first"
	[ -f "$BASE_CPIO" ] || step "initramfs with busybox and the amdgpu module chain" build_base_cpio
	local name ok=0 bad=0
	for name in "$@"; do
		if run_one "$name"; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
	echo "scenarios: $ok passed, $bad failed"
	[ "$bad" -eq 0 ]
}

main "$@"
