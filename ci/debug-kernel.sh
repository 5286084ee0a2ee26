#!/bin/bash
# Build (or reuse) the debug kernel of a target that sets BUILD_FROM (today
# sid-debug-amd64): Debian's kernel source, configured from nothing but
# what the test VM and rdna1_fg need (ci/debug-kernel.config), with
# PREEMPT_RT, KASAN and lockdep, built with clang (LLVM=1). It is then booted
# by ci/vm.sh like Debian's kernels, and rdna1_fg is built against its tree.
#
# Usage: ci/debug-kernel.sh   (target: RDNA1_FG_TARGET, default sid-debug-amd64;
# ci/buildroot.sh runs it for such a target). RDNA1_FG_DEBUG_CONFIG_ONLY=1
# stops after the config; RDNA1_FG_NICE (default 10) is the build's niceness.
#
# Steps, each stamped and reused (under $RDNA1_FG_CACHE/<debug release>/):
# 1. The build root: a copy of BUILD_FROM's build root (its linux-source and
#    rustc, made by ci/buildroot.sh), plus Debian's clang, lld and llvm.
#    Rust with KASAN needs clang: 7.2's init/Kconfig has
#    `config RUST ... depends on !KASAN || CC_IS_CLANG`.
# 2. The config: `make allnoconfig` with ci/debug-kernel.config as
#    KCONFIG_ALLCONFIG: every option off but those the file names and what
#    they select. Every line of the file is then checked against the result
#    (an option whose dependency is not named is dropped by Kconfig, and the
#    build stops there, naming it). Debian's configs build every subsystem
#    Debian enables, several times what the VM uses: from the RT flavour's
#    config trimmed by localmodconfig the build took about two hours here.
# 3. The build: bzImage and modules, `make LLVM=1 -j$(nproc)` under nice,
#    in the tree /var/lib/rdna1_fg/kbuild/<release> inside the build root,
#    which is then marked prepared: rdna1_fg builds against it (the Makefile
#    passes LLVM=1 for a kernel built with clang).
# 4. The boot dir, shaped like Debian's packages: the modules (xz)
#    under boot/usr/lib/modules/<release>/ and the image as vmlinuz.unsigned
#    there.
#
# KASAN inline rather than outline: outline turns every memory access into
# a call to __asan_load*/__asan_store*, and under TCG each return is an
# indirect jump that QEMU resolves through its translation-block lookup;
# inline checks are a few straight-line instructions. Inline makes a larger
# .text and compiles somewhat slower, but the kernel is built once and
# booted by every scenario.
#
# Build wall time: each build appends its figure (seconds, load average at
# start and end) to ci/out/debug-kernel-build.txt.
RDNA1_FG_TARGET=${RDNA1_FG_TARGET:-sid-debug-amd64}
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

[ -n "$BUILD_FROM" ] || die "target $RDNA1_FG_TARGET is one of Debian's kernels, not a debug build (no BUILD_FROM in ci/targets/$RDNA1_FG_TARGET.env): use ci/buildroot.sh"

KTREE=/var/lib/rdna1_fg/kbuild/$KREL # in the build root
MAKE_ARGS=(-C "$KTREE" ARCH=x86 LLVM=1 KERNELRELEASE="$KREL" LOCALVERSION= -j"$(nproc)")
NICE=${RDNA1_FG_NICE:-10}
# Debian's clang, lld and llvm at the version the target resolved to (the
# suite's default clang: that of libclang-dev, which bindgen already uses),
# and zstd (Debian's config compresses the image with it).
EXTRA_PKGS="clang=$CLANG_VERSION lld=$CLANG_VERSION llvm=$CLANG_VERSION zstd"
STAMP_BOOTSTRAP=$ROOT_DIR/.rdna1_fg-bootstrap
STAMP_PACKAGES=$ROOT_DIR/.rdna1_fg-packages-$(echo "$EXTRA_PKGS" | md5sum | cut -c1-12)
BUILD_LOG=$CACHE_DIR/build.log

# The configuration: `make allnoconfig` with exactly what
# ci/debug-kernel.config names (KCONFIG_ALLCONFIG), each line then checked.
FRAGMENT=$CI_DIR/debug-kernel.config

# base_krel: the kernel release of BUILD_FROM (its build root and boot dir).
base_krel() { resolved_field "$BUILD_FROM" KREL; }

# base_ready: BUILD_FROM's build root and boot dir exist (what this script
# reads: the root to copy, Debian's modules for the module list).
base_ready() {
	[ -f "$RDNA1_FG_CACHE/$(base_krel)/root/.rdna1_fg-bootstrap" ] &&
		[ -f "$RDNA1_FG_CACHE/$(base_krel)/boot/.rdna1_fg-fetched" ]
}

