// SPDX-License-Identifier: GPL-2.0

//! The command line, defined once: parsing, `--help`, the man page and the
//! shell completions all come from these types.

use clap::{Args, Parser, Subcommand, ValueEnum};
use rdna1_fg::logic::walk::TOPOLOGY_DIR;
use std::path::PathBuf;

/// Where the kernel lists a loaded module.
pub const SYS_MODULE_DIR: &str = "/sys/module/rdna1_fg";

/// The module's root-only debugfs status file.
pub const DEBUGFS_STATUS: &str = "/sys/kernel/debug/rdna1_fg/status";

/// Exit codes of the tool as a whole, shown by `rdna1-fg --help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success (verify: every selected bank has HOT_PLUGGABLE;
     doctor: no check failed)
  1  verify: a selected bank lacks HOT_PLUGGABLE; doctor: a check failed
  2  verify: no bank selected, or a node or bank unreadable;
     any command: no KFD topology, an invalid argument, or an error
     (messages go to stderr)";

const STATUS_EXIT_CODES: &str = "\
Exit codes:
  0  the report was shown (unreadable nodes or banks are named in it)
  2  no KFD topology, an invalid argument, or an error (on stderr)";

const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0  every selected bank has HOT_PLUGGABLE
  1  a selected bank lacks HOT_PLUGGABLE
  2  no bank selected, a node or bank unreadable, no KFD topology,
     an invalid argument, or an error (on stderr)";

const DOCTOR_EXIT_CODES: &str = "\
Exit codes:
  0  no check failed (some may warn or be skipped)
  1  a check failed
  2  the tool could not run: an invalid argument, an unreadable --root,
     no way to tell the kernel release, or an error (on stderr)";

const DOCTOR_ABOUT: &str = "\
Walks the whole chain for the running kernel (or --kernel RELEASE) and prints one line per \
check, ok, warn, fail or skip (with the reason, such as \"needs root\"), and under every \
one that is not ok the command that fixes it. The groups, in order: the kernel (release, \
CONFIG_RUST, CONFIG_HSA_AMD, kprobes on ftrace, amdgpu a module); build inputs (a tree with \
the Rust build artifacts and the kernel's exact rustc, as rdna1-fg-prepare-kernel --check \
--machine reports them); DKMS (rdna1_fg installed for the kernel, the .ko modprobe would \
load, its vermagic); signature and Secure Boot (the module's signer, DKMS's key enrolled); \
loading (the softdep in rdna1_fg.conf, the initramfs); state (loaded; as root, the status \
file); the kernel log (the module's lines since boot against sysfs now, every refusal and \
warning with what to do); the topology (every GPU, the bit on the selected banks); ROCm, as \
facts only.

Text is for people. --json gives the same checks (schema 1): an object with \"schema\": 1, \
\"kernel\" (the release checked), \"running_kernel\", \"as_root\", \"checks\" (in order, \
each {\"id\": \"group.name\" (stable), \"group\", \"state\": \"ok\"|\"warn\"|\"fail\"|\"skip\", \
\"message\", \"details\": [lines], \"fix\": [steps, in order]}), \"summary\" ({\"ok\", \"warn\", \
\"fail\", \"skip\"}: counts) and \"exit_code\". Checks and fields may be added; an id keeps its \
meaning.

