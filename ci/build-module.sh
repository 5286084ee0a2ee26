#!/bin/bash
# Build rdna1_fg.ko inside the build root, against its prepared kernel tree,
# with the top-level Makefile (the same command a user runs). The module
# lands in $OUT_DIR/rdna1_fg.ko. Before that, KFD's header in the tree must
# lay struct kfd_mem_properties out as the module's known layout and the
# table of releases say (tests/layout_table.rs, on this tree only).
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

header_layout() {
	(cd "$REPO_DIR" && RDNA1_FG_KERNEL_TREE=$ROOT_DIR/var/lib/rdna1_fg/kbuild/$KREL \
		cargo test -q --test layout_table kfd_headers -- --nocapture) >"$OUT_DIR/layout.log" 2>&1 || {
		if grep -q 'Unable to find libclang' "$OUT_DIR/layout.log"; then
			die "libclang is missing (the layout check's bindgen needs it): run 'make host-deps', which installs libclang-dev"
		fi
		tail -n 30 "$OUT_DIR/layout.log" >&2
		die "KFD's header in $ROOT_DIR/var/lib/rdna1_fg/kbuild/$KREL does not have the known layout (log: $OUT_DIR/layout.log)"
	}
	grep 'layout equals' "$OUT_DIR/layout.log" >&2
}

build() {
	local src=$ROOT_DIR/build/rdna1_fg
	rm -rf "$src"
	mkdir -p "$src" "$OUT_DIR"
	mkdir -p "$src/scripts"
	cp -r "$REPO_DIR/Kbuild" "$REPO_DIR/Makefile" "$REPO_DIR/dkms.conf" "$REPO_DIR/src" "$src/"
	cp "$REPO_DIR/scripts/rdna1-fg-kdir" "$REPO_DIR/scripts/rdna1-fg-dkms-check" "$src/scripts/"
	in_root make -C /build/rdna1_fg KVER="$KREL" >"$OUT_DIR/build.log" 2>&1 || {
		tail -n 40 "$OUT_DIR/build.log" >&2
		die "module build failed (log: $OUT_DIR/build.log)"
	}
	cp "$src/rdna1_fg.ko" "$OUT_DIR/rdna1_fg.ko"
}

[ -d "$ROOT_DIR/var/lib/rdna1_fg/kbuild/$KREL" ] || die "no build root for $KREL: run ci/buildroot.sh first"
mkdir -p "$OUT_DIR"
step "check the layout in KFD's header of $KREL" header_layout
trap umount_root EXIT
mount_root
step "build rdna1_fg.ko for $KREL" build
