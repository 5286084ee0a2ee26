# shellcheck shell=sh
# boot: shared
# Each parameter at, just inside and just beyond its bounds, negative, huge
# and not a number: an invalid value makes insmod fail with EINVAL, the
# kernel log says why in one line (the module's own, or for text that is no
# number the kernel's parameter parser's), the module is not loaded and sysfs
# does not change; a value at a bound loads as documented.
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
load_amdgpu || exit 1
before=$(topology_text)

try_invalid() { # PARAMS EXPECTED-LOG-REGEX
	dmesg -c >/dev/null
	# shellcheck disable=SC2086 # PARAMS: one or more words
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
try_invalid "adopt=2" 'invalid adopt=2: use 0 or 1'
try_invalid "test_no_write_probe=2" 'invalid test_no_write_probe=2: use 0 or 1'
try_invalid "test_fail_probe=5" 'invalid test_fail_probe=5: use 0 \(none\) or a probe 1\.\.4'
try_invalid "test_delay_ms=30001" 'invalid test_delay_ms=30001: at most 30000'
try_invalid "test_write_delay_ms=30001" 'invalid test_write_delay_ms=30001: at most 30000'
try_invalid "test_going_delay_ms=30001" 'invalid test_going_delay_ms=30001: at most 30000'
try_invalid "test_fail_restore_read=2" 'invalid test_fail_restore_read=2: use 0 or 1'
try_invalid "layout_shift=21" 'invalid layout_shift=21: moves a field outside the struct.s first 64 bytes'
try_invalid "layout_shift=-17" 'invalid layout_shift=-17: moves a field outside'
try_invalid "device_id=0xffffffff" 'invalid device_id=0xffffffff: a PCI device id fits in 16 bits'
try_invalid "heap_mask=0xffffffff" 'invalid heap_mask=0xffffffff: bits 0xffffffc0 name no heap type'

# Text that is no number of the parameter's type: the kernel's parser refuses
# it before the module's init runs, in one line of its own.
try_unparsable() { # PARAM=VALUE
	dmesg -c >/dev/null
	out=$(insmod "$MODULE" "$1" 2>&1)
	rc=$?
	check_eq "insmod $1 fails" "$([ "$rc" -ne 0 ] && echo failed || echo succeeded)" failed
	case $out in
	*"Invalid argument"*) pass "insmod $1 reports Invalid argument" ;;
	*) fail "insmod $1 output: '$out'" ;;
	esac
	check_dmesg "the parser's line names $1" "rdna1_fg: .${1#*=}. invalid for parameter .${1%%=*}."
	check_eq "no line of the module for $1" "$(dmesg | grep -c 'rdna1_fg: KFD:')" 0
	module_loaded && fail "rdna1_fg loaded after insmod $1" && rmmod rdna1_fg
	check_eq "sysfs unchanged after insmod $1" "$(topology_text)" "$before"
}
try_unparsable "device_id=abc"
try_unparsable "heap_mask=-1"
try_unparsable "dry_run=yes"
try_unparsable "device_id=99999999999999999999"
try_unparsable "test_delay_ms=-5"
try_unparsable "layout_shift=3000000000"

# At the bounds: accepted, as documented.
try_valid() { # PARAMS EXPECTED-FLAGS
	# shellcheck disable=SC2086 # PARAMS: one or more words
	insmod "$MODULE" $1
	check_eq "insmod $1 succeeds" "$?" 0
	check_eq "flags with $1" "$(bank_field 0 0 flags)" "$2"
	rmmod rdna1_fg
	check_eq "sysfs as before after rmmod ($1)" "$(topology_text)" "$before"
}
try_valid "device_id=0xffff heap_mask=0x3f" 0
try_valid "device_id=0 heap_mask=0x3f dry_run=1 adopt=1" 0
try_valid "device_id=0 heap_mask=0x1 test_fail_probe=0 test_delay_ms=0 layout_shift=0" 1
finish
