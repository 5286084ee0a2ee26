# shellcheck shell=bash
# needs: userland
# root: dkms-build
# timeout: 1800
# targets: primary
# The install path a user takes, booted: the build root, with what the
# chroot scenario dkms-build left in it (the packages installed natively by
# apt, DKMS's build signed with its own key, and the module a checkout's
# `make dkms-install` built), boots as a Debian userland on Debian's kernel.
# Nothing loads rdna1_fg at boot by itself (the initramfs side is
# ci/chroot-scenarios/initramfs.sh: update-initramfs takes minutes under
# TCG); modprobe with parameters from a modprobe.d file loads amdgpu first
# (softdep) and patches, and `rdna1-fg verify`/`status --json` agree with the
# module's status file; modprobe -r restores and the tool sees it; loading
# amdgpu late brings rdna1_fg; the module from the checkout loads and
# patches too. (Removing and purging the packages is in dkms-build.)
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
set -o pipefail
deb=$(ls /ci/rdna1-fg-dkms_*_all.deb)
tooldeb=$(ls /ci/rdna1-fg_*.deb 2>/dev/null)
version=$(dpkg-deb -f "$deb" Version)
say "package $(basename "$deb")${tooldeb:+ and $(basename "$tooldeb")}, kernel $KREL"
check_eq "booted with the package installed by DKMS" "$(dkms status rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"
signer=$(modinfo -F signer rdna1_fg)
if [ -n "$signer" ]; then pass "the module modprobe finds is signed (signer: $signer)"; else fail "the module modprobe finds carries no signature"; fi

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

# The module a checkout's make dkms-install built (natively, in dkms-build):
# it loads and patches as well.
modprobe -r rdna1_fg
# (Without the package's modprobe.d files: its softdep would load its own module.)
modprobe -C /nonexistent amdgpu && insmod /root/checkout-rdna1_fg.ko device_id=0 heap_mask=0x1
check_eq "insmod of the module from make dkms-install" "$?" 0
check_eq "it patches" "$(bank_field 0 0 flags)" 1
rmmod rdna1_fg
check_eq "it restores" "$(bank_field 0 0 flags)" 0

finish
