// SPDX-License-Identifier: GPL-2.0

//! Whether `rdna1_fg` is loaded, and its debugfs status file, read without
//! assuming its exact format.
//!
//! The status file is a list of `key: value` lines; a `key:` line may be
//! followed by indented lines that belong to it (`patched banks: 1` and one
//! line per bank). Every such line is kept as text: keys this tool does not
//! know are shown like the others, a line that is neither is kept apart, and
//! a file with no `key: value` line at all is shown raw. Nothing in it is an
//! error.

use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The key whose indented lines are the banks the module patched.
pub const PATCHED_BANKS: &str = "patched banks";

/// Longest status text read.
const MAX_STATUS_BYTES: u64 = 256 * 1024;

/// The status file, parsed.
#[derive(Debug, Default, Serialize)]
pub struct StatusFile {
    /// `key: value` lines in file order (a repeated key keeps its first value).
    #[serde(serialize_with = "ordered_map")]
    pub fields: Vec<(String, String)>,
    /// The indented lines under `patched banks:`.
    pub patched_banks: Vec<String>,
    /// Indented lines under other keys.
    pub lists: BTreeMap<String, Vec<String>>,
    /// Lines that are neither, and repeated keys.
    pub other_lines: Vec<String>,
    /// Whether any `key: value` line was found; if not, show `raw`.
    pub recognised: bool,
    /// The whole text.
    pub raw: String,
}

/// What the tool found out about the module.
#[derive(Debug, Serialize)]
pub struct ModuleInfo {
    /// The directory looked at.
    pub sys_module_dir: PathBuf,
    /// Whether it exists.
    pub loaded: bool,
    /// `initstate` in that directory (`live`), when readable.
    pub initstate: Option<String>,
    /// The status file looked at.
    pub status_file: PathBuf,
    /// Its contents, when read.
    pub status: Option<StatusFile>,
    /// Why it was not read.
    pub status_error: Option<String>,
}

/// Looks at the module directory and, when the module is loaded, its status file.
pub fn read(sys_module_dir: &Path, status_file: &Path) -> ModuleInfo {
    let loaded = sys_module_dir.is_dir();
    let initstate = std::fs::read_to_string(sys_module_dir.join("initstate"))
        .ok()
        .map(|s| s.trim().to_string());
    let (status, status_error) = if !loaded {
        (None, Some("not read: the module is not loaded".to_string()))
    } else {
        match read_status(status_file) {
            Ok(text) => (Some(parse(&text)), None),
            Err(e) => (None, Some(e)),
        }
    };
    ModuleInfo {
        sys_module_dir: sys_module_dir.to_path_buf(),
        loaded,
        initstate,
        status_file: status_file.to_path_buf(),
        status,
        status_error,
    }
}

fn read_status(file: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(file).and_then(|f| f.take(MAX_STATUS_BYTES).read_to_end(&mut bytes));
    match read {
        Ok(_) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => Err(match e.kind() {
            std::io::ErrorKind::PermissionDenied => {
                "permission denied: the status file is readable by root only".to_string()
            }
            std::io::ErrorKind::NotFound => {
                "not found (is debugfs mounted on /sys/kernel/debug?)".to_string()
            }
            _ => e.to_string(),
        }),
    }
}

/// Parses the status text; never fails.
pub fn parse(text: &str) -> StatusFile {
    let mut status = StatusFile {
        raw: text.to_string(),
        ..StatusFile::default()
    };
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        if let (true, Some(key)) = (indented, &current) {
            let item = line.trim().to_string();
            if key == PATCHED_BANKS {
                status.patched_banks.push(item);
            } else {
                status.lists.entry(key.clone()).or_default().push(item);
            }
            continue;
        }
        match split_field(line) {
            Some((key, value)) if !status.fields.iter().any(|(k, _)| k == key) => {
                status.fields.push((key.to_string(), value.to_string()));
                current = Some(key.to_string());
            }
            _ => {
                status.other_lines.push(line.to_string());
                current = None;
            }
        }
    }
    status.recognised = !status.fields.is_empty();
    status
}

/// `key: value` (or `key:`), with a key of words, digits, `_`, `-`, `.` and spaces.
fn split_field(line: &str) -> Option<(&str, &str)> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let (key, value) = line.split_once(':')?;
    let key_ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '));
    if !key_ok || !(value.is_empty() || value.starts_with(' ')) {
        return None;
    }
    Some((key.trim_end(), value.trim()))
}

impl StatusFile {
    /// Whether a patched-bank line names this node and bank
    /// (`node 1 bank 0 ...`).
    pub fn lists_bank(&self, node: u32, bank: u32) -> bool {
        self.patched_banks.iter().any(|line| {
            let mut words = line.split_whitespace();
            words.next() == Some("node")
                && words.next() == Some(node.to_string().as_str())
                && words.next() == Some("bank")
                && words.next() == Some(bank.to_string().as_str())
        })
    }
}

fn ordered_map<S: serde::Serializer>(
    fields: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(fields.len()))?;
    for (key, value) in fields {
        map.serialize_entry(key, value)?;
    }
    map.end()
}
