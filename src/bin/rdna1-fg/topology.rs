// SPDX-License-Identifier: GPL-2.0

//! Reads a KFD topology directory (`nodes/N/properties`,
//! `nodes/N/mem_banks/M/properties`) into memory, with the module's own
//! parser (`logic::props`). KFD numbers nodes and banks from 0 without gaps;
//! like the module's walk, reading stops at the first number that is absent.
//! A file that cannot be read or parsed becomes a [`FileError`] naming the
//! file and, where there is one, the line.

use rdna1_fg::logic::props::{error_line, find_u32, MemBankProps, NodeProps, PropsError};
use rdna1_fg::logic::walk::{MAX_BANKS, MAX_NODES};
use serde::Serialize;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Longest `properties` text accepted (KFD's are one page at most).
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// A file that could not be read or parsed.
#[derive(Clone, Debug, Serialize)]
pub struct FileError {
    /// The file.
    pub file: PathBuf,
    /// The 1-based line the error is about, if it is about one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ": line {line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The fields of a node's `properties` that the tool shows.
#[derive(Clone, Copy, Debug)]
pub struct NodeInfo {
    /// `vendor_id` and `device_id`.
    pub ids: NodeProps,
    /// `gfx_target_version` (absent on old kernels).
    pub gfx_target_version: Option<u32>,
    /// `domain` (PCI domain).
    pub domain: Option<u32>,
    /// `location_id`: PCI bus number << 8 | devfn.
    pub location_id: Option<u32>,
}

/// One memory bank.
#[derive(Debug)]
pub struct Bank {
    /// Its number under `mem_banks/`.
    pub id: u32,
    /// Its fields, or why they could not be read.
    pub props: Result<MemBankProps, FileError>,
}

/// One topology node.
#[derive(Debug)]
pub struct Node {
    /// Its number under `nodes/`.
    pub id: u32,
    /// Its fields, or why they could not be read.
    pub info: Result<NodeInfo, FileError>,
    /// Its banks.
    pub banks: Vec<Bank>,
}

/// Why there is no topology to show.
#[derive(Debug)]
pub struct NoTopology(pub PathBuf);

impl fmt::Display for NoTopology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no KFD topology at {} (no node there: is amdgpu loaded, and was the kernel built with CONFIG_HSA_AMD?)",
            self.0.display()
        )
    }
}

/// Reads every node and bank under `root`.
pub fn read(root: &Path) -> Result<Vec<Node>, NoTopology> {
    let mut nodes = Vec::new();
    for id in 0..MAX_NODES {
        let dir = root.join("nodes").join(id.to_string());
        let Some(text) = read_text(&dir.join("properties")) else {
            break;
        };
        let info = text.and_then(|(file, text)| parse_node(file, &text));
        nodes.push(Node {
            id,
            info,
            banks: read_banks(&dir),
        });
    }
    if nodes.is_empty() {
        return Err(NoTopology(root.to_path_buf()));
    }
    Ok(nodes)
}

fn read_banks(node_dir: &Path) -> Vec<Bank> {
    let mut banks = Vec::new();
    for id in 0..MAX_BANKS {
        let file = node_dir
            .join("mem_banks")
            .join(id.to_string())
            .join("properties");
        let Some(text) = read_text(&file) else {
            break;
        };
        let props = text.and_then(|(file, text)| {
            MemBankProps::parse(&text).map_err(|e| parse_error(file, &text, e))
        });
        banks.push(Bank { id, props });
    }
    banks
}

fn parse_node(file: PathBuf, text: &str) -> Result<NodeInfo, FileError> {
    let ids = NodeProps::parse(text).map_err(|e| parse_error(file.clone(), text, e))?;
    let optional = |key: &'static str| match find_u32(text, key) {
        Ok(value) => Ok(Some(value)),
        Err(PropsError::Missing(_)) => Ok(None),
        Err(e) => Err(parse_error(file.clone(), text, e)),
    };
    Ok(NodeInfo {
        ids,
        gfx_target_version: optional("gfx_target_version")?,
        domain: optional("domain")?,
        location_id: optional("location_id")?,
    })
}

fn parse_error(file: PathBuf, text: &str, e: PropsError) -> FileError {
    FileError {
        file,
        line: error_line(text, e),
        message: e.to_string(),
    }
}

/// `None`: the file does not exist. Otherwise its text, or why it cannot be
/// read as text.
fn read_text(file: &Path) -> Option<Result<(PathBuf, String), FileError>> {
    let error = |line: Option<usize>, message: String| FileError {
        file: file.to_path_buf(),
        line,
        message,
    };
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(file).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes));
    match read {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(Err(error(None, e.to_string()))),
        Ok(_) if bytes.len() as u64 > MAX_FILE_BYTES => Some(Err(error(
            None,
            format!("longer than {MAX_FILE_BYTES} bytes: not a KFD properties file"),
        ))),
        Ok(_) => Some(match String::from_utf8(bytes) {
            Ok(text) => Ok((file.to_path_buf(), text)),
            Err(e) => {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
                Err(error(Some(line), "not UTF-8 text".to_string()))
            }
        }),
    }
}
