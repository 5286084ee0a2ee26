// SPDX-License-Identifier: GPL-2.0

//! Parsing of KFD sysfs `properties` files.
//!
//! KFD prints one `name value` pair per line (`"%s %u\n"` or `"%s %llu\n"`).
//! A memory bank's file (`nodes/N/mem_banks/M/properties`) has exactly
//! `heap_type`, `size_in_bytes`, `flags`, `width` and `mem_clk_max`; a node's
//! file (`nodes/N/properties`) has many keys, of which `device_id` matters here.

use core::fmt;

/// What went wrong while parsing a `properties` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropsError {
    /// A required key is absent.
    Missing(&'static str),
    /// A key appears more than once.
    Duplicate(&'static str),
    /// A key's value is not a decimal number that fits its field.
    BadValue(&'static str),
    /// A line is not `name value`.
    BadLine,
}

impl fmt::Display for PropsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Missing(key) => write!(f, "no '{key}' line"),
            Self::Duplicate(key) => write!(f, "'{key}' appears twice"),
            Self::BadValue(key) => write!(f, "'{key}' is not a number of its size"),
            Self::BadLine => f.write_str("a line is not 'name value'"),
        }
    }
}

/// Iterates over the `(name, value)` pairs of a `properties` text.
/// Empty lines are skipped; a line without a value yields `Err(BadLine)`.
pub fn pairs(text: &str) -> impl Iterator<Item = Result<(&str, &str), PropsError>> {
    text.lines()
        .filter(|line| !line.trim_ascii().is_empty())
        .map(|line| {
            let mut words = line.split_ascii_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some(name), Some(value), None) => Ok((name, value)),
                _ => Err(PropsError::BadLine),
            }
        })
}

/// The 1-based line of `text` that `err` (from parsing `text`) is about, so
/// that a tool can name it: the first line that is not `name value`, the
/// second line of a duplicated key, or the line whose value does not fit.
/// `None` for [`PropsError::Missing`] (no line has the key) or when no line
/// matches. Counts every line, blank ones included; allocates nothing.
pub fn error_line(text: &str, err: PropsError) -> Option<usize> {
    let mut seen = false;
    for (index, line) in text.lines().enumerate() {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let mut words = line.split_ascii_whitespace();
        let pair = match (words.next(), words.next(), words.next()) {
            (Some(name), Some(value), None) => Some((name, value)),
            _ => None,
        };
        let hit = match (err, pair) {
            (PropsError::BadLine, None) => true,
            (PropsError::Duplicate(key), Some((name, _))) if name == key => {
                let again = seen;
                seen = true;
                again
            }
            (PropsError::BadValue(key), Some((name, _))) if name == key => true,
            _ => false,
        };
        if hit {
            return Some(index + 1);
        }
    }
    None
}

/// The value of key `key` as a `u64`, which must appear exactly once.
pub fn find_u64(text: &str, key: &'static str) -> Result<u64, PropsError> {
    let mut found = None;
    for pair in pairs(text) {
        let (name, value) = pair?;
        if name == key {
            if found.is_some() {
                return Err(PropsError::Duplicate(key));
            }
            found = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| PropsError::BadValue(key))?,
            );
        }
    }
    found.ok_or(PropsError::Missing(key))
}

/// Like [`find_u64`], for a 32-bit field.
pub fn find_u32(text: &str, key: &'static str) -> Result<u32, PropsError> {
    u32::try_from(find_u64(text, key)?).map_err(|_| PropsError::BadValue(key))
}

/// The fields of one memory bank, as its sysfs `properties` file shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemBankProps {
    /// `heap_type`: one of the `HSA_MEM_HEAP_TYPE_*` values.
    pub heap_type: u32,
    /// `size_in_bytes`.
    pub size_in_bytes: u64,
    /// `flags`: `HSA_MEM_FLAGS_*` bits.
    pub flags: u32,
    /// `width`: memory bus width in bits.
    pub width: u32,
    /// `mem_clk_max`: maximum memory clock in MHz.
    pub mem_clk_max: u32,
}

impl MemBankProps {
    /// Parses a bank's `properties` text. Unknown extra keys are accepted,
    /// so a kernel that adds a line still parses; the layout check decides
    /// whether the struct still matches.
    pub fn parse(text: &str) -> Result<Self, PropsError> {
        Ok(Self {
            heap_type: find_u32(text, "heap_type")?,
            size_in_bytes: find_u64(text, "size_in_bytes")?,
            flags: find_u32(text, "flags")?,
            width: find_u32(text, "width")?,
            mem_clk_max: find_u32(text, "mem_clk_max")?,
        })
    }
}

/// The fields of a node's `properties` file that select it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeProps {
    /// `vendor_id`: PCI vendor id (0 for a CPU-only node).
    pub vendor_id: u32,
    /// `device_id`: PCI device id (0 for a CPU-only node).
    pub device_id: u32,
    /// `mem_banks_count`: how many `mem_banks/N` the node has (`None`: the
    /// key is missing, as in hand-made fixtures).
    pub mem_banks_count: Option<u32>,
}

impl NodeProps {
    /// Parses the keys this module needs from a node's `properties` text.
    pub fn parse(text: &str) -> Result<Self, PropsError> {
        Ok(Self {
            vendor_id: find_u32(text, "vendor_id")?,
            device_id: find_u32(text, "device_id")?,
            mem_banks_count: find_u32(text, "mem_banks_count").ok(),
        })
    }
}
