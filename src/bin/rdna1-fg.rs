// SPDX-License-Identifier: GPL-2.0

//! `rdna1-fg`: shows and verifies what `rdna1_fg` does to a KFD topology.
//!
//! It reads a topology directory (the live `/sys/class/kfd/kfd/topology`, or
//! a copy of one) with the same walk and rules as the kernel module, and
//! writes nothing.
//!
//! ```text
//! rdna1-fg status [--root DIR] [--device-id ID] [--heap-mask MASK]
//! rdna1-fg verify [--root DIR] [--device-id ID] [--heap-mask MASK]
//! ```
//!
//! `status` lists the nodes and, for the nodes the rule selects, every bank
//! of an enabled heap type with its flags. `verify` exits 0 when every such
//! bank has `HOT_PLUGGABLE` set, 1 when one does not, 2 when the rule
//! selects no bank or the topology cannot be read.

use rdna1_fg::logic::heap::{heap_name, HEAP_SYSTEM, HOT_PLUGGABLE};
use rdna1_fg::logic::messages::{BankRef, Tally};
use rdna1_fg::logic::props::{MemBankProps, NodeProps};
use rdna1_fg::logic::rules::{BankAction, Config, RawParams, NAVI10_DEVICE_ID};
use rdna1_fg::logic::walk::{walk, Outcome, Topology, Visitor, MAX_NODES, TOPOLOGY_DIR};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: rdna1-fg status|verify [--root DIR] [--device-id ID] [--heap-mask MASK]
  --root DIR        KFD topology directory (default /sys/class/kfd/kfd/topology)
  --device-id ID    PCI device id of the nodes to check (default 0x731f; 0 = CPU-only nodes)
  --heap-mask MASK  heap types to check, bit N = heap type N (default 0x3e: all but SYSTEM)";

/// A topology directory on disk.
struct DirTopology {
    root: PathBuf,
}

/// A read failure, with the path.
struct ReadError(PathBuf, std::io::Error);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.display(), self.1)
    }
}

impl DirTopology {
    fn read<'b>(&self, path: PathBuf, buf: &'b mut [u8]) -> Result<Option<&'b str>, ReadError> {
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ReadError(path, e)),
        };
        let Some(dest) = buf.get_mut(..text.len()) else {
            let e = std::io::Error::other("longer than the read buffer");
            return Err(ReadError(path, e));
        };
        dest.copy_from_slice(&text);
        std::str::from_utf8(dest)
            .map(Some)
            .map_err(|e| ReadError(path, std::io::Error::other(e)))
    }

    fn node_dir(&self, node: u32) -> PathBuf {
        self.root.join("nodes").join(node.to_string())
    }
}

impl Topology for DirTopology {
    type Bank = ();
    type Error = ReadError;

    fn node_properties<'b>(
        &mut self,
        node: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<&'b str>, ReadError> {
        self.read(self.node_dir(node).join("properties"), buf)
    }

    fn bank_properties<'b>(
        &mut self,
        node: u32,
        bank: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<((), &'b str)>, ReadError> {
        let path = self
            .node_dir(node)
            .join("mem_banks")
            .join(bank.to_string())
            .join("properties");
        Ok(self.read(path, buf)?.map(|text| ((), text)))
    }
}

/// Prints each selected bank; counts those still missing the bit.
#[derive(Default)]
struct Report {
    missing: u32,
}

impl Visitor<DirTopology> for Report {
    fn bank(
        &mut self,
        _device_id: u16,
        at: BankRef,
        _handle: (),
        sysfs: &MemBankProps,
        action: BankAction,
    ) -> Outcome {
        let state = match action {
            BankAction::Skip => return Outcome::Ignored,
            BankAction::AlreadySet => "HOT_PLUGGABLE set",
            BankAction::Patch { .. } => {
                self.missing += 1;
                "HOT_PLUGGABLE not set"
            }
        };
        println!(
            "  node {} bank {}: {} size {} flags {:#x}: {state}",
            at.node,
            at.bank,
            heap_name(sysfs.heap_type),
            sysfs.size_in_bytes,
            sysfs.flags
        );
        if action == BankAction::AlreadySet {
            Outcome::AlreadySet
        } else {
            Outcome::Patched
        }
    }

