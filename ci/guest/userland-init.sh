#!/bin/bash
# PID 1 inside the Debian userland (the build root, booted): mount the usual
# file systems, run /ci/scenario.sh with bash, report, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug
bash /ci/scenario.sh
rc=$?
echo "RDNA1_FG_SCENARIO_EXIT=$rc"
sync
/ci/busybox poweroff -f
