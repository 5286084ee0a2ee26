# needs: userland
# timeout: 2700
# The install path a user takes, in a booted Debian userland (the build
# root) on Debian's kernel: the DKMS build refuses a tree without Rust
# artifacts with one clear message; `apt install` of the package builds and
# installs the module with the real dkms; modprobe with parameters from a
# modprobe.d file loads amdgpu first (softdep) and patches; modprobe -r
# restores; purging the package leaves nothing behind; make dkms-install and
# make dkms-remove do the same from a checkout.
. /ci/lib.sh
set -o pipefail
deb=$(ls /ci/rdna1-fg-dkms_*_all.deb)
version=$(dpkg-deb -f "$deb" Version)
say "package $(basename "$deb"), kernel $KREL"

# 4. A kernel tree without the Rust artifacts: one clear message.
mkdir -p /tmp/pkg && dpkg-deb -x "$deb" /tmp/pkg
cp -r "/tmp/pkg/usr/src/rdna1_fg-$version" /usr/src/
dkms add "rdna1_fg/$version" >/tmp/dkms-add.log 2>&1
check_eq "dkms add from the package's sources" "$?" 0
RDNA1_FG_KBUILD_BASE=/nonexistent dkms build "rdna1_fg/$version" -k "$KREL" >/tmp/dkms-norust.log 2>&1
check_eq "dkms build without Rust artifacts fails" "$([ $? -ne 0 ] && echo failed)" failed
makelog=/var/lib/dkms/rdna1_fg/$version/build/make.log
message="rdna1_fg: cannot build for kernel $KREL: the kernel tree /lib/modules/$KREL/build has no Rust build artifacts"
if grep -qF "$message" "$makelog"; then pass "make.log has the clear message"; else fail "make.log lacks '$message'"; sed 's/^/|   make.log: /' "$makelog"; fi
series=$(echo "$KREL" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
check_eq "the message names the fix" "$(grep -c "rdna1_fg: fix: install linux-source-$series and run: rdna1-fg-prepare-kernel $KREL" "$makelog")" 1
check_eq "no compiler ran" "$(grep -cE 'RUSTC|error\[E|can.t find crate' "$makelog")" 0
grep -q "Consult $makelog" /tmp/dkms-norust.log && pass "dkms points at make.log" || fail "dkms output: $(tr '\n' ' ' </tmp/dkms-norust.log)"
dkms remove "rdna1_fg/$version" --all >/dev/null 2>&1
rm -rf "/usr/src/rdna1_fg-$version"
check_eq "dkms status empty again" "$(dkms status rdna1_fg)" ""

# 1. Install the package: DKMS builds and installs the module.
start=$(date +%s)
apt-get install -y -q "$deb" >/tmp/apt-install.log 2>&1
rc=$?
check_eq "apt install of the package" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/|   apt: /' /tmp/apt-install.log | tail -n 30
say "install with DKMS build took $(($(date +%s) - start)) s"
check_eq "dkms status" "$(dkms status rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"
ko=$(modinfo -n rdna1_fg 2>/dev/null)
say "module file: $ko"
check_eq "modinfo version is the package version" "$(modinfo -F version rdna1_fg)" "$version"

# 2. modprobe with parameters from modprobe.d: amdgpu first (softdep).
echo "options rdna1_fg device_id=0 heap_mask=0x1" >/etc/modprobe.d/rdna1_fg-local.conf
modprobe rdna1_fg
check_eq "modprobe rdna1_fg" "$?" 0
grep -q '^amdgpu ' /proc/modules && pass "amdgpu loaded by the softdep" || fail "amdgpu not loaded"
check_no_dmesg "amdgpu was there first (no waiting)" 'waiting for amdgpu'
check_dmesg "dmesg | grep -i KFD.*RDNA1 shows the patch" \
	'rdna1_fg: KFD: Enabling fine-grained for RDNA1 0x0: node 0 bank 0 SYSTEM flags 0x0 -> 0x1'
check_eq "sysfs flags" "$(bank_field 0 0 flags)" 1

# 3. modprobe -r restores.
modprobe -r rdna1_fg
check_eq "modprobe -r rdna1_fg" "$?" 0
module_loaded && fail "rdna1_fg still loaded"
check_dmesg "restore line" 'rdna1_fg: KFD: RDNA1 0x0: node 0 bank 0 SYSTEM flags restored 0x1 -> 0x0'
if [ -d "$TOPO" ]; then check_eq "sysfs flags restored" "$(bank_field 0 0 flags)" 0; fi

# Loading amdgpu loads rdna1_fg (the other softdep).
modprobe -r amdgpu 2>/dev/null
dmesg -c >/dev/null
modprobe amdgpu
check_eq "modprobe amdgpu" "$?" 0
module_loaded && pass "rdna1_fg loaded with amdgpu" || fail "rdna1_fg not loaded with amdgpu"
wait_until "flags 1 after modprobe amdgpu" 20 flags_are 0 0 1
modprobe -r rdna1_fg

# Removal leaves nothing behind.
apt-get purge -y -q rdna1-fg-dkms >/tmp/apt-purge.log 2>&1
check_eq "apt purge" "$?" 0
check_eq "no module file left" "$(find /lib/modules -name 'rdna1_fg.ko*' | wc -l)" 0
check_eq "dkms status empty" "$(dkms status rdna1_fg)" ""
[ -e "/usr/src/rdna1_fg-$version" ] && fail "sources left in /usr/src" || pass "sources removed"

# From a checkout: make dkms-install / make dkms-remove (the package's
# sources stand in for a checkout; they have the same Makefile).
cp -r "/tmp/pkg/usr/src/rdna1_fg-$version" /tmp/checkout
make -C /tmp/checkout dkms-install KVER="$KREL" >/tmp/make-dkms-install.log 2>&1
check_eq "make dkms-install" "$?" 0
check_eq "dkms status after make dkms-install" "$(dkms status rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"
# The package (and its softdeps) is gone: load amdgpu by hand.
modprobe amdgpu && modprobe rdna1_fg
check_eq "modprobe of the module from make dkms-install" "$?" 0
check_eq "it patches" "$(bank_field 0 0 flags)" 1
modprobe -r rdna1_fg
make -C /tmp/checkout dkms-remove >/tmp/make-dkms-remove.log 2>&1
check_eq "make dkms-remove" "$?" 0
check_eq "dkms status empty after make dkms-remove" "$(dkms status rdna1_fg)" ""
check_eq "no module file left after make dkms-remove" "$(find /lib/modules -name 'rdna1_fg.ko*' | wc -l)" 0
finish
