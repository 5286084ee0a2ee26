#!/bin/bash
# Build the rdna1-fg-dkms Debian package in the build root with `make deb`
# (dpkg-buildpackage, dh-dkms), from the files of this checkout. The package
# lands in $OUT_DIR.
. "$(dirname "$0")/lib.sh"

build_deb() {
	local dir=$ROOT_DIR/build/deb
	rm -rf "$dir"
	mkdir -p "$dir/rdna1-fg" "$OUT_DIR"
	(cd "$REPO_DIR" && git ls-files --cached --others --exclude-standard | tar -cf - -T -) |
		tar -xf - -C "$dir/rdna1-fg"
	# The build root has no cargo: the tool's package is left out here.
	in_root make -C /build/deb/rdna1-fg deb DEB_BUILD_PROFILES=pkg.rdna1-fg.notool >"$OUT_DIR/deb.log" 2>&1 || {
		tail -n 30 "$OUT_DIR/deb.log" >&2
		die "package build failed (log: $OUT_DIR/deb.log)"
	}
	rm -f "$OUT_DIR"/rdna1-fg-dkms_*_all.deb
	cp "$dir"/rdna1-fg-dkms_*_all.deb "$OUT_DIR/"
}

[ -d "$ROOT_DIR/var/lib/rdna1_fg/kbuild/$KREL" ] || die "no build root for $KREL: run ci/buildroot.sh first"
trap umount_root EXIT
mount_root
step "build the rdna1-fg-dkms package" build_deb
