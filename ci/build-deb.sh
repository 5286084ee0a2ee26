#!/bin/bash
# Build the Debian packages in the build root with `make deb`
# (dpkg-buildpackage, dh-dkms), from the files of this checkout: always
# rdna1-fg-dkms; also rdna1-fg (the tool) when this host has cargo. The
# build root has no cargo (its rustc is the kernel's, pinned), so the tool is
# built here on the host and packaged as built (profile
# pkg.rdna1-fg.prebuilt). The packages land in $OUT_DIR.
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

TOOL=$REPO_DIR/target/release/rdna1-fg

build_tool() {
	(cd "$REPO_DIR" && cargo build --release --locked --bin rdna1-fg) >"$OUT_DIR/tool.log" 2>&1 || {
		tail -n 30 "$OUT_DIR/tool.log" >&2
		die "building the rdna1-fg tool failed (log: $OUT_DIR/tool.log)"
	}
}

build_deb() {
	local dir=$ROOT_DIR/build/deb profile=pkg.rdna1-fg.notool
	rm -rf "$dir"
	mkdir -p "$dir/rdna1-fg" "$OUT_DIR"
	(cd "$REPO_DIR" && git ls-files --cached --others --exclude-standard | tar -cf - -T -) |
		tar -xf - -C "$dir/rdna1-fg"
	if [ "$with_tool" = yes ]; then
		install -D -m 0755 "$TOOL" "$dir/rdna1-fg/target/release/rdna1-fg"
		profile=pkg.rdna1-fg.prebuilt
	fi
	in_root make -C /build/deb/rdna1-fg deb DEB_BUILD_PROFILES=$profile >"$OUT_DIR/deb.log" 2>&1 || {
		tail -n 30 "$OUT_DIR/deb.log" >&2
		die "package build failed (log: $OUT_DIR/deb.log)"
	}
	rm -f "$OUT_DIR"/rdna1-fg-dkms_*_all.deb "$OUT_DIR"/rdna1-fg_*.deb
	cp "$dir"/rdna1-fg-dkms_*_all.deb "$OUT_DIR/"
	if [ "$with_tool" = yes ]; then cp "$dir"/rdna1-fg_*.deb "$OUT_DIR/"; fi
}

[ -d "$ROOT_DIR/var/lib/rdna1_fg/kbuild/$KREL" ] || die "no build root for $KREL: run ci/buildroot.sh first"
mkdir -p "$OUT_DIR"
with_tool=no
if command -v cargo >/dev/null 2>&1; then
	step "build the rdna1-fg tool on the host" build_tool
	with_tool=yes
else
	log "no cargo on this host: packaging rdna1-fg-dkms alone (the scenarios that use the tool are skipped)"
fi
trap umount_root EXIT
mount_root
step "build the Debian packages" build_deb
