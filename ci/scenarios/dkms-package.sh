# shellcheck shell=bash
# needs: userland
# timeout: 3600
# targets: primary
# The install path a user takes, in a booted Debian userland (the build
# root) on Debian's kernel: the DKMS build refuses a tree without Rust
# artifacts with one clear message (as "skipped", code 77); `apt install` of
# the packages builds, signs (DKMS's own key) and installs the module and
# installs the tool; nothing loads rdna1_fg at boot by itself (the
# initramfs side is ci/chroot-scenarios/initramfs.sh: update-initramfs takes
# minutes under TCG); modprobe with parameters from a modprobe.d file loads amdgpu
# first (softdep) and patches, and `rdna1-fg verify`/`status --json` agree
# with the module's status file; modprobe -r restores and the tool sees it;
# loading amdgpu late brings rdna1_fg; removing the package removes the
# module; make dkms-install and make dkms-remove do the same from a
# checkout; purging removes the rest.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
set -o pipefail
deb=$(ls /ci/rdna1-fg-dkms_*_all.deb)
tooldeb=$(ls /ci/rdna1-fg_*.deb 2>/dev/null)
version=$(dpkg-deb -f "$deb" Version)
say "package $(basename "$deb")${tooldeb:+ and $(basename "$tooldeb")}, kernel $KREL"

