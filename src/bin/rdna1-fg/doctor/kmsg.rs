// SPDX-License-Identifier: GPL-2.0

//! The kernel log, as `/dev/kmsg` gives it: one record per line,
//! `PRIORITY,SEQUENCE,MICROSECONDS,FLAGS;MESSAGE`, followed by indented
//! `KEY=value` lines (Documentation/ABI/testing/dev-kmsg). With `--root`,
//! `DIR/dev/kmsg` is a regular file in the same format.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Longest log read.
const MAX_LOG_BYTES: usize = 32 * 1024 * 1024;

/// One record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Log level (0 emergency .. 7 debug).
    pub level: u8,
    /// Sequence number.
    pub seq: u64,
    /// Microseconds since boot.
    pub usec: u64,
    /// The message.
    pub text: &'a str,
}

impl Record<'_> {
    /// `[12.345678]`: the time as dmesg shows it, without its padding.
    pub fn stamp(&self) -> String {
        format!("[{}.{:06}]", self.usec / 1_000_000, self.usec % 1_000_000)
    }
}

/// Parses records; lines that are not records (continuations) are skipped.
pub fn records(text: &str) -> Vec<Record<'_>> {
    text.lines().filter_map(record).collect()
}

fn record(line: &str) -> Option<Record<'_>> {
    let (head, text) = line.split_once(';')?;
    let mut fields = head.split(',');
    let prio: u32 = fields.next()?.parse().ok()?;
    let seq = fields.next()?.parse().ok()?;
    let usec = fields.next()?.parse().ok()?;
    Some(Record {
        level: (prio & 7) as u8,
        seq,
        usec,
        text,
    })
}

/// Reads the whole log from `/dev/kmsg` (non-blocking: one record per
/// read, until none is left) or a file in its format.
pub fn read(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let mut all = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while all.len() < MAX_LOG_BYTES {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            // A record was overwritten while reading: go on with the next.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(String::from_utf8_lossy(&all).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_continuations() {
        let log = "6,100,12345678,-;rdna1_fg: KFD: x\n SUBSYSTEM=pci\n4,101,99,-,caller=T1;warn\nbad line\n";
        let r = records(log);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].level, r[0].seq, r[0].text),
            (6, 100, "rdna1_fg: KFD: x")
        );
        assert_eq!(r[0].stamp(), "[12.345678]");
        assert_eq!((r[1].level, r[1].text), (4, "warn"));
    }
}