# base: BUILD_FROM's build root (ci/buildroot.sh). Not run when it is
# ready: buildroot.sh unmounts that root's /proc, /sys and /dev when it
# ends, which another run using that root may need.
base() {
	RDNA1_FG_TARGET=$BUILD_FROM RDNA1_FG_ROOT='' "$CI_DIR/buildroot.sh"
}

# bootstrap: the build root is a copy of BUILD_FROM's, without its
# prepared tree and build directories (one file system: its /proc, /sys
# and /dev mounts are not copied).
bootstrap() {
	local base_root
	base_root=$RDNA1_FG_CACHE/$(base_krel)/root
	[ -d "$base_root/usr" ] || die "no build root at $base_root"
	rm -rf "$ROOT_DIR"
	mkdir -p "$ROOT_DIR"
	cp -ax "$base_root/." "$ROOT_DIR/"
	rm -rf "$ROOT_DIR/var/lib/rdna1_fg/kbuild" "$ROOT_DIR/build" "$ROOT_DIR"/tmp/*
	rm -f "$ROOT_DIR"/.rdna1_fg-packages-*
	touch "$STAMP_BOOTSTRAP"
}

install_packages() {
	mount_root
	in_root apt-get update -qq || die "apt-get update in the build root failed"
	# shellcheck disable=SC2086
	in_root apt-get install -y -qq $EXTRA_PKGS >"$CACHE_DIR/apt-install.log" 2>&1 ||
		die "installing $EXTRA_PKGS failed (log: $CACHE_DIR/apt-install.log)"
	in_root dpkg-query -W clang lld llvm >>"$CACHE_DIR/apt-install.log"
	touch "$STAMP_PACKAGES"
}

unpack() {
	local tarball
	tarball=$ROOT_DIR/usr/src/$KSRC_PKG.tar.xz
	[ -f "$tarball" ] || die "no $tarball in the build root (package $KSRC_PKG)"
	rm -rf "${ROOT_DIR:?}$KTREE"
	mkdir -p "$ROOT_DIR$KTREE"
	nice -n "$NICE" tar -xf "$tarball" -C "$ROOT_DIR$KTREE" --strip-components=1
	touch "$ROOT_DIR$KTREE/.rdna1_fg-unpacked"
}

# config_key: what the config is made from (the fragment, the release); a
# new key makes the config again.
config_key() {
	{
		md5sum <"$FRAGMENT"
		echo "$KREL"
	} | md5sum | cut -c1-12
}

make_config() {
	local t=$ROOT_DIR$KTREE missing=() name want have
	mount_root
	cp "$FRAGMENT" "$ROOT_DIR/tmp/rdna1_fg-debug.config"
	echo "CONFIG_LOCALVERSION=\"${KREL#"$(in_root make -s "${MAKE_ARGS[@]}" kernelversion)"}\"" >>"$ROOT_DIR/tmp/rdna1_fg-debug.config"
	# With LLVM=1 from the first step: Kconfig's compiler tests
	# (CC_IS_CLANG, what RUST depends on with KASAN) are evaluated with clang.
	in_root make "${MAKE_ARGS[@]}" KCONFIG_ALLCONFIG=/tmp/rdna1_fg-debug.config allnoconfig >"$CACHE_DIR/config.log" 2>&1 ||
		die "make allnoconfig failed (log: $CACHE_DIR/config.log)"
	rm -f "$ROOT_DIR/tmp/rdna1_fg-debug.config"
	while IFS='=' read -r name want; do
		have=$(sed -n "s/^$name=//p" "$t/.config")
		[ "$have" = "$want" ] || missing+=("$name=${have:-unset} (wanted $want)")
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$FRAGMENT")
	[ ${#missing[@]} -eq 0 ] ||
		die "the debug config lost options of $FRAGMENT (a dependency not named there?): ${missing[*]} (config: $t/.config, log: $CACHE_DIR/config.log)"
	grep -q '^CONFIG_CC_IS_CLANG=y$' "$t/.config" || die "the debug config is not built with clang (config: $t/.config)"
	have=$(in_root make -s "${MAKE_ARGS[@]}" kernelrelease)
	[ "$have" = "$KREL" ] || die "the tree's kernel release is '$have', not $KREL"
	log "config: $(grep -c '=m$' "$t/.config") modules, $(grep -c '=y$' "$t/.config") built-in options"
	rm -f "$t"/.rdna1_fg-config-* "$t"/.rdna1_fg-built-* "$t/.rdna1_fg-prepared"
	touch "$t/.rdna1_fg-config-$KEY"
}

build() {
	local start load
	mount_root
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	start=$(date +%s)
	log "building bzImage and modules, log: $BUILD_LOG (load average at start: $load)"
	in_root nice -n "$NICE" make "${MAKE_ARGS[@]}" bzImage modules >"$BUILD_LOG" 2>&1 || {
		grep -E -m 20 'error|Error' "$BUILD_LOG" >&2 || tail -n 30 "$BUILD_LOG" >&2
		die "the debug kernel build failed (log: $BUILD_LOG)"
	}
	[ -f "$ROOT_DIR$KTREE/rust/libkernel.rmeta" ] || die "the build made no rust/libkernel.rmeta"
	mkdir -p "$REPO_DIR/ci/out"
	printf '%s: cold build of %s (bzImage + modules, make -j%s, nice %s) took %s s; load average at start %s, at end %s\n' \
		"$(date -u +%Y-%m-%dT%H:%MZ)" "$KREL" "$(nproc)" "$NICE" "$(($(date +%s) - start))" "$load" \
		"$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$REPO_DIR/ci/out/debug-kernel-build.txt" >&2
	touch "$ROOT_DIR$KTREE/.rdna1_fg-built-$KEY"
}

# install_boot: the modules and image in the boot dir, as Debian's packages
# lay them out; the tree marked prepared for module builds.
install_boot() {
	local stage=/tmp/rdna1_fg-debug-boot
	mount_root
	rm -rf "$ROOT_DIR$stage" "$BOOT_DIR"
	in_root nice -n "$NICE" make "${MAKE_ARGS[@]}" INSTALL_MOD_PATH="$stage/usr" modules_install >"$CACHE_DIR/install.log" 2>&1 ||
		die "modules_install failed (log: $CACHE_DIR/install.log)"
	mkdir -p "$BOOT_DIR"
	mv "$ROOT_DIR$stage/usr" "$BOOT_DIR/usr"
	rm -rf "$ROOT_DIR$stage"
	rm -f "$BOOT_DIR/usr/lib/modules/$KREL/build"
	cp "$ROOT_DIR$KTREE/arch/x86/boot/bzImage" "$BOOT_DIR/usr/lib/modules/$KREL/vmlinuz.unsigned"
	depmod -b "$BOOT_DIR/usr" "$KREL"
	modprobe -d "$BOOT_DIR/usr" -S "$KREL" --show-depends amdgpu >/dev/null ||
		die "modprobe finds no amdgpu in the debug kernel's modules ($BOOT_DIR)"
	touch "$ROOT_DIR$KTREE/.rdna1_fg-prepared" "$BOOT_DIR/.rdna1_fg-installed-$KEY"
}

main() {
	[ "$(id -u)" -eq 0 ] || die "the debug kernel build needs root (chroot): run as root"
	ensure_host_tools
	mkdir -p "$CACHE_DIR"
	# One run at a time per debug kernel: another waits, then reuses its work.
	local lock base_ver
	exec {lock}>"$CACHE_DIR/.lock"
	flock -n "$lock" || {
		log "waiting for another run of ci/debug-kernel.sh for $KREL to finish (lock: $CACHE_DIR/.lock)"
		flock "$lock"
	}
	[ -n "$(base_krel)" ] || "$CI_DIR/resolve.sh" "$BUILD_FROM" >&2
	base_ver=$(resolved_field "$BUILD_FROM" KPKG_VERSION)
	[ "$base_ver" = "$KPKG_VERSION" ] ||
		die "$BUILD_FROM resolved to source $base_ver, $RDNA1_FG_TARGET to $KPKG_VERSION: resolve both again (ci/resolve.sh $BUILD_FROM $RDNA1_FG_TARGET)"
	base_ready || step "build root of $BUILD_FROM ($(base_krel))" base
	trap umount_root EXIT
	[ -f "$STAMP_BOOTSTRAP" ] || step "copy $BUILD_FROM's build root into $ROOT_DIR" bootstrap
	[ -f "$STAMP_PACKAGES" ] || step "install $EXTRA_PKGS into the build root" install_packages
	[ -f "$ROOT_DIR$KTREE/.rdna1_fg-unpacked" ] || step "unpack $KSRC_PKG into $KTREE" unpack
	KEY=$(config_key)
	[ -f "$ROOT_DIR$KTREE/.rdna1_fg-config-$KEY" ] || step "debug config: allnoconfig with $(basename "$FRAGMENT")" make_config
	[ "${RDNA1_FG_DEBUG_CONFIG_ONLY:-0}" = 1 ] && {
		log "config ready: $ROOT_DIR$KTREE/.config (RDNA1_FG_DEBUG_CONFIG_ONLY=1: not building)"
		return 0
	}
	[ -f "$ROOT_DIR$KTREE/.rdna1_fg-built-$KEY" ] || step "build the debug kernel $KREL" build
	[ -f "$BOOT_DIR/.rdna1_fg-installed-$KEY" ] || step "install the debug kernel's image and modules into $BOOT_DIR" install_boot
	log "debug kernel ready: $BOOT_DIR/usr/lib/modules/$KREL/vmlinuz.unsigned (tree $KTREE in $ROOT_DIR)"
}

main "$@"
