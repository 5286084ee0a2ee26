# SPDX-License-Identifier: GPL-2.0
# rdna1_fg: build the kernel module, run the tests, drive the QEMU harness.
#
#   make                 build rdna1_fg.ko for KVER (default: the running kernel)
#   make KDIR=<tree>     build against a specific prepared kernel tree
#   make test            host tests (cargo) and the QEMU scenarios
#   make vm-demo         build everything and show the module on real KFD in a VM
#   make clean

KVER ?= $(shell uname -r)
# A tree prepared by scripts/rdna1-fg-prepare-kernel is preferred: Debian's
# headers lack the Rust build artifacts.
KDIR ?= $(firstword $(wildcard /var/lib/rdna1_fg/kbuild/$(KVER)) /lib/modules/$(KVER)/build)
# Build with the compiler the kernel was built with (e.g. x86_64-linux-gnu-gcc-16).
KCC ?= $(shell sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\).*/\1/p' $(KDIR)/.config 2>/dev/null)

MAKE_KERNEL = $(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(KCC),CC=$(KCC) HOSTCC=$(KCC))

.PHONY: all modules clean test host-test vm-test vm-demo buildroot

all: modules

modules:
	$(MAKE_KERNEL) modules

clean:
	$(MAKE_KERNEL) clean 2>/dev/null || rm -f *.ko *.o src/*.o .*.cmd src/.*.cmd *.mod *.mod.c modules.order Module.symvers

host-test:
	cargo test

vm-test:
	ci/test.sh

test: host-test vm-test

vm-demo:
	ci/demo.sh

buildroot:
	ci/buildroot.sh
