#!/bin/bash
# Create (or reuse) the Debian build root for the selected target: a copy of
# its suite root (the debootstrap ci/resolve.sh made) with the kernel's own
# compilers, its headers and source packages at the resolved version, and a
# kernel tree prepared with the Rust build artifacts by
# scripts/rdna1-fg-prepare-kernel. Also fetches Debian's kernel image and
# modules for booting in QEMU.
# Everything lands under $RDNA1_FG_CACHE/<kernel release>/ and is reused.
# For a debug kernel target (BUILD_FROM in its file), runs ci/debug-kernel.sh.
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
# A kernel built here (a target with BUILD_FROM) has its own script.
if [ -n "$BUILD_FROM" ]; then exec "$CI_DIR/debug-kernel.sh" "$@"; fi

STAMP_BOOTSTRAP=$ROOT_DIR/.rdna1_fg-bootstrap
# Everything the build root holds: the kernel's toolchain, its headers and
# source, its modules (for the packaging test, which boots this tree), and
# the tools to build and install the DKMS package, initramfs-tools (the
# package's initramfs hook), openssl (DKMS makes its signing key with it) and
# lintian (the packaging test checks both packages with it).
ROOT_PKGS="$TOOLCHAIN_PKGS kmod cpio xz-utils dwarves python3 busybox-static dkms dh-dkms debhelper dpkg-dev build-essential
 initramfs-tools openssl lintian
 linux-headers-$KREL=$KPKG_VERSION $KSRC_PKG=$KPKG_VERSION linux-modules-$KREL=$KPKG_VERSION"
STAMP_PACKAGES=$ROOT_DIR/.rdna1_fg-packages-$(echo "$ROOT_PKGS" | md5sum | cut -c1-12)
KBUILD_IN_ROOT=/var/lib/rdna1_fg/kbuild/$KREL

# The build root starts as a copy of the suite root (debootstrap, sources,
# apt settings), made under the suite root's lock so that no resolution is
# using it meanwhile.
bootstrap() {
	local suite_dir lock
	suite_dir=$(dirname "$SUITE_ROOT")
	[ -f "$SUITE_ROOT/.rdna1_fg-bootstrap" ] || die "no suite root at $SUITE_ROOT: run ci/resolve.sh $RDNA1_FG_TARGET"
	rm -rf "$ROOT_DIR"
	mkdir -p "$ROOT_DIR"
	exec {lock}>"$suite_dir/.lock"
	flock "$lock"
	cp -ax "$SUITE_ROOT/." "$ROOT_DIR/"
	exec {lock}>&-
	rm -f "$ROOT_DIR/usr/local/sbin/rdna1-fg-prepare-kernel"
	touch "$STAMP_BOOTSTRAP"
}

install_packages() {
	mount_root
	in_root apt-get update -qq || die "apt-get update in the build root failed"
	local p
	for p in "linux-headers-$KREL" "$KSRC_PKG" "linux-binary-unsigned-$KREL" "linux-modules-$KREL"; do
		in_root apt-cache show "$p=$KPKG_VERSION" >/dev/null 2>&1 ||
			die "$p version $KPKG_VERSION is not in the $SUITE_KEY archive any more: resolve the target again (ci/resolve.sh $RDNA1_FG_TARGET)"
	done
	# shellcheck disable=SC2086
	in_root apt-get install -y -qq $APT_TARGET_OPTS $ROOT_PKGS >"$CACHE_DIR/apt-install.log" 2>&1 ||
		die "installing the toolchain and kernel packages failed (log: $CACHE_DIR/apt-install.log)"
	touch "$STAMP_PACKAGES"
}

# prepare_kernel: the checkout's script, run from /tmp of the build root and
# removed after: the build root is booted as a user's system by the packaging
# test, whose `rdna1-fg doctor` must find the package's copy in /usr/sbin,
# not a copy of the harness's earlier in PATH.
prepare_kernel() {
	mount_root
	install -m 0755 "$REPO_DIR/scripts/rdna1-fg-prepare-kernel" "$ROOT_DIR/tmp/rdna1-fg-prepare-kernel"
	in_root /tmp/rdna1-fg-prepare-kernel --force "$KREL" >"$CACHE_DIR/prepare-kernel.log" 2>&1 ||
		die "preparing the kernel tree failed (log: $CACHE_DIR/prepare-kernel.log)"
	rm -f "$ROOT_DIR/tmp/rdna1-fg-prepare-kernel"
}

fetch_boot() {
	local dl=$ROOT_DIR/tmp/rdna1_fg-boot
	rm -rf "$dl" "$BOOT_DIR"
	mkdir -p "$dl" "$BOOT_DIR"
	(cd "$dl" && in_root sh -c "cd /tmp/rdna1_fg-boot && apt-get download -qq \
		linux-binary-unsigned-$KREL=$KPKG_VERSION linux-modules-$KREL=$KPKG_VERSION") ||
		die "downloading Debian's kernel image and modules for $KREL failed"
	local deb
	for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$BOOT_DIR"; done
	rm -rf "$dl"
	[ -f "$BOOT_DIR/usr/lib/modules/$KREL/vmlinuz.unsigned" ] || [ -f "$BOOT_DIR/boot/vmlinuz-$KREL" ] ||
		die "no kernel image found in Debian's packages for $KREL"
	# The packages carry no modules.builtin; depmod says so, harmlessly.
	depmod -b "$BOOT_DIR/usr" "$KREL" 2> >(grep -v "modules.builtin" >&2)
	touch "$BOOT_DIR/.rdna1_fg-fetched"
}

main() {
	[ "$(id -u)" -eq 0 ] || die "the build root needs root (debootstrap, chroot): run as root"
	ensure_host_tools
	mkdir -p "$CACHE_DIR"
	trap umount_root EXIT
	[ -f "$STAMP_BOOTSTRAP" ] || step "copy the $SUITE_KEY suite root into $ROOT_DIR" bootstrap
	[ -f "$STAMP_PACKAGES" ] || step "install toolchain, dkms and linux $KPKG_VERSION packages" install_packages
	# Trees prepared before rdna1-fg-prepare-kernel kept KFD's header have a
	# stamp without its line: prepared again.
	grep -q '^kfd-header ' "$ROOT_DIR$KBUILD_IN_ROOT/.rdna1_fg-prepared" 2>/dev/null ||
		step "prepare kernel tree with Rust artifacts and KFD's header" prepare_kernel
	[ -f "$BOOT_DIR/.rdna1_fg-fetched" ] || step "fetch Debian's kernel image and modules" fetch_boot
	# (Build roots prepared before the script ran from /tmp kept a copy.)
	rm -f "$ROOT_DIR/usr/local/sbin/rdna1-fg-prepare-kernel"
	log "build root ready: $ROOT_DIR (kernel tree $KBUILD_IN_ROOT)"
}

main "$@"