--root DIR reads every file under DIR instead of /: DIR/proc/sys/kernel/osrelease (the \
running kernel), DIR/boot, DIR/proc/config.gz, DIR/var/lib/dkms, DIR/lib/modules, \
DIR/etc and DIR/usr/lib/modprobe.d, DIR/sys (module, KFD topology, efivars, debugfs), the \
kernel log as DIR/dev/kmsg (a file in /dev/kmsg's record format), DIR/etc/passwd and \
DIR/etc/group. Commands are not run then: their outputs are read from \
DIR/rdna1-fg-doctor/commands/KEY.stdout (absent: not installed), KEY.stderr and KEY.exit, \
KEY being the program and its arguments joined by _ with every character but letters, \
digits, . and - made _ (mokutil --sb-state: mokutil_--sb-state); owners and modes of files \
(/dev/kfd) from DIR/rdna1-fg-doctor/stat, lines of PATH MODE(octal) UID GID.";

const EXPLAIN_EXIT_CODES: &str = "\
Exit codes:
  0  always, but for an invalid argument (2)";

/// Shows and checks what rdna1_fg does to the KFD topology of AMD RDNA1 GPUs.
#[derive(Debug, Parser)]
#[command(
    name = "rdna1-fg",
    version,
    propagate_version = true,
    disable_help_subcommand = true,
    long_about = "Shows and checks what the rdna1_fg kernel module does: it marks the KFD \
memory banks of AMD Navi 10 GPUs (PCI device 0x731f) as HSA_MEM_FLAGS_HOT_PLUGGABLE \
(bit 0 of a bank's flags in /sys/class/kfd/kfd/topology). The tool reads the topology with \
the module's own rules and writes nothing.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every KFD node and memory bank, the module's state, and a verdict per selected GPU
    #[command(after_help = STATUS_EXIT_CODES)]
    Status(StatusArgs),
    /// Check that every selected bank has HOT_PLUGGABLE (for scripts and package hooks)
    #[command(after_help = VERIFY_EXIT_CODES)]
    Verify(VerifyArgs),
    /// Check the whole chain, kernel to ROCm, and say how to fix what is wrong
    #[command(long_about = DOCTOR_ABOUT, after_help = DOCTOR_EXIT_CODES)]
    Doctor(DoctorArgs),
    /// Tell what the flag changes for ROCm and what it does not, with source references
    #[command(after_help = EXPLAIN_EXIT_CODES)]
    Explain(ExplainArgs),
    /// Write the man pages or shell completions (used when packaging)
    #[command(hide = true)]
    Generate(GenerateArgs),
}

/// Which topology to read and which banks the rule selects, as the module's
/// parameters do.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// KFD topology directory
    #[arg(long, value_name = "DIR", default_value = TOPOLOGY_DIR)]
    pub root: PathBuf,
    /// PCI device id of the nodes to check (0 selects CPU-only nodes)
    #[arg(long, value_name = "ID", default_value = "0x731f", value_parser = parse_number)]
    pub device_id: u32,
    /// Heap types to check: bit N = heap type N (0x3e: all but SYSTEM)
    #[arg(long, value_name = "MASK", default_value = "0x3e", value_parser = parse_number)]
    pub heap_mask: u32,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The topology and the rule.
    #[command(flatten)]
    pub rule: RuleArgs,
    /// Directory whose existence means rdna1_fg is loaded
    #[arg(long, value_name = "DIR", default_value = SYS_MODULE_DIR)]
    pub sys_module_dir: PathBuf,
    /// The module's debugfs status file (readable by root only)
    #[arg(long, value_name = "FILE", default_value = DEBUGFS_STATUS)]
    pub debugfs_status: PathBuf,
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The topology and the rule.
    #[command(flatten)]
    pub rule: RuleArgs,
}

/// `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Kernel release to check (default: the running kernel)
    #[arg(long, value_name = "RELEASE")]
    pub kernel: Option<String>,
    /// Read every file under DIR instead of /, and commands' outputs from files there
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    /// Check as if the effective uid were UID (for tests)
    #[arg(long, value_name = "UID", hide = true)]
    pub uid: Option<u32>,
}

/// `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to write.
    #[command(subcommand)]
    pub what: Generate,
}

/// What `generate` writes.
#[derive(Debug, Subcommand)]
pub enum Generate {
    /// Man pages: rdna1-fg.1 and one per subcommand (stdout: rdna1-fg.1 only)
    Man {
        /// Directory to write the pages to, instead of stdout
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// A shell completion script
    Completions {
        /// The shell
        shell: Shell,
        /// Directory to write the script to (under its usual file name), instead of stdout
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// Shells with completions.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Shell {
    /// bash
    Bash,
    /// zsh
    Zsh,
    /// fish
    Fish,
}

/// A number in decimal or, with `0x`, hexadecimal.
fn parse_number(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("'{text}' is not a number (decimal, or hexadecimal with 0x)"))
}
