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
# Module chains in the initramfs: amdgpu's, and what booting the build root
# as a root file system needs (9p over virtio, overlayfs).
AMDGPU_CHAIN="amdgpu"
ROOTFS_CHAIN="9p 9pnet_virtio overlay"
BASE_CPIO=$CACHE_DIR/initramfs-base-$(echo "$AMDGPU_CHAIN/$ROOTFS_CHAIN" | md5sum | cut -c1-8).cpio
KERNEL_IMAGE=$BOOT_DIR/usr/lib/modules/$KREL/vmlinuz.unsigned
LOG_DIR=$OUT_DIR/logs
# What in a guest log means the kernel went wrong.
BAD_KERNEL_LOG='Oops|BUG:|WARNING:|Kernel panic|general protection fault|Call Trace:|UBSAN:|KASAN:|RIP: 00'

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
		basename "$m" .xz >>"$dir/order"
	done <"$dir.paths"
	rm "$dir.paths"
}

# The part of the initramfs that depends only on the kernel: busybox and the
# module chains.
build_base_cpio() {
	local dir=$CACHE_DIR/initramfs-base
	rm -rf "$dir"
	mkdir -p "$dir/bin"
	cp "$ROOT_DIR/bin/busybox" "$dir/bin/busybox"
	# shellcheck disable=SC2086
	add_chain "$dir/lib/modules/$KREL/amdgpu-chain" $AMDGPU_CHAIN
	# shellcheck disable=SC2086
	add_chain "$dir/lib/modules/$KREL/rootfs-chain" $ROOTFS_CHAIN
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
	local qemu_extra=(-m 2048)
	if grep -q '^# needs: userland' "$script"; then
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
	# A scenario may ask for more time: "# timeout: SECONDS".
	local limit
	limit=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$script")
	limit=${limit:-$VM_TIMEOUT}
	local start=$SECONDS
	timeout --foreground -k 10 "$limit" qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp 2 "${qemu_extra[@]}" \
		-nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$KERNEL_IMAGE" -initrd "$work.initrd" \
		-append "console=ttyS0 panic=-1 oops=panic rdinit=/init" </dev/null >"$log" 2>&1 || rc=$?
	rm -rf "$work" "$work.cpio" "$work.initrd"
	grep -a '^| ' "$log" || true
	local secs=$((SECONDS - start)) exit_line
	exit_line=$(grep -a -o 'RDNA1_FG_SCENARIO_EXIT=[0-9]*' "$log" | tail -n 1 || true)
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		log "FAIL $name: timed out after ${limit}s (guest log: $log)"
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
