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
# TCG). `modprobe amdgpu` brings rdna1_fg (the softdep), which patches with
# the parameters of a modprobe.d file; `rdna1-fg verify`/`status --json` and
# `rdna1-fg doctor` agree with the module's status file and sysfs;
# `modprobe -r rdna1_fg` restores, exits 0 and leaves amdgpu loaded (and
# its plan never names amdgpu, in use or not), and the tools see it; rdna1_fg loaded before amdgpu waits for it;
# the module from the checkout loads and patches too. (Removing and purging
# the packages is in dkms-build.)
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

# 2. modprobe amdgpu, as at boot: rdna1_fg follows (softdep), with the
# parameters from modprobe.d.
echo "options rdna1_fg device_id=0 heap_mask=0x1" >/etc/modprobe.d/rdna1_fg-local.conf
modprobe amdgpu
check_eq "modprobe amdgpu" "$?" 0
if module_loaded; then pass "rdna1_fg loaded with amdgpu (softdep)"; else fail "rdna1_fg not loaded with amdgpu"; fi
check_no_dmesg "amdgpu was there first (no waiting)" 'waiting for amdgpu'
wait_until "sysfs flags 1" 20 flags_are 0 0 1
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
# doctor_json FILE loaded|unloaded: checks doctor's JSON against the live
# module and sysfs; prints the differences, nothing when it agrees.
doctor_json() {
	python3 - "$@" <<'PY' || echo "doctor_json failed (see the traceback above)"
import json, sys
path, expect = sys.argv[1], sys.argv[2]
d = json.load(open(path))
checks = {c["id"]: c for c in d["checks"]}
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append(f"{what}: {got!r}, expected {exp!r}")
want("schema", d.get("schema"), 1)
for c in d["checks"]:
    if c["group"] == "rocm":
        want(c["id"] + " is a fact, never a failure", c["state"] != "fail", True)
flags = int(open("/sys/class/kfd/kfd/topology/nodes/0/mem_banks/0/properties").read().split("flags ")[1].split()[0])
if expect == "loaded":
    status = open("/sys/kernel/debug/rdna1_fg/status").read()
    fields = dict(l.split(": ", 1) for l in status.splitlines() if ": " in l and not l.startswith(" "))
    want("exit_code", d["exit_code"], 0)
    want("summary.fail", d["summary"]["fail"], 0)
    want("state.loaded", checks["state.loaded"]["state"], "ok")
    want("state.status names the status file's state", ("state " + fields["state"] + ";") in checks["state.status"]["message"], True)
    want("state.status names its parameters", fields["parameters"].replace("KFD: RDNA1 rule: ", "") in checks["state.status"]["message"], True)
    want("state.counters", checks["state.counters"]["message"], fields["counters"])
    want("sysfs flags", flags, 1)
    want("topology.flag", (checks["topology.flag"]["state"], checks["topology.flag"]["message"]),
         ("ok", "HOT_PLUGGABLE set on every selected bank (1 of 1)"))
    want("log.banks", checks["log.banks"]["state"], "ok")
else:
    want("exit_code", d["exit_code"], 1)
    want("state.loaded", (checks["state.loaded"]["state"], checks["state.loaded"]["message"]),
         ("fail", "rdna1_fg is not loaded (amdgpu is)"))
    want("sysfs flags", flags, 0)
    want("log.banks", checks["log.banks"]["state"], "ok")
    want("log.banks shows the restore line", any("flags restored 0x1 -> 0x0" in l for l in checks["log.banks"]["details"]), True)
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
	rdna1-fg doctor >/tmp/doctor.txt 2>&1
	check_eq "rdna1-fg doctor, module loaded: exit 0" "$?" 0
	sed 's/^/#   /' /tmp/doctor.txt
	rdna1-fg doctor --json >/tmp/doctor.json
	check_eq "doctor --json agrees with the status file and sysfs" "$(doctor_json /tmp/doctor.json loaded)" ""
else
	skip "the rdna1-fg tool's checks" "no rdna1-fg package (no cargo on the host)"
fi

# 3. modprobe -r rdna1_fg restores, and leaves amdgpu loaded (idle).
modprobe -r rdna1_fg
check_eq "modprobe -r rdna1_fg" "$?" 0
module_loaded && fail "rdna1_fg still loaded"
if grep -q '^amdgpu ' /proc/modules; then pass "amdgpu, idle, still loaded"; else fail "modprobe -r rdna1_fg removed amdgpu"; fi
check_dmesg "restore line" 'rdna1_fg: KFD: RDNA1 0x0: node 0 bank 0 SYSTEM flags restored 0x1 -> 0x0'
if [ -d "$TOPO" ]; then check_eq "sysfs flags restored" "$(bank_field 0 0 flags)" 0; fi
if [ -n "$tooldeb" ]; then
	rdna1-fg doctor >/tmp/doctor.txt 2>&1
	check_eq "rdna1-fg doctor, module unloaded: exit 1 (state.loaded fails)" "$?" 1
	sed 's/^/#   /' /tmp/doctor.txt
	rdna1-fg doctor --json >/tmp/doctor.json
	check_eq "doctor --json: not loaded, the restore line seen" "$(doctor_json /tmp/doctor.json unloaded)" ""
	# shellcheck disable=SC2086
	rdna1-fg verify $rule >/tmp/verify.txt 2>&1
	check_eq "rdna1-fg verify, module unloaded: exit 1" "$?" 1
	# shellcheck disable=SC2086
	rdna1-fg verify $rule --json >/tmp/verify.json
	check_eq "verify --json: flag clear" "$(tool_json verify /tmp/verify.json unloaded)" ""
	# shellcheck disable=SC2086
	rdna1-fg status $rule --json >/tmp/status.json
	check_eq "status --json: module absent, flag clear" "$(tool_json status /tmp/status.json unloaded)" ""
fi

# 4. amdgpu in use: without a GPU nothing can hold amdgpu here (KFD's open()
# refuses a machine with no GPU node, and amdgpu exports no symbol a module
# could use). What decides is modprobe's plan: it removes rdna1_fg alone
# and never touches amdgpu, so whether amdgpu is in use cannot matter (with
# a "pre: amdgpu" softdep the plan would end with "rmmod amdgpu", which fails
# while amdgpu is in use).
modprobe rdna1_fg
check_eq "modprobe rdna1_fg (amdgpu loaded)" "$?" 0
wait_until "flags 1" 20 flags_are 0 0 1
plan=$(modprobe -r -n -v rdna1_fg 2>&1)
say "modprobe -r -n -v rdna1_fg: $(echo "$plan" | tr '\n' ';')"
check_eq "modprobe -r rdna1_fg's plan removes rdna1_fg alone" \
	"$(echo "$plan" | awk '$1 == "rmmod" { n = $2; sub(".*/", "", n); sub("[.]ko.*", "", n); printf "%s ", n }')" "rdna1_fg "
out=$(modprobe -r rdna1_fg 2>&1)
check_eq "modprobe -r rdna1_fg: exit 0" "$?" 0
check_eq "and no message" "$out" ""
if grep -q '^amdgpu ' /proc/modules; then pass "amdgpu still loaded"; else fail "amdgpu gone"; fi
check_eq "restored" "$(bank_field 0 0 flags)" 0

# 5. rdna1_fg before amdgpu waits for it; amdgpu loaded later is patched.
modprobe -r amdgpu 2>/dev/null
dmesg -c >/dev/null
modprobe rdna1_fg
check_eq "modprobe rdna1_fg without amdgpu" "$?" 0
check_dmesg "it waits for amdgpu" 'waiting for amdgpu'
modprobe amdgpu
check_eq "modprobe amdgpu" "$?" 0
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
