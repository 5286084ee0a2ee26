# shellcheck shell=bash
# timeout: 2400
# A kernel upgrade with rdna1-fg-dkms installed, natively in a chroot of the
# build root (its Debian userland: dpkg, dkms, linux-source, the kernel's
# rustc): for a kernel without a prepared tree, the package's kernel hook
# (50-rdna1-fg, before DKMS's own hook) prepares one, and DKMS builds and
# installs the module, with no manual step. Without the kernel's
# linux-source or rustc, the hook says in one line what to install, and
# neither the package's nor the kernel's installation fails (DKMS reports
# rdna1_fg as skipped). Removing the kernel removes its tree; purging the
# package removes them all. Most of the time is the real modules_prepare of
# the kernel tree (the hook step took 441 s on 2 cores shared with other VMs).
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
KREL=$RDNA1_FG_KREL
set -o pipefail
deb=$(ls /ci/rdna1-fg-dkms_*_all.deb)
version=$(dpkg-deb -f "$deb" Version)
tree=/var/lib/rdna1_fg/kbuild/$KREL
series=$(echo "$KREL" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
tarball=/usr/src/linux-source-$series.tar.xz
hook=50-rdna1-fg
image=/boot/vmlinuz-$KREL
say "package $(basename "$deb"), kernel $KREL"

# contains DESCRIPTION TEXT SUBSTRING
contains() {
	case "$2" in
	*"$3"*) pass "$1" ;;
	*) fail "$1: '$2' lacks '$3'" ;;
	esac
}

# A kernel for which no tree is prepared yet: what an upgrade brings.
rm -rf "$tree"

# 1. The package installs; DKMS skips the module for that kernel.
apt-get install -y -q "$deb" >/tmp/apt-install.log 2>&1
rc=$?
check_eq "apt install without a prepared tree" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/#   apt: /' /tmp/apt-install.log | tail -n 20
check_eq "dkms status: added, not built" "$(dkms status rdna1_fg)" "rdna1_fg/$version: added"
contains "DKMS's make.log has the clear message" "$(cat "/var/lib/dkms/rdna1_fg/$version/build/make.log")" \
	"rdna1_fg: fix: install linux-source-$series and run: rdna1-fg-prepare-kernel $KREL"

# 2. The hook sorts before DKMS's in both directories.
for d in header_postinst.d postinst.d; do
	check_eq "$d: $hook runs before dkms" \
		"$(run-parts --test "/etc/kernel/$d" | sed 's|.*/||' | grep -E "^($hook|dkms)\$" | tr '\n' ' ')" "$hook dkms "
done

# 3. Something missing: one line naming it, exit 0, no tree.
headers_version=$(dpkg-query -W -f '${Version}' "linux-headers-$KREL")
mv "$tarball" /tmp/
out=$(/etc/kernel/postinst.d/$hook "$KREL" "$image" 2>&1)
check_eq "hook without linux-source exits 0" "$?" 0
check_eq "it prints one line" "$(echo "$out" | wc -l)" 1
contains "the line names linux-source and its version" "$out" \
	"install linux-source-$series (version $headers_version, that of linux-headers-$KREL); then run: rdna1-fg-prepare-kernel $KREL && dkms autoinstall -k $KREL"
say "$out"
mv "/tmp/$(basename "$tarball")" "$tarball"
mkdir -p /tmp/fakebin
printf '#!/bin/sh\necho "rustc 1.0.0 (not the kernel'"'"'s)"\n' >/tmp/fakebin/rustc
chmod 755 /tmp/fakebin/rustc
out=$(PATH=/tmp/fakebin:$PATH /etc/kernel/header_postinst.d/$hook "$KREL" 2>&1)
check_eq "hook with another rustc exits 0" "$?" 0
check_eq "it prints one line" "$(echo "$out" | wc -l)" 1
contains "the line names the kernel's rustc" "$out" \
	"but rustc here is 'rustc 1.0.0 (not the kernel's)': install that rustc"
say "$out"
if [ -e "$tree" ]; then fail "a tree was made anyway"; else pass "no tree made"; fi

# 4. The kernel's installation, as its package's postinst runs the hooks
#    (run-parts, arguments: release and image; INITRD=No: no initramfs
#    here), then dkms autoinstall: an installed module, no other step.
start=$(date +%s)
INITRD=No linux-run-hooks image postinst "$KREL" "$image" -- configure >/tmp/hooks.log 2>&1
rc=$?
check_eq "the kernel's postinst.d hooks succeed" "$rc" 0
say "hooks (prepare and DKMS build) took $(($(date +%s) - start)) s"
grep -E '^rdna1_fg:|^Autoinstall' /tmp/hooks.log | sed 's/^/#   /'
if [ -f "$tree/.rdna1_fg-prepared" ]; then pass "the hook prepared $tree"; else fail "no prepared tree"; fi
dkms autoinstall -k "$KREL" >/tmp/autoinstall.log 2>&1
check_eq "dkms autoinstall" "$?" 0
check_eq "dkms status" "$(dkms status rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"
check_eq "modinfo version" "$(modinfo -k "$KREL" -F version rdna1_fg)" "$version"
out=$(/etc/kernel/header_postinst.d/$hook "$KREL" 2>&1)
check_eq "the hook is silent when the tree is there" "$out" ""

# 5. Removing the kernel (its postrm hooks) removes its tree.
linux-run-hooks image postrm "$KREL" "$image" -- remove >/tmp/postrm.log 2>&1
check_eq "the kernel's postrm.d hooks succeed" "$?" 0
if [ -e "$tree" ]; then fail "tree left after the kernel's removal"; else pass "tree removed with the kernel"; fi

# 6. Package removed: its hooks (conffiles) stay and do nothing; purge
#    removes them and every tree.
apt-get remove -y -q rdna1-fg-dkms >/tmp/apt-remove.log 2>&1
check_eq "apt remove" "$?" 0
out=$(/etc/kernel/postinst.d/$hook "$KREL" "$image" 2>&1)
check_eq "a hook left by a removed package is silent" "$?/$out" "0/"
mkdir -p /var/lib/rdna1_fg/kbuild/other
apt-get purge -y -q rdna1-fg-dkms >/tmp/apt-purge.log 2>&1
check_eq "apt purge" "$?" 0
# shellcheck disable=SC2012 # counts the hooks, whose names are known
check_eq "no hook left" "$(ls /etc/kernel/*/$hook 2>/dev/null | wc -l)" 0
if [ -e /var/lib/rdna1_fg ]; then fail "/var/lib/rdna1_fg left after purge"; else pass "purge removed /var/lib/rdna1_fg"; fi
finish
