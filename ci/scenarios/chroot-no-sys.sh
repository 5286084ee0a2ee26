# shellcheck shell=sh
# boot: shared
# insmod and rmmod from a chroot that has no /sys at all act on the real
# KFD topology and restore it; so does rmmod there after an insmod outside.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

jail=/tmp/jail
mkdir -p "$jail/bin"
cp /bin/busybox "$jail/bin/busybox"
cp "$MODULE" "$jail/rdna1_fg.ko"
in_jail() { chroot "$jail" /bin/busybox "$@"; }

in_jail sh -c '[ ! -e /sys ]'
check_eq "the chroot has no /sys" "$?" 0

in_jail insmod /rdna1_fg.ko device_id=0 heap_mask=0x1
check_eq "insmod in the chroot succeeds" "$?" 0
check_eq "node 0 bank 0 patched" "$(bank_field 0 0 flags)" 1

in_jail rmmod rdna1_fg
check_eq "rmmod in the chroot succeeds" "$?" 0
check_eq "bank restored" "$(bank_field 0 0 flags)" 0
check_dmesg "restore line" 'unloading, 1 bank\(s\) restored, 0 not restored'
check_eq "sysfs text equals the text before" "$(topology_text)" "$before"

insmod "$MODULE" device_id=0 heap_mask=0x1
check_eq "insmod outside the chroot" "$?" 0
check_eq "patched by the insmod outside" "$(bank_field 0 0 flags)" 1
in_jail rmmod rdna1_fg
check_eq "rmmod in the chroot after an insmod outside" "$?" 0
check_eq "bank restored by the rmmod in the chroot" "$(bank_field 0 0 flags)" 0
check_eq "two restore lines" "$(dmesg | grep -c 'unloading, 1 bank(s) restored, 0 not restored')" 2
check_eq "sysfs text equals the text before, again" "$(topology_text)" "$before"
finish
