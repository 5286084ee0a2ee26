# Each invalid parameter: insmod fails with EINVAL, the kernel log says why
# in one line, the module is not loaded and sysfs does not change.
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

try_invalid() { # PARAMS EXPECTED-LOG-REGEX
	dmesg -c >/dev/null
	out=$(insmod "$MODULE" $1 2>&1)
	rc=$?
	check_eq "insmod $1 fails" "$([ "$rc" -ne 0 ] && echo failed || echo succeeded)" failed
	case $out in
	*"Invalid argument"*) pass "insmod $1 reports Invalid argument" ;;
	*) fail "insmod $1 output: '$out'" ;;
	esac
	check_dmesg "log says why for $1" "$2"
	# busybox insmod retries a failed finit_module() with init_module(), so
	# init may run twice: each run must say the same single line.
	check_eq "one distinct module line for $1" \
		"$(dmesg | grep 'rdna1_fg: KFD:' | sed 's/^\[[^]]*\] //' | sort -u | wc -l)" 1
	module_loaded && fail "rdna1_fg loaded after insmod $1" && rmmod rdna1_fg
	check_eq "sysfs unchanged after insmod $1" "$(topology_text)" "$before"
}

try_invalid "device_id=0x10000" \
	'rdna1_fg: KFD: RDNA1 rule: invalid device_id=0x10000: a PCI device id fits in 16 bits \(0x0\.\.0xffff\); module not loaded, nothing changed'
try_invalid "heap_mask=0" \
	'rdna1_fg: KFD: RDNA1 rule: invalid heap_mask=0x0: enable at least one heap type'
try_invalid "heap_mask=0x40" \
	'rdna1_fg: KFD: RDNA1 rule: invalid heap_mask=0x40: bits 0x40 name no heap type \(known: 0x3f = SYSTEM\|FB_PUBLIC\|FB_PRIVATE\|GPU_GDS\|GPU_LDS\|GPU_SCRATCH\)'
try_invalid "device_id=0 heap_mask=0x41" \
	'invalid heap_mask=0x41: bits 0x40 name no heap type'
try_invalid "dry_run=2" \
	'rdna1_fg: KFD: RDNA1 rule: invalid dry_run=2: use 0 or 1'
finish
