# shellcheck shell=bash
# timeout: 14400
# Benchmark (ci/bench.sh, through ci/chroot.sh), figure "install cost": in a
# chroot of the build root under a throwaway overlay, natively, for the
# target kernel (RDNA1_FG_KREL):
# - the module: `apt-get install` of the rdna1-fg-dkms package (its
#   postinst has DKMS build and install the module; once), then
#   BENCH_DKMS_RUNS times `dkms remove`, `dkms build`, `dkms install`, half of
#   them before the amdgpu rebuild and half after, so that a change in the
#   host's load shows on both sides;
# - the original way: amdgpu rebuilt for the same kernel from the same
#   linux-source tarball with Debian's config: extract and `make olddefconfig
#   modules_prepare` (once, timed apart), then BENCH_AMDGPU_RUNS times `make
#   M=drivers/gpu/drm/amd/amdgpu modules` with -j$(nproc) (`clean` between).
# Each timed step gives its wall time and its CPU time: user + system of
# its whole process tree (the children this shell waited for, from
# /proc/self/stat's cutime and cstime; every process of a step is waited
# for by its parent), which barely moves with the host's load. The host's
# 1-minute load average is sampled before each step and at its end.
# Samples: apt_install_ns, dkms_build_ns, dkms_install_ns, dkms_remove_ns,
# amdgpu_extract_ns, amdgpu_prepare_ns, amdgpu_build_ns (wall), the same
# with _cpu_ns (CPU) and with _load1 (load at the end), amdgpu_ko_bytes,
# host_load1 (before each step), host_load1_end (after the last).
# shellcheck source=ci/guest/lib.sh
. /ci/lib.sh
set -o pipefail
KREL=$RDNA1_FG_KREL
: "${BENCH_DKMS_RUNS:=3}" "${BENCH_AMDGPU_RUNS:=1}" "${BENCH_AMDGPU_DIR:=drivers/gpu/drm/amd/amdgpu}"
deb=$(ls /ci/rdna1-fg-dkms_*_all.deb)
version=$(dpkg-deb -f "$deb" Version)
headers=/usr/src/linux-headers-$KREL
series=$(echo "$KREL" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
tarball=/usr/src/linux-source-$series.tar.xz
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\).*/\1/p' "$headers/.config")
src=/build/bench-linux
say "kernel $KREL, package $(basename "$deb"), $tarball, cc $cc, $(nproc) CPUs"
sample host_cpus "$(nproc)"

now() { date +%s%N; }
load1() { cut -d' ' -f1 /proc/loadavg; }
TICK_NS=$((1000000000 / $(getconf CLK_TCK)))
# children_cpu_ns: the CPU time (user + system) of this shell's waited-for
# children so far (fields 16 and 17 of /proc/PID/stat, in clock ticks).
children_cpu_ns() {
	local f
	f=$(sed 's/^.*) //' "/proc/$$/stat")
	# shellcheck disable=SC2086 # the fields, one a word
	set -- $f
	echo $(((${14} + ${15}) * TICK_NS))
}

# timed KEY_ns LOG CMD...: runs CMD in this shell (output in LOG), samples
# its wall time as KEY_ns, its CPU time as KEY_cpu_ns and the load at its
# end as KEY_load1.
timed() {
	local key=$1 log=$2 t0 c0 rc=0
	shift 2
	sample host_load1 "$(load1)"
	c0=$(children_cpu_ns)
	t0=$(now)
	"$@" >"$log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || {
		fail "$key: '$*' failed (exit $rc)"
		tail -n 30 "$log" | sed 's/^/#   /'
		return "$rc"
	}
	sample "$key" $(($(now) - t0))
	sample "${key%_ns}_cpu_ns" $(($(children_cpu_ns) - c0))
	sample "${key%_ns}_load1" "$(load1)"
	# The end of its output, in this log only (not a scenario line).
	tail -n 15 "$log" | sed "s/^/    $key: /"
}

timed apt_install_ns /tmp/apt-install.log apt-get install -y -q "$deb" || exit 1
check_eq "dkms status after apt install" "$(dkms status -k "$KREL" rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"

# dkms_round N: remove, build, install once.
dkms_round() {
	timed dkms_remove_ns "/tmp/dkms-remove.$1.log" dkms remove "rdna1_fg/$version" -k "$KREL" || return 1
	# A removal from the last kernel may take the version out of DKMS.
	dkms status rdna1_fg | grep -q . || dkms add "rdna1_fg/$version" >/dev/null
	timed dkms_build_ns "/tmp/dkms-build.$1.log" dkms build "rdna1_fg/$version" -k "$KREL" || return 1
	timed dkms_install_ns "/tmp/dkms-install.$1.log" dkms install "rdna1_fg/$version" -k "$KREL" || return 1
	check_eq "dkms round $1: installed" "$(dkms status -k "$KREL" rdna1_fg)" "rdna1_fg/$version, $KREL, x86_64: installed"
}

before=$(((BENCH_DKMS_RUNS + 1) / 2))
r=1
while [ "$r" -le "$before" ]; do
	dkms_round "$r" || exit 1
	r=$((r + 1))
done

make_args=(-C "$src" ARCH=x86 CROSS_COMPILE="${cc%%gcc*}" CC="$cc" HOSTCC="$cc" KERNELRELEASE="$KREL" -j"$(nproc)")
rm -rf "$src"
mkdir -p "$src"
timed amdgpu_extract_ns /tmp/extract.log tar -xf "$tarball" -C "$src" --strip-components=1 || exit 1
cp "$headers/.config" "$src/.config"
cp "$headers/Module.symvers" "$src/Module.symvers"
prepare() { make "${make_args[@]}" olddefconfig && make "${make_args[@]}" modules_prepare; }
timed amdgpu_prepare_ns /tmp/prepare.log prepare || exit 1
ko=$src/$BENCH_AMDGPU_DIR/$(basename "$BENCH_AMDGPU_DIR").ko
a=1
while [ "$a" -le "$BENCH_AMDGPU_RUNS" ]; do
	[ "$a" -eq 1 ] || make "${make_args[@]}" M="$BENCH_AMDGPU_DIR" clean >/dev/null 2>&1
	timed amdgpu_build_ns "/tmp/amdgpu-build.$a.log" make "${make_args[@]}" M="$BENCH_AMDGPU_DIR" modules || exit 1
	if [ -f "$ko" ]; then pass "amdgpu build $a: $ko built"; else fail "amdgpu build $a: no $ko"; fi
	a=$((a + 1))
done
[ -f "$ko" ] && sample amdgpu_ko_bytes "$(stat -c %s "$ko")"
say "built in $BENCH_AMDGPU_DIR: $(find "$src/$BENCH_AMDGPU_DIR" -name '*.o' | wc -l) object files"

while [ "$r" -le "$BENCH_DKMS_RUNS" ]; do
	dkms_round "$r" || exit 1
	r=$((r + 1))
done
sample host_load1_end "$(load1)"
finish
