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
# .modinfo and the __version* tables are not kept. Each section starts at an
# offset aligned to its sh_addralign. The sum of the rounded regions is
# what /proc/modules shows.
set -euo pipefail
ko=$1
symbols=${2:-}
page=4096

# INDEX NAME SIZE FLAGS ALIGN of each section, in decimal (hex converted
# in awk itself: awk's own reading of "0x..." differs between awks).
sections() {
	readelf -SW "$ko" | sed -n 's/^ *\[ *\([0-9]*\)\] /\1 /p' | awk '
		function hex(s, i, v) {
			v = 0; s = tolower(s)
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		$2 != "NULL" { printf "%d %s %d %s %d\n", $1, $2, hex($6), (NF == 11 ? $8 : "-"), $NF }'
}

# Each kept section's region (text, rodata, ro_after_init or data), in the
# order the loader places them (by section index within a region).
regions() {
	sections | awk '
		$4 !~ /A/ || $2 ~ /^\.init/ || $2 == ".modinfo" || $2 ~ /^__version/ { next }
		$2 == ".data..ro_after_init" || $2 == "__jump_table" { print $0, "ro_after_init"; next }
		$4 ~ /X/ { print $0, "text"; next }
		$4 ~ /W/ { print $0, "data"; next }
		{ print $0, "rodata" }'
}

kept=$(regions)
# size REGION: the region's sections laid out one after the other, each at
# an offset aligned to its sh_addralign, as the loader does.
size() {
	echo "$kept" | awk -v r="$1" '$6 == r { a = ($5 > 0) ? $5 : 1; o = int((o + a - 1) / a) * a + $3 }
		END { print o + 0 }'
}
# sum REGION NAME-REGEX: the bytes of the region's sections named so.
sum() { echo "$kept" | awk -v r="$1" -v n="$2" '$6 == r && $2 ~ n { s += $3 } END { print s + 0 }'; }
# The data region's sections, up to where the symbol table starts (aligned
# to 8 bytes, the symbol table's alignment).
data=$((($(size data) + 7) / 8 * 8))
echo "ko.text_bytes $(size text)"
echo "ko.rodata_bytes $(size rodata)"
echo "ko.ro_after_init_bytes $(size ro_after_init)"
echo "ko.data_bytes $data"
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
echo "ko.model_bytes $(($(round "$(size text)") + $(round "$(size rodata)") + $(round "$(size ro_after_init)") + \
	$(round $((data + nsyms * 24 + names + nsyms)))))"

if [ -n "$symbols" ]; then
	nm -S --size-sort -C -t d "$ko" | awk '$3 ~ /^[tTdDbBrR]$/' | tail -n 15 | tac |
		awk '{ size = $2 + 0; kind = ($3 ~ /[tT]/) ? "function" : "data"
			$1 = ""; $2 = ""; $3 = ""; sub(/^ +/, ""); sub(/::h[0-9a-f]{16}$/, "")
			printf "%d\t%s\t%s\n", size, kind, $0 }' >"$symbols"
fi
