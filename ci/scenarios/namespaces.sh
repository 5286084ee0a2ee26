# shellcheck shell=sh
# boot: shared
# insmod and rmmod run inside new mount and PID namespaces that mount their
# own, empty /sys act on the host's real KFD topology: the module resolves
# every path through its own mount of sysfs, never the caller's.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

# in_namespaces CMD...: CMD in new mount + PID namespaces whose /sys is an
# empty tmpfs (as a container with its own /sys would have).
in_namespaces() {
	unshare -m -p -f --propagation private sh -c 'mount -t tmpfs none /sys && "$@"' sh "$@"
}

in_namespaces sh -c '[ ! -e /sys/class/kfd ]'
check_eq "the namespaces see no KFD topology" "$?" 0

in_namespaces insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "insmod in the namespaces succeeds" "$?" 0
check_eq "host's node 0 bank 0 patched" "$(bank_field 0 0 flags)" 1
check_dmesg "patch line" 'Enabling fine-grained for RDNA1 0x0: node 0 bank 0 SYSTEM flags 0x0 -> 0x1'

in_namespaces rmmod rdna1_fg
check_eq "rmmod in the namespaces succeeds" "$?" 0
check_eq "host's bank restored" "$(bank_field 0 0 flags)" 0
check_dmesg "restore line" 'unloading, 1 bank\(s\) restored, 0 not restored'

# A host insmod, then rmmod from the namespaces.
insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "host insmod succeeds" "$?" 0
check_eq "patched again" "$(bank_field 0 0 flags)" 1
in_namespaces rmmod rdna1_fg
check_eq "rmmod in the namespaces after a host insmod succeeds" "$?" 0
check_eq "flags 0 afterwards" "$(bank_field 0 0 flags)" 0
check_no_dmesg "nothing left unrestored" 'not restored, nothing written'
check_eq "sysfs text equals the text before" "$(topology_text)" "$before"
finish