    fn refused(&mut self, node: u32, bank: Option<u32>, reason: &dyn fmt::Display) {
        match bank {
            Some(bank) => println!("  node {node} bank {bank}: unreadable: {reason}"),
            None => println!("  node {node}: unreadable: {reason}"),
        }
    }
}

struct Args {
    command: String,
    root: PathBuf,
    raw: RawParams,
}

fn parse_number(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("'{text}' is not a number"))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let command = args.next().ok_or("no command")?;
    if command != "status" && command != "verify" {
        return Err(format!("unknown command '{command}'"));
    }
    let mut parsed = Args {
        command,
        root: PathBuf::from(TOPOLOGY_DIR),
        raw: RawParams {
            device_id: NAVI10_DEVICE_ID,
            heap_mask: rdna1_fg::logic::heap::DEFAULT_HEAP_MASK,
            ..RawParams::default()
        },
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--root" => parsed.root = PathBuf::from(value),
            "--device-id" => parsed.raw.device_id = parse_number(&value)?,
            "--heap-mask" => parsed.raw.heap_mask = parse_number(&value)?,
            _ => return Err(format!("unknown option '{flag}'")),
        }
    }
    Ok(parsed)
}

/// Lists every node with its ids, marking those the rule selects.
fn list_nodes(topology: &mut DirTopology, config: &Config, buf: &mut [u8]) {
    for node in 0..MAX_NODES {
        match topology.node_properties(node, buf) {
            Ok(None) => break,
            Ok(Some(text)) => match NodeProps::parse(text) {
                Ok(p) => println!(
                    "node {node}: vendor_id {:#06x} device_id {:#06x}{}",
                    p.vendor_id,
                    p.device_id,
                    if config.node_matches(p.device_id) {
                        " (selected)"
                    } else {
                        ""
                    }
                ),
                Err(e) => println!("node {node}: unreadable: {e}"),
            },
            Err(e) => println!("node {node}: unreadable: {e}"),
        }
    }
}

fn run(args: Args) -> Result<ExitCode, String> {
    let config = Config::from_params(args.raw).map_err(|e| e.to_string())?;
    if !Path::new(&args.root).join("nodes").is_dir() {
        return Err(format!(
            "no KFD topology at {} (is amdgpu loaded?)",
            args.root.display()
        ));
    }
    println!(
        "rule: device_id {:#06x}, heaps {}{}",
        config.device_id,
        config.heaps,
        if config.heaps.contains(HEAP_SYSTEM) {
            " (SYSTEM included: test setting)"
        } else {
            ""
        }
    );
    let mut topology = DirTopology { root: args.root };
    let mut buf = vec![0u8; 2 * 4096];
    list_nodes(&mut topology, &config, &mut buf);
    let mut report = Report::default();
    let tally: Tally = walk(&mut topology, &config, &mut buf, &mut report);
    let selected = tally.patched + tally.already_set;
    println!(
        "{selected} bank(s) selected: {} with HOT_PLUGGABLE ({HOT_PLUGGABLE:#x}), {} without, {} unreadable",
        tally.already_set, report.missing, tally.refused
    );
    if args.command == "status" {
        return Ok(ExitCode::SUCCESS);
    }
    Ok(if selected == 0 || tally.refused > 0 {
        println!("verify: FAILED: no bank to check, or unreadable banks");
        ExitCode::from(2)
    } else if report.missing > 0 {
        println!(
            "verify: FAILED: {} bank(s) without HOT_PLUGGABLE",
            report.missing
        );
        ExitCode::from(1)
    } else {
        println!("verify: OK");
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)).and_then(run) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rdna1-fg: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
