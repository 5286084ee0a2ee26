//! The module's known layout of KFD's `struct kfd_mem_properties` against
//! the table of releases (`src/logic/kfd_mem_properties.tsv`) and against
//! KFD's own header in every prepared kernel tree on this machine.
//!
//! For each tree that has `drivers/gpu/drm/amd/amdkfd/kfd_topology.h` (the
//! trees `rdna1-fg-prepare-kernel` prepares keep it), libclang computes the
//! offsets through `bindgen`, and the system's C compiler (found by `cc`)
//! must accept static assertions of the same offsets; both must equal the
//! table's row for that kernel and the module's known layout. The trees are
//! `RDNA1_FG_KERNEL_TREE` (one tree, which must have the header: `ci/test.sh`
//! sets it for each target), or else every tree under the build-root cache
//! (`RDNA1_FG_CACHE`, default `/var/cache/rdna1_fg`).

use rdna1_fg::logic::layout::{MemPropsLayout, KFD_MEM_PROPERTIES};
use std::path::{Path, PathBuf};
use std::process::Command;

const TABLE: &str = include_str!("../src/logic/kfd_mem_properties.tsv");
const KFD_DIR: &str = "drivers/gpu/drm/amd/amdkfd";
/// The fields the module reads, in `MemPropsLayout` order, then the attribute.
const FIELDS: [&str; 5] = [
    "heap_type",
    "size_in_bytes",
    "flags",
    "width",
    "mem_clk_max",
];

#[derive(Debug)]
struct Row {
    source: String,
    reference: String,
    basis: String,
    layout: MemPropsLayout,
    attr_member: String,
    struct_size: usize,
}

fn table() -> Vec<Row> {
    let mut lines = TABLE.lines().filter(|l| !l.starts_with('#'));
    let header = lines.next().expect("the table has a header line");
    assert_eq!(
        header,
        "source\tref\tcommit\tbasis\theap_type\tsize_in_bytes\tflags\twidth\tmem_clk_max\tattr\tattr_member\tstruct_size"
    );
    lines
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 12, "12 columns in {line:?}");
            let n = |i: usize| -> usize {
                f[i].parse()
                    .unwrap_or_else(|_| panic!("column {i} of {line:?} is not a number"))
            };
            assert!(
                f[2] == "-" || (f[2].len() == 40 && f[2].chars().all(|c| c.is_ascii_hexdigit())),
                "commit of {line:?}: 40 hex digits or -"
            );
            Row {
                source: f[0].to_string(),
                reference: f[1].to_string(),
                basis: f[3].to_string(),
                layout: MemPropsLayout {
                    heap_type: n(4),
                    size_in_bytes: n(5),
                    flags: n(6),
                    width: n(7),
                    mem_clk_max: n(8),
                    attr: n(9),
                },
                attr_member: f[10].to_string(),
                struct_size: n(11),
            }
        })
        .collect()
}

#[test]
fn every_release_in_the_table_has_the_known_layout() {
    let rows = table();
    assert!(rows
        .iter()
        .any(|r| r.source == "linux" && r.reference == "v6.1"));
    for row in &rows {
        assert_eq!(
            row.layout, KFD_MEM_PROPERTIES,
            "{} {}",
            row.source, row.reference
        );
        assert!(row.struct_size > row.layout.attr, "{}", row.reference);
        assert!(
            ["read", "checked"].contains(&row.basis.as_str()) || row.basis.starts_with("between "),
            "basis of {}: {}",
            row.reference,
            row.basis
        );
        let member = if row.source == "linux" {
            "attr"
        } else {
            "attr_props"
        };
        assert_eq!(row.attr_member, member, "{}", row.reference);
    }
}

/// The prepared trees to check, and whether one must be there.
fn trees() -> (Vec<PathBuf>, bool) {
    if let Some(tree) = std::env::var_os("RDNA1_FG_KERNEL_TREE") {
        return (vec![PathBuf::from(tree)], true);
    }
    let cache = std::env::var_os("RDNA1_FG_CACHE").unwrap_or_else(|| "/var/cache/rdna1_fg".into());
    let mut found = Vec::new();
    for release in std::fs::read_dir(&cache).into_iter().flatten().flatten() {
        let kbuild = release.path().join("root/var/lib/rdna1_fg/kbuild");
        for tree in std::fs::read_dir(kbuild).into_iter().flatten().flatten() {
            if tree.path().join(KFD_DIR).join("kfd_topology.h").is_file() {
                found.push(tree.path());
            }
        }
    }
    found.sort();
    (found, false)
}

/// The include and definition flags a kernel build gives its C files, for
/// parsing (not compiling) a header of `tree`.
fn kernel_flags(tree: &Path) -> Vec<String> {
    let t = |p: &str| tree.join(p).display().to_string();
    let mut flags = vec!["-nostdinc".to_string()];
    for dir in [
        "arch/x86/include",
        "arch/x86/include/generated",
        "include",
        "arch/x86/include/uapi",
        "arch/x86/include/generated/uapi",
        "include/uapi",
        "include/generated/uapi",
        KFD_DIR,
    ] {
        flags.push(format!("-I{}", t(dir)));
    }
    for header in [
        "include/linux/compiler-version.h",
        "include/linux/kconfig.h",
        "include/linux/compiler_types.h",
    ] {
        flags.push("-include".to_string());
        flags.push(t(header));
    }
    flags.extend(
        [
            "-D__KERNEL__",
            "-std=gnu11",
            "-fms-extensions",
            "-m64",
            "-w",
        ]
        .map(String::from),
    );
    flags
}

