#!/bin/bash
# PID 1 inside the Debian userland (the build root, booted): mount the usual
# file systems, run the scenarios of /ci/parts with bash
# (ci/guest/parts.sh), power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug
# shellcheck source=ci/guest/parts.sh
. /ci/parts.sh
run_parts bash
sync
/ci/busybox poweroff -f
