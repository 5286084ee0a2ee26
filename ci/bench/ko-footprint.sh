#!/bin/bash
# ci/bench/ko-footprint.sh KO [SYMBOLS]: what the module's memory is made of,
# from the .ko file, as the kernel's module loader lays it out (7.x:
# kernel/module/main.c layout_sections, kallsyms.c layout_symtab). Run by
# ci/bench.sh; prints "KEY VALUE" lines (bytes unless said), and writes the
# largest functions and objects to SYMBOLS (SIZE<TAB>KIND<TAB>NAME).
#
# The loader keeps four regions while the module is loaded, each rounded up
# to whole 4 KiB pages: text (executable sections), rodata (read-only ones:
# strings and constants, the ORC unwind tables, the tables of sites the
# kernel patches), ro_after_init, and data (writable sections, and, with
# CONFIG_KALLSYMS_ALL as Debian has it, the module's symbol table for
# kallsyms: the null symbol and every named symbol of a kept section
# (section symbols have no name), each as a 24-byte Elf64_Sym, its name and
# a type byte). .init* sections are freed after the load;
# .modinfo and __versions are not kept. The sum of the rounded regions is
# what /proc/modules shows.
set -euo pipefail
ko=$1
symbols=${2:-}
page=4096

# SECTION-INDEX NAME SIZE FLAGS of each section.
sections() {
	readelf -SW "$ko" | sed -n 's/^ *\[ *\([0-9]*\)\] /\1 /p' |
		awk '$2 != "NULL" { printf "%d %s %d %s\n", $1, $2, ("0x" $6) + 0, $8 }'
}

# Each kept section's region: text, rodata, ro_after_init or data.
regions() {
	sections | awk '
		$4 !~ /A/ || $2 ~ /^\.init/ || $2 == ".modinfo" || $2 == "__versions" { next }
		$2 == ".data..ro_after_init" || $2 == "__jump_table" { print $1, $2, $3, "ro_after_init"; next }
		$4 ~ /X/ { print $1, $2, $3, "text"; next }
		$4 ~ /W/ { print $1, $2, $3, "data"; next }
		{ print $1, $2, $3, "rodata" }'
}

kept=$(regions)
sum() { echo "$kept" | awk -v r="$1" -v n="${2:-}" '$4 == r && (n == "" || $2 ~ n) { s += $3 } END { print s + 0 }'; }
echo "ko.text_bytes $(sum text)"
echo "ko.rodata_bytes $(sum rodata)"
echo "ko.ro_after_init_bytes $(sum ro_after_init)"
echo "ko.data_bytes $(sum data)"
echo "ko.strings_bytes $(sum rodata '^\.rodata')"
echo "ko.orc_bytes $(sum rodata '^\.orc_')"
echo "ko.site_tables_bytes $(sum rodata '^(\.call_sites|\.return_sites|\.retpoline_sites|\.ibt_endbr_seal|__mcount_loc|\.smp_locks)$')"
echo "ko.this_module_bytes $(sum data '^\.gnu\.linkonce\.this_module$')"
echo "ko.bss_bytes $(sum data '^\.bss')"

# The symbols kallsyms keeps: named, defined in a kept section.
# Of them, objtool's __pfx_ symbols: one for the 16-byte prefix in front of
# each function (call depth tracking, FineIBT), which kprobes looks up to
# refuse a probe there (kernel/kprobes.c: is_cfi_preamble_symbol).
kallsyms=$(readelf -sW "$ko" | awk -v kept="$(echo "$kept" | awk '{ print $1 }' | tr '\n' ' ')" '
	BEGIN { split(kept, k, " "); for (i in k) keep[k[i]] = 1 }
	$1 ~ /^[0-9]+:$/ && $4 != "SECTION" && $8 != "" && ($7 in keep) {
		n++; names += length($8) + 1
		if ($8 ~ /^__pfx_/) { p++; pnames += length($8) + 1 }
	}
	END { printf "%d %d %d %d\n", n + 1, names + 1, p, pnames }')
read -r nsyms names npfx pfxnames <<<"$kallsyms"
echo "ko.kallsyms_symbols $nsyms"
echo "ko.kallsyms_name_bytes $names"
echo "ko.kallsyms_bytes $((nsyms * 24 + names + nsyms))"
echo "ko.kallsyms_pfx_symbols $npfx"
echo "ko.kallsyms_pfx_bytes $((npfx * 25 + pfxnames))"

round() { echo $((($1 + page - 1) / page * page)); }
echo "ko.model_bytes $(($(round "$(sum text)") + $(round "$(sum rodata)") + $(round "$(sum ro_after_init)") + \
	$(round $(($(sum data) + nsyms * 24 + names + nsyms)))))"

if [ -n "$symbols" ]; then
	nm -S --size-sort -C "$ko" | awk '$3 ~ /^[tTdDbBrR]$/' | tail -n 15 | tac |
		awk '{ size = ("0x" $2) + 0; kind = ($3 ~ /[tT]/) ? "function" : "data"
			$1 = ""; $2 = ""; $3 = ""; sub(/^ +/, ""); sub(/::h[0-9a-f]{16}$/, "")
			printf "%d\t%s\t%s\n", size, kind, $0 }' >"$symbols"
fi
