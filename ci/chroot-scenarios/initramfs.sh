# shellcheck shell=bash
# The initramfs side of rdna1-fg-dkms, natively in a chroot of the build
# root (update-initramfs takes minutes under TCG; the booted side, amdgpu
# loaded late bringing rdna1_fg, is in the dkms-package scenario): with the
# packages installed (DKMS builds the module), update-initramfs puts rdna1_fg
# into the image exactly when amdgpu is in it, whether amdgpu comes from
# /etc/initramfs-tools/modules or is queued by another hook; the image
# carries the softdep, and its own modprobe loads rdna1_fg after amdgpu.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
KREL=$RDNA1_FG_KREL
set -o pipefail
deb=$(ls /ci/rdna1-fg-dkms_*_all.deb)
version=$(dpkg-deb -f "$deb" Version)
say "package $(basename "$deb"), kernel $KREL"
rm -f /var/lib/man-db/auto-update
apt-get install -y -q "$deb" >/tmp/apt-install.log 2>&1
check_eq "apt install" "$?" 0
check_eq "dkms status" "$(dkms status rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"

# 5. The initramfs: rdna1_fg exactly when amdgpu is in it, and the softdep
#    with it. MODULES=list keeps the images small.
sed -i 's/^MODULES=.*/MODULES=list/' /etc/initramfs-tools/initramfs.conf
# image CASE: builds /tmp/CASE/initrd.img-$KREL; prints its amdgpu and
# rdna1_fg files.
image() {
	local s
	s=$(date +%s)
	mkdir -p "/tmp/$1"
	update-initramfs -v -c -k "$KREL" -b "/tmp/$1" >"/tmp/$1.log" 2>&1 ||
		say "update-initramfs ($1) failed: $(tail -n 3 "/tmp/$1.log" | tr '\n' ' ')" >&2
	say "update-initramfs ($1) took $(($(date +%s) - s)) s" >&2
	lsinitramfs "/tmp/$1/initrd.img-$KREL" | grep -E '/(amdgpu|rdna1_fg)\.ko|modprobe\.d/rdna1_fg\.conf' | sed 's|.*/||' | sort | tr '\n' ' '
}
echo amdgpu >/etc/initramfs-tools/modules
check_eq "amdgpu in the initramfs: rdna1_fg and its softdep too" "$(image listed)" "amdgpu.ko.xz rdna1_fg.conf rdna1_fg.ko.xz "
: >/etc/initramfs-tools/modules
check_eq "amdgpu not in the initramfs: no rdna1_fg" "$(image none)" "rdna1_fg.conf "
# The image's own modprobe, loading amdgpu, loads rdna1_fg after it.
mkdir -p /tmp/listed/x && unmkinitramfs "/tmp/listed/initrd.img-$KREL" /tmp/listed/x
check_eq "in the image, modprobe amdgpu ends with rdna1_fg" \
	"$(modprobe -d /tmp/listed/x -S "$KREL" -C /tmp/listed/x/usr/lib/modprobe.d --show-depends amdgpu | tail -n 1 | sed 's|.*/||')" \
	"rdna1_fg.ko.xz "
rm -rf /tmp/listed /tmp/none
# The hook by itself, as mkinitramfs runs it: after plymouth's hook (which
# adds the DRM drivers), and amdgpu only queued by an earlier hook.
hook=/usr/share/initramfs-tools/hooks/rdna1_fg
check_eq "the hook runs after plymouth's" "$($hook prereqs)" plymouth
# run_hook QUEUED: the modules queued after the hook ran.
run_hook() {
	local d=/tmp/hookrun
	rm -rf $d && mkdir -p $d/root && echo "$1" >$d/queue
	DESTDIR=$d/root MODULESDIR=/lib/modules/$KREL version=$KREL verbose=n __MODULES_TO_ADD=$d/queue $hook >&2
	tr '\n' ' ' <$d/queue
	rm -rf $d
}
check_eq "hook, amdgpu queued: rdna1_fg queued" "$(run_hook amdgpu)" "rdna1_fg "
check_eq "hook, nothing queued: nothing added" "$(run_hook "")" ""

# The whole image with amdgpu queued by another hook (as plymouth's queues
# the DRM drivers), nothing listed.
cat >/usr/share/initramfs-tools/hooks/plymouth <<'HOOK'
#!/bin/sh
[ "$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
manual_add_modules amdgpu
HOOK
chmod 755 /usr/share/initramfs-tools/hooks/plymouth
check_eq "amdgpu queued by another hook: rdna1_fg too" "$(image queued)" "amdgpu.ko.xz rdna1_fg.conf rdna1_fg.ko.xz "
if grep -q 'Calling hook plymouth' /tmp/queued.log; then pass "update-initramfs ran that hook"; else fail "the queuing hook did not run"; fi
finish
