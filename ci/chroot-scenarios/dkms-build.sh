# shellcheck shell=bash
# The DKMS builds of the install path, natively in a chroot of the build
# root, as DKMS runs on a real machine (natively, against the prepared
# kernel tree): a tree without Rust artifacts is refused with one clear
# message (as "skipped", code 77); `make dkms-install` and `make
# dkms-remove` from a checkout build, install and remove the module; `apt
# install` of the packages builds, signs (DKMS's own key) and installs the
# module and installs the tool; removing the package removes the module,
# purging it the rest; installed again, it builds again. What it leaves (the packages installed, and
# the module the checkout built in /root/checkout-rdna1_fg.ko) is the root
# file system the dkms-package VM scenario boots, for what only a booted
# system shows. First, lintian checks both packages.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
KREL=$RDNA1_FG_KREL
set -o pipefail
deb=$(ls /ci/rdna1-fg-dkms_*_all.deb)
tooldeb=$(ls /ci/rdna1-fg_*.deb 2>/dev/null)
version=$(dpkg-deb -f "$deb" Version)
say "package $(basename "$deb")${tooldeb:+ and $(basename "$tooldeb")}, kernel $KREL"
# (man-db's trigger would index every manual page, also when the booted
# system removes the packages.)
rm -f /var/lib/man-db/auto-update

# 0. lintian finds no error and no warning in either package.
# shellcheck disable=SC2086 # $tooldeb: one path, or none
# (Its stderr says only that it runs as root.)
lintian --fail-on error,warning "$deb" $tooldeb >/tmp/lintian.log 2>/tmp/lintian.err
check_eq "lintian: no error or warning in the packages" "$?" 0
sed 's/^/#   lintian: /' /tmp/lintian.log

# 1. A kernel tree without the Rust artifacts: one clear message.
mkdir -p /tmp/pkg && dpkg-deb -x "$deb" /tmp/pkg
cp -r "/tmp/pkg/usr/src/rdna1_fg-$version" /usr/src/
dkms add "rdna1_fg/$version" >/tmp/dkms-add.log 2>&1
check_eq "dkms add from the package's sources" "$?" 0
RDNA1_FG_KBUILD_BASE=/nonexistent dkms build "rdna1_fg/$version" -k "$KREL" >/tmp/dkms-norust.log 2>&1
check_eq "dkms build without Rust artifacts: skipped (77)" "$?" 77
makelog=/var/lib/dkms/rdna1_fg/$version/build/make.log
message="rdna1_fg: cannot build for kernel $KREL: the kernel tree /lib/modules/$KREL/build has no Rust build artifacts"
if grep -qF "$message" "$makelog"; then
	pass "make.log has the clear message"
else
	fail "make.log lacks '$message'"
	sed 's/^/#   make.log: /' "$makelog"