# 4. A kernel tree without the Rust artifacts: one clear message.
mkdir -p /tmp/pkg && dpkg-deb -x "$deb" /tmp/pkg
cp -r "/tmp/pkg/usr/src/rdna1_fg-$version" /usr/src/
dkms add "rdna1_fg/$version" >/tmp/dkms-add.log 2>&1
check_eq "dkms add from the package's sources" "$?" 0
RDNA1_FG_KBUILD_BASE=/nonexistent dkms build "rdna1_fg/$version" -k "$KREL" >/tmp/dkms-norust.log 2>&1
check_eq "dkms build without Rust artifacts: skipped (77)" "$?" 77
makelog=/var/lib/dkms/rdna1_fg/$version/build/make.log
message="rdna1_fg: cannot build for kernel $KREL: the kernel tree /lib/modules/$KREL/build has no Rust build artifacts"
if grep -qF "$message" "$makelog"; then pass "make.log has the clear message"; else fail "make.log lacks '$message'"; sed 's/^/#   make.log: /' "$makelog"; fi
series=$(echo "$KREL" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
check_eq "the message names the fix" "$(grep -c "rdna1_fg: fix: install linux-source-$series and run: rdna1-fg-prepare-kernel $KREL" "$makelog")" 1
check_eq "no compiler ran" "$(grep -cE 'RUSTC|error\[E|can.t find crate' "$makelog")" 0
if grep -q "Consult $makelog" /tmp/dkms-norust.log; then pass "dkms points at make.log"; else fail "dkms output: $(tr '\n' ' ' </tmp/dkms-norust.log)"; fi
dkms remove "rdna1_fg/$version" --all >/dev/null 2>&1
rm -rf "/usr/src/rdna1_fg-$version"
check_eq "dkms status empty again" "$(dkms status rdna1_fg)" ""

# 1. Install the packages: DKMS builds, signs and installs the module.
# (man-db's trigger would index every manual page, minutes under TCG.)
rm -f /var/lib/man-db/auto-update
start=$(date +%s)
# shellcheck disable=SC2086
apt-get install -y -q "$deb" $tooldeb >/tmp/apt-install.log 2>&1
rc=$?
check_eq "apt install of the package${tooldeb:+s}" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/#   apt: /' /tmp/apt-install.log | tail -n 30
say "install with DKMS build took $(($(date +%s) - start)) s"
check_eq "dkms status" "$(dkms status rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"
ko=$(modinfo -n rdna1_fg 2>/dev/null)
say "module file: $ko"
check_eq "modinfo version is the package version" "$(modinfo -F version rdna1_fg)" "$version"
# Secure Boot: DKMS made its key (openssl is installed) and signed with it.
if [ -f /var/lib/dkms/mok.pub ] && [ -f /var/lib/dkms/mok.key ]; then
	pass "DKMS key present (/var/lib/dkms/mok.pub)"
else
	fail "no DKMS key in /var/lib/dkms"
fi
signer=$(modinfo -F signer rdna1_fg)
if [ -n "$signer" ]; then pass "rdna1_fg.ko is signed (signer: $signer)"; else fail "rdna1_fg.ko carries no signature"; fi
check_eq "nothing loads rdna1_fg at boot by itself" "$(ls /usr/lib/modules-load.d/rdna1_fg.conf /etc/modules-load.d/rdna1_fg.conf 2>/dev/null)" ""
check_eq "the initramfs hook is installed" "$(ls /usr/share/initramfs-tools/hooks/rdna1_fg)" /usr/share/initramfs-tools/hooks/rdna1_fg

# 2. modprobe with parameters from modprobe.d: amdgpu first (softdep).
echo "options rdna1_fg device_id=0 heap_mask=0x1" >/etc/modprobe.d/rdna1_fg-local.conf
modprobe rdna1_fg
check_eq "modprobe rdna1_fg" "$?" 0
if grep -q '^amdgpu ' /proc/modules; then pass "amdgpu loaded by the softdep"; else fail "amdgpu not loaded"; fi
check_no_dmesg "amdgpu was there first (no waiting)" 'waiting for amdgpu'
check_eq "sysfs flags" "$(bank_field 0 0 flags)" 1
check_dmesg "dmesg | grep -i KFD.*RDNA1 shows the patch" \
	'rdna1_fg: KFD: Enabling fine-grained for RDNA1 0x0: node 0 bank 0 SYSTEM flags 0x0 -> 0x1'

# tool_json KIND FILE: checks the tool's JSON (status or verify) against
# the live module; prints the differences, nothing when it agrees.
tool_json() {
	python3 - "$@" <<'PY' || echo "tool_json $1 failed (see the traceback above)"
import json, os, sys
kind, path, expect = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(path))
status = "/sys/kernel/debug/rdna1_fg/status"
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append(f"{what}: {got!r}, expected {exp!r}")
if kind == "verify":
    want("result", d.get("result"), "ok" if expect == "loaded" else "flag_missing")
    want("banks", [(b["node"], b["bank"], b["flags"], b["hot_pluggable"]) for b in d.get("banks", [])],
         [(0, 0, 1, True)] if expect == "loaded" else [(0, 0, 0, False)])
else:
    m = d["module"]
    bank = d["nodes"][0]["banks"][0]
    if expect == "loaded":
        raw = open(status).read()
        fields = dict(l.split(": ", 1) for l in raw.splitlines() if ": " in l and not l.startswith(" "))
        want("module.loaded", m["loaded"], True)
        want("module.status.raw", (m.get("status") or {}).get("raw"), raw)
        want("module.status.fields.state", (m.get("status") or {}).get("fields", {}).get("state"), fields.get("state"))
        want("state", fields.get("state"), "active")
        want("node 0 bank 0", (bank["properties"]["flags"], bank["hot_pluggable"], bank["patched_by_module"]), (1, True, True))
    else:
        want("module.loaded", m["loaded"], False)
        want("module.status", m.get("status"), None)
        want("status file", os.path.exists(status), False)
        want("node 0 bank 0", (bank["properties"]["flags"], bank["hot_pluggable"], bank["patched_by_module"]), (0, False, False))
print("; ".join(bad))
PY
}
rule="--device-id 0 --heap-mask 0x1"
if [ -n "$tooldeb" ]; then
	check_eq "rdna1-fg is installed" "$(command -v rdna1-fg)" /usr/bin/rdna1-fg
	# shellcheck disable=SC2086
	rdna1-fg verify $rule >/tmp/verify.txt 2>&1
	check_eq "rdna1-fg verify, module loaded: exit 0" "$?" 0
	sed 's/^/#   /' /tmp/verify.txt
	# shellcheck disable=SC2086
	rdna1-fg verify $rule --json >/tmp/verify.json
	check_eq "verify --json: flag set" "$(tool_json verify /tmp/verify.json loaded)" ""
	# shellcheck disable=SC2086
	rdna1-fg status $rule --json >/tmp/status.json
	check_eq "status --json agrees with the status file (module active, flag set)" "$(tool_json status /tmp/status.json loaded)" ""
	# shellcheck disable=SC2086
	rdna1-fg status $rule | sed 's/^/#   /'