/// The declarations `kfd_topology.h` names but does not define, then it.
const PROBE_HEADER: &str = "struct amdgpu_device;\nstruct kfd_node;\n#include \"kfd_topology.h\"\n";

/// The offsets of the checked fields and of `attr`, and the struct's size,
/// as libclang lays the struct out (bindgen's layout assertions).
fn offsets_from_libclang(tree: &Path) -> (MemPropsLayout, usize) {
    let bindings = bindgen::Builder::default()
        .header_contents("rdna1_fg_layout.h", PROBE_HEADER)
        .clang_arg("--target=x86_64-linux-gnu")
        .clang_args(kernel_flags(tree))
        .allowlist_type("kfd_mem_properties")
        .layout_tests(true)
        .generate()
        .unwrap_or_else(|e| panic!("bindgen on {}: {e}", tree.display()))
        .to_string();
    // Lines like `["Offset of field: kfd_mem_properties::flags"]
    // [::std::mem::offset_of!(kfd_mem_properties, flags) - 32usize];`
    let find = |pattern: &str| -> usize {
        let at = bindings
            .find(pattern)
            .unwrap_or_else(|| panic!("no `{pattern}` in bindgen's output"));
        let rest = &bindings[at + pattern.len()..];
        let digits: String = rest
            .trim_start_matches([' ', '-', '\n'])
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().expect("a number after the pattern")
    };
    let offset = |field: &str| find(&format!("offset_of!(kfd_mem_properties, {field})"));
    let layout = MemPropsLayout {
        heap_type: offset(FIELDS[0]),
        size_in_bytes: offset(FIELDS[1]),
        flags: offset(FIELDS[2]),
        width: offset(FIELDS[3]),
        mem_clk_max: offset(FIELDS[4]),
        attr: offset("attr"),
    };
    (layout, find("size_of::<kfd_mem_properties>()"))
}

/// Whether the system's C compiler accepts static assertions of `layout`
/// for `tree`'s header; the compiler's messages otherwise.
fn c_compiler_agrees(tree: &Path, layout: &MemPropsLayout) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("rdna1_fg-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let offsets = [
        (FIELDS[0], layout.heap_type),
        (FIELDS[1], layout.size_in_bytes),
        (FIELDS[2], layout.flags),
        (FIELDS[3], layout.width),
        (FIELDS[4], layout.mem_clk_max),
        ("attr", layout.attr),
    ];
    let mut source = format!("{PROBE_HEADER}#include <linux/stddef.h>\n");
    for (field, offset) in offsets {
        source.push_str(&format!(
            "_Static_assert(offsetof(struct kfd_mem_properties, {field}) == {offset}, \"{field} at {offset}\");\n"
        ));
    }
    let file = dir.join("layout.c");
    std::fs::write(&file, source).map_err(|e| e.to_string())?;
    let compiler = cc::Build::new()
        .target("x86_64-unknown-linux-gnu")
        .host("x86_64-unknown-linux-gnu")
        .opt_level(0)
        .cargo_metadata(false)
        .try_get_compiler()
        .map_err(|e| e.to_string())?;
    let output = Command::new(compiler.path())
        .args(kernel_flags(tree))
        .arg("-fsyntax-only")
        .arg(&file)
        .output()
        .map_err(|e| format!("{}: {e}", compiler.path().display()))?;
    let _ = std::fs::remove_dir_all(&dir);
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The table's row for the kernel release of `tree`: its exact upstream
/// version (a Debian source row), else its series (`v7.2`).
fn row_for<'r>(rows: &'r [Row], tree: &Path) -> &'r Row {
    let release = std::fs::read_to_string(tree.join("include/config/kernel.release"))
        .unwrap_or_else(|e| panic!("{}: no include/config/kernel.release: {e}", tree.display()));
    let version = release
        .trim()
        .split(['+', '-'])
        .next()
        .unwrap_or_default()
        .to_string();
    let series: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let linux = || rows.iter().filter(|r| r.source == "linux");
    linux()
        .find(|r| r.reference.split(' ').next() == Some(&format!("v{version}")))
        .or_else(|| linux().find(|r| r.reference == format!("v{series}")))
        .unwrap_or_else(|| {
            panic!(
                "src/logic/kfd_mem_properties.tsv has no row for Linux {version} (tree {}): add one",
                tree.display()
            )
        })
}

#[test]
fn kfd_headers_of_the_prepared_trees_have_the_known_layout() {
    let (trees, required) = trees();
    if trees.is_empty() {
        eprintln!(
            "no prepared kernel tree with {KFD_DIR}/kfd_topology.h on this machine: skipped (ci/test.sh checks each target's)"
        );
        return;
    }
    let rows = table();
    for tree in &trees {
        let header = tree.join(KFD_DIR).join("kfd_topology.h");
        assert!(
            !required || header.is_file(),
            "{} has no {KFD_DIR}/kfd_topology.h",
            tree.display()
        );
        let (layout, size) = offsets_from_libclang(tree);
        let row = row_for(&rows, tree);
        assert_eq!(
            layout,
            KFD_MEM_PROPERTIES,
            "libclang's layout of {}",
            header.display()
        );
        assert_eq!(layout, row.layout, "the table's row {}", row.reference);
        // `struct attribute` grows with lock debugging; the fields before it do not.
        assert!(
            size >= row.struct_size,
            "size {size} < the table's {}",
            row.struct_size
        );
        if let Err(e) = c_compiler_agrees(tree, &layout) {
            panic!("the C compiler disagrees on {}:\n{e}", header.display());
        }
        eprintln!(
            "{}: layout equals the known one and the table's row {}",
            header.display(),
            row.reference
        );
    }
}
