# SPDX-License-Identifier: GPL-2.0
# rdna1_fg: build the kernel module, run the tests, drive the QEMU harness.
#
#   make                 build rdna1_fg.ko for KVER (default: the running kernel)
#   make KDIR=<tree>     build against a specific prepared kernel tree
#   make vm-demo         build everything and show the module on real KFD in a VM
#   make check           host checks and tests, then the core VM scenarios on the primary target (minutes)
#   make test            host checks and tests (cargo fmt, clippy, test, shellcheck), then every scenario on every target
#   make host-deps       install the host tools the three above need (root; they run it themselves)
#   make boot-soak N=100 boot each kernel target N times with amdgpu, without the module; count failed boots
#   make stress          the stress, fault and bad-input scenarios with their full counts (primary target)
#   make bench           benchmarks on the primary target; writes BENCHMARKS.md and BENCHMARKS.svg (root)
#   make clean
#   make dkms-install    install from this checkout with DKMS (root)
#   make dkms-remove     remove it from DKMS and every kernel (root)
#   make deb             build the rdna1-fg-dkms and rdna1-fg Debian packages (in ../)

KVER ?= $(if $(KERNELRELEASE),$(KERNELRELEASE),$(shell uname -r))
# A tree prepared by scripts/rdna1-fg-prepare-kernel is preferred: Debian's
# headers lack the Rust build artifacts.
KDIR ?= $(shell $(CURDIR)/scripts/rdna1-fg-kdir $(KVER))
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(CURDIR)/dkms.conf)
DKMS_SRC := /usr/src/rdna1_fg-$(VERSION)
# Build with the compiler the kernel was built with: for a kernel built with
# clang (CONFIG_CC_IS_CLANG, such as the debug kernel of ci/debug-kernel.sh),
# the LLVM toolchain (LLVM=1), as Kbuild wants; else its gcc (e.g.
# x86_64-linux-gnu-gcc-16).
KCLANG ?= $(shell grep -qx 'CONFIG_CC_IS_CLANG=y' $(KDIR)/.config 2>/dev/null && echo 1)
KCC ?= $(if $(KCLANG),,$(shell sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\).*/\1/p' $(KDIR)/.config 2>/dev/null))

MAKE_KERNEL = $(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(KCLANG),LLVM=1,$(if $(KCC),CC=$(KCC) HOSTCC=$(KCC)))

.PHONY: all modules check-kernel clean test check host-deps host-test vm-test vm-demo boot-soak stress test-debug bench buildroot dkms-install dkms-remove dkms-source deb

all: modules

modules: check-kernel
	$(MAKE_KERNEL) modules

# A kernel tree that is missing, has no Rust, or lacks the Rust build
# artifacts, or a rustc that is not the kernel's: one clear message with the
# fix (the check DKMS runs before it builds), instead of Kbuild's errors.
check-kernel:
	@$(CURDIR)/scripts/rdna1-fg-dkms-check $(KVER) $(KDIR)

clean:
	$(MAKE_KERNEL) clean 2>/dev/null || rm -f *.ko *.o src/*.o .*.cmd src/.*.cmd *.mod *.mod.c modules.order Module.symvers

# Every host tool make vm-demo, make check and make test need, from Debian's
# archive (ci/lib.sh: HOST_TOOLS; docs/testing.md lists them).
host-deps:
	ci/host-deps.sh

# The workspace: the host crate and the benchmarks' report generator
# (bench/); and every shell script of the repository.
host-test: host-deps
	cargo fmt --all --check
	rustfmt --edition 2021 --check src/rdna1_fg.rs
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
	ci/shellcheck.sh

vm-test: host-deps
	ci/test.sh

test: host-test vm-test

# The edit-and-test loop: the host half of make test, then the core VM
# scenarios on the primary target, with the stress scenarios' smoke counts.
CHECK_SCENARIOS := cpu-node-patch load-before-amdgpu amdgpu-reload namespaces kprobes-disarmed
PRIMARY_TARGET = $$(grep -v -E '^[[:space:]]*(\#|$$)' ci/targets/default.list | head -n 1)
check: host-test
	RDNA1_FG_STRESS=smoke RDNA1_FG_TARGETS="$(PRIMARY_TARGET)" ci/test.sh $(CHECK_SCENARIOS)

vm-demo: host-deps
	ci/demo.sh

# Not part of make test: N boots per kernel target (RDNA1_FG_TARGETS).
N ?= 100
boot-soak:
	ci/boot-soak.sh $(N)

# Not part of make test (which runs the same scenarios with bounded counts):
# the full counts, on the first default target unless RDNA1_FG_TARGETS says.
STRESS_SCENARIOS := load-unload-stress amdgpu-reload reload-race faults invalid-params
stress:
	RDNA1_FG_STRESS=full RDNA1_FG_TARGETS="$${RDNA1_FG_TARGETS:-$(PRIMARY_TARGET)}" \
		ci/test.sh $(STRESS_SCENARIOS)

# Not part of make test: every scenario on the PREEMPT_RT + KASAN + lockdep
# debug kernel (ci/debug-kernel.sh builds it once, cached, from a minimal
# config: about 13 minutes cold on 2 idle cores).
test-debug:
	RDNA1_FG_TARGETS=sid-debug-amd64 ci/test.sh

# Not part of make test: ci/bench.sh runs the benchmarks, meant for a quiet
# machine (its report gives the load and the time the run took; counts:
# BENCH_* variables, see ci/bench.sh).
bench:
	ci/bench.sh

buildroot:
	ci/buildroot.sh

# Copies the module's sources to DESTDIR/usr/src/rdna1_fg-VERSION.
dkms-source:
	rm -rf $(DESTDIR)$(DKMS_SRC)
	mkdir -p $(DESTDIR)$(DKMS_SRC)/scripts
	cp -r dkms.conf Kbuild Makefile src $(DESTDIR)$(DKMS_SRC)/
	cp scripts/rdna1-fg-kdir scripts/rdna1-fg-dkms-check $(DESTDIR)$(DKMS_SRC)/scripts/
	rm -rf $(DESTDIR)$(DKMS_SRC)/src/bin $(DESTDIR)$(DKMS_SRC)/src/lib.rs
	find $(DESTDIR)$(DKMS_SRC) \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' \) -delete

dkms-install: dkms-source
	dkms add rdna1_fg/$(VERSION)
	dkms install rdna1_fg/$(VERSION) -k $(KVER)

dkms-remove:
	dkms remove rdna1_fg/$(VERSION) --all
	rm -rf $(DKMS_SRC)

# Both packages; DEB_BUILD_PROFILES=pkg.rdna1-fg.notool builds rdna1-fg-dkms only.
deb:
	dpkg-buildpackage -b -us -uc $(if $(DEB_BUILD_PROFILES),-P$(DEB_BUILD_PROFILES))