else
	skip "the rdna1-fg tool's checks" "no rdna1-fg package (no cargo on the host)"
fi

# 3. modprobe -r restores.
modprobe -r rdna1_fg
check_eq "modprobe -r rdna1_fg" "$?" 0
module_loaded && fail "rdna1_fg still loaded"
check_dmesg "restore line" 'rdna1_fg: KFD: RDNA1 0x0: node 0 bank 0 SYSTEM flags restored 0x1 -> 0x0'
if [ -d "$TOPO" ]; then check_eq "sysfs flags restored" "$(bank_field 0 0 flags)" 0; fi
if [ -n "$tooldeb" ]; then
	# `modprobe -r rdna1_fg` takes amdgpu away too (the softdep); load amdgpu
	# alone, without the package's modprobe.d file, for the unloaded checks.
	[ -d "$TOPO" ] || modprobe -C /nonexistent amdgpu 2>/dev/null
	if [ -d "$TOPO" ] && ! module_loaded; then
		# shellcheck disable=SC2086
		rdna1-fg verify $rule >/tmp/verify.txt 2>&1
		check_eq "rdna1-fg verify, module unloaded: exit 1" "$?" 1
		# shellcheck disable=SC2086
		rdna1-fg verify $rule --json >/tmp/verify.json
		check_eq "verify --json: flag clear" "$(tool_json verify /tmp/verify.json unloaded)" ""
		# shellcheck disable=SC2086
		rdna1-fg status $rule --json >/tmp/status.json
		check_eq "status --json: module absent, flag clear" "$(tool_json status /tmp/status.json unloaded)" ""
	else
		say "amdgpu could not be loaded without rdna1_fg: checking the tool without KFD instead"
		# shellcheck disable=SC2086
		rdna1-fg verify $rule >/tmp/verify.txt 2>&1
		check_eq "rdna1-fg verify without KFD: exit 2" "$?" 2
		if grep -q "no KFD topology" /tmp/verify.txt; then
			pass "it says there is no KFD topology"
		else
			fail "verify without KFD said: $(cat /tmp/verify.txt)"
		fi
	fi
fi

# Loading amdgpu late (from the root file system) loads rdna1_fg.
modprobe -r amdgpu 2>/dev/null
dmesg -c >/dev/null
modprobe amdgpu
check_eq "modprobe amdgpu" "$?" 0
if module_loaded; then pass "rdna1_fg loaded with amdgpu"; else fail "rdna1_fg not loaded with amdgpu"; fi
wait_until "flags 1 after modprobe amdgpu" 20 flags_are 0 0 1
modprobe -r rdna1_fg

# Removal takes the module from every kernel.
apt-get remove -y -q rdna1-fg-dkms >/tmp/apt-remove.log 2>&1
check_eq "apt remove" "$?" 0
check_eq "no module file left" "$(find /lib/modules -name 'rdna1_fg.ko*' | wc -l)" 0
check_eq "dkms status empty" "$(dkms status rdna1_fg)" ""
if [ -e "/usr/src/rdna1_fg-$version" ]; then fail "sources left in /usr/src"; else pass "sources removed"; fi

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

# Purge: the kernel hooks and the prepared kernel trees go too.
apt-get purge -y -q rdna1-fg-dkms ${tooldeb:+rdna1-fg} >/tmp/apt-purge.log 2>&1
check_eq "apt purge" "$?" 0
# shellcheck disable=SC2012 # counts the hooks, whose names are known
check_eq "no kernel hook left" "$(ls /etc/kernel/*/50-rdna1-fg 2>/dev/null | wc -l)" 0
if [ -e /var/lib/rdna1_fg ]; then fail "/var/lib/rdna1_fg left after purge"; else pass "purge removed /var/lib/rdna1_fg"; fi
finish