fi
series=$(echo "$KREL" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
check_eq "the message names the fix" "$(grep -c "rdna1_fg: fix: install linux-source-$series and run: rdna1-fg-prepare-kernel $KREL" "$makelog")" 1
check_eq "no compiler ran" "$(grep -cE 'RUSTC|error\[E|can.t find crate' "$makelog")" 0
if grep -q "Consult $makelog" /tmp/dkms-norust.log; then pass "dkms points at make.log"; else fail "dkms output: $(tr '\n' ' ' </tmp/dkms-norust.log)"; fi
dkms remove "rdna1_fg/$version" --all >/dev/null 2>&1
rm -rf "/usr/src/rdna1_fg-$version"
check_eq "dkms status empty again" "$(dkms status rdna1_fg)" ""

# 2. From a checkout: make dkms-install / make dkms-remove (the package's
#    sources stand in for a checkout; they have the same Makefile). The
#    module it built is kept for the booted system to load.
cp -r "/tmp/pkg/usr/src/rdna1_fg-$version" /tmp/checkout
start=$(date +%s)
make -C /tmp/checkout dkms-install KVER="$KREL" >/tmp/make-dkms-install.log 2>&1
check_eq "make dkms-install" "$?" 0
say "make dkms-install (DKMS build) took $(($(date +%s) - start)) s"
check_eq "dkms status after make dkms-install" "$(dkms status rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"
ko=$(modinfo -k "$KREL" -n rdna1_fg 2>/dev/null)
check_eq "modinfo version of the checkout's module" "$(modinfo -F version "$ko" 2>/dev/null)" "$version"
check_eq "its vermagic names $KREL" "$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)" "$KREL"
cp "$ko" /root/checkout-rdna1_fg.ko 2>/dev/null
make -C /tmp/checkout dkms-remove >/tmp/make-dkms-remove.log 2>&1
check_eq "make dkms-remove" "$?" 0
check_eq "dkms status empty after make dkms-remove" "$(dkms status rdna1_fg)" ""
check_eq "no module file left after make dkms-remove" "$(find "/lib/modules/$KREL" -name 'rdna1_fg.ko*' | wc -l)" 0
rm -rf /tmp/checkout

# 3. Install the packages: DKMS builds, signs and installs the module.
start=$(date +%s)
# shellcheck disable=SC2086 # no tool package: an empty word
apt-get install -y -q "$deb" $tooldeb >/tmp/apt-install.log 2>&1
rc=$?
check_eq "apt install of the package${tooldeb:+s}" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/#   apt: /' /tmp/apt-install.log | tail -n 30
say "install with DKMS build took $(($(date +%s) - start)) s"
check_eq "dkms status" "$(dkms status rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"
say "module file: $(modinfo -k "$KREL" -n rdna1_fg 2>/dev/null)"
check_eq "modinfo version is the package version" "$(modinfo -k "$KREL" -F version rdna1_fg)" "$version"
# Secure Boot: DKMS made its key (openssl is installed) and signed with it.
if [ -f /var/lib/dkms/mok.pub ] && [ -f /var/lib/dkms/mok.key ]; then
	pass "DKMS key present (/var/lib/dkms/mok.pub)"
else
	fail "no DKMS key in /var/lib/dkms"
fi
signer=$(modinfo -k "$KREL" -F signer rdna1_fg)
if [ -n "$signer" ]; then pass "rdna1_fg.ko is signed (signer: $signer)"; else fail "rdna1_fg.ko carries no signature"; fi
check_eq "nothing loads rdna1_fg at boot by itself" "$(ls /usr/lib/modules-load.d/rdna1_fg.conf /etc/modules-load.d/rdna1_fg.conf 2>/dev/null)" ""
check_eq "the initramfs hook is installed" "$(ls /usr/share/initramfs-tools/hooks/rdna1_fg)" /usr/share/initramfs-tools/hooks/rdna1_fg

# 4. Removal takes the module from every kernel.
apt-get remove -y -q rdna1-fg-dkms >/tmp/apt-remove.log 2>&1
check_eq "apt remove" "$?" 0
check_eq "no module file left" "$(find /lib/modules -name 'rdna1_fg.ko*' | wc -l)" 0
check_eq "dkms status empty" "$(dkms status rdna1_fg)" ""
if [ -e "/usr/src/rdna1_fg-$version" ]; then fail "sources left in /usr/src"; else pass "sources removed"; fi

# 5. Purge: the kernel hooks and the prepared kernel trees go too. (The
#    prepared tree of this kernel is put aside, an empty one stands in for
#    it, and it comes back for the install that follows.)
tree=/var/lib/rdna1_fg/kbuild/$KREL
mv "$tree" /root/kbuild-aside
mkdir -p "$tree"
apt-get purge -y -q rdna1-fg-dkms ${tooldeb:+rdna1-fg} >/tmp/apt-purge.log 2>&1
check_eq "apt purge" "$?" 0
# shellcheck disable=SC2012 # counts the hooks, whose names are known
check_eq "no kernel hook left" "$(ls /etc/kernel/*/50-rdna1-fg 2>/dev/null | wc -l)" 0
if [ -e /var/lib/rdna1_fg ]; then fail "/var/lib/rdna1_fg left after purge"; else pass "purge removed /var/lib/rdna1_fg"; fi
mkdir -p /var/lib/rdna1_fg/kbuild
mv /root/kbuild-aside "$tree"

# 6. Installed again, for the booted system (dkms-package).
# shellcheck disable=SC2086 # no tool package: an empty word
apt-get install -y -q "$deb" $tooldeb >/tmp/apt-install-again.log 2>&1
check_eq "apt install again" "$?" 0
check_eq "dkms status after the second install" "$(dkms status rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"
finish
