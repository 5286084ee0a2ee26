// SPDX-License-Identifier: GPL-2.0

//! What `doctor` reads, and the commands it runs, behind one seam.
//!
//! [`Root`] reads every file under a root directory (`/`, or `--root DIR`):
//! a path is always written as on a real system (`/lib/modules/...`) and
//! joined to the root only here, so messages show system paths.
//!
//! [`System`] stands in for the commands `doctor` runs (`mokutil`,
//! `lsinitramfs`, `rdna1-fg-prepare-kernel`) and for the owner and mode of a
//! file, which a fixture in git cannot carry. [`Host`] runs the real
//! commands; [`Canned`] (used with `--root`) reads their outputs from files
//! under the root:
//!
//! - `DIR/rdna1-fg-doctor/commands/KEY.stdout`: what the command prints. Its
//!   absence means the command is not installed. `KEY` is the program and
//!   its arguments joined by `_`, every character other than ASCII letters,
//!   digits, `.` and `-` replaced by `_` (`mokutil --sb-state` is
//!   `mokutil_--sb-state`).
//! - `KEY.stderr` (optional, default empty) and `KEY.exit` (optional, the
//!   exit code in decimal, default 0).
//! - `DIR/rdna1-fg-doctor/stat`: one line per file, `PATH MODE UID GID`
//!   (`/dev/kfd 660 0 107`, mode in octal): the owner and mode of a file;
//!   a file not listed has none known.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Longest file read whole (module files are read with their own limit).
const MAX_TEXT_BYTES: u64 = 4 * 1024 * 1024;

/// The directory every path is read under.
#[derive(Debug)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    /// Reads under `dir` (`/` for the real system).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Whether this is the real system's root.
    pub fn is_real(&self) -> bool {
        self.dir == Path::new("/")
    }

    /// `path` (absolute, as on a real system) under the root.
    pub fn path(&self, path: &str) -> PathBuf {
        self.dir.join(path.trim_start_matches('/'))
    }

    /// The text of a file (lossy UTF-8), at most 4 MiB.
    pub fn read(&self, path: &str) -> std::io::Result<String> {
        self.read_bytes(path, MAX_TEXT_BYTES)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// The bytes of a file, at most `limit`; longer is an error.
    pub fn read_bytes(&self, path: &str, limit: u64) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        std::fs::File::open(self.path(path))?
            .take(limit + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(std::io::Error::other(format!(
                "{path} is longer than {limit} bytes"
            )));
        }
        Ok(bytes)
    }

    /// Whether something (even a dangling symlink) is at `path`.
    pub fn exists(&self, path: &str) -> bool {
        std::fs::symlink_metadata(self.path(path)).is_ok()
    }

    /// Whether `path` is a directory (following symlinks).
    pub fn is_dir(&self, path: &str) -> bool {
        self.path(path).is_dir()
    }

    /// The names in a directory, sorted; empty when it cannot be read.
    pub fn list(&self, path: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(path))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output, lossy UTF-8.
    pub stdout: String,
    /// Standard error, lossy UTF-8.
    pub stderr: String,
}

/// Why a command did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// No such program.
    NotInstalled,
    /// It could not be started, or its canned output not read.
    Failed(String),
}

/// A file's owner and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// The seam: commands and file owners.
pub trait System {
    /// Runs `program` with `args`.
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, RunError>;
    /// The owner and mode of `path` (a system path), if known.
    fn stat(&self, path: &str) -> Option<Stat>;
}

/// The real system.
#[derive(Debug)]
pub struct Host;

/// Where programs are looked for besides `PATH`: a user's `PATH` often
/// lacks the sbin directories that `mokutil` and `rdna1-fg-prepare-kernel`
/// are installed in.
const SBIN: [&str; 2] = ["/usr/sbin", "/sbin"];

impl Host {
    fn find(program: &str) -> Option<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(SBIN.iter().map(PathBuf::from))
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    }
}

impl System for Host {
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, RunError> {
        let exe = Self::find(program).ok_or(RunError::NotInstalled)?;
        let out = Command::new(exe)
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| RunError::Failed(format!("cannot run {program}: {e}")))?;
        Ok(Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    fn stat(&self, path: &str) -> Option<Stat> {
        std::fs::metadata(path).ok().map(|m| Stat {
            mode: m.mode() & 0o7777,
            uid: m.uid(),
            gid: m.gid(),
        })
    }
}

/// Canned outputs under a fixture root (see the module's documentation).
#[derive(Debug)]
pub struct Canned {
    dir: PathBuf,
}

/// The directory of canned outputs, under the root.
pub const CANNED_DIR: &str = "rdna1-fg-doctor";

impl Canned {
    /// Reads canned outputs under `root`.
    pub fn new(root: &Path) -> Self {
        Self {
            dir: root.join(CANNED_DIR),
        }
    }
}

/// The file name of a command's canned output, without its extension.
pub fn canned_key(program: &str, args: &[&str]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl System for Canned {
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, RunError> {
        let key = canned_key(program, args);
        let base = self.dir.join("commands");
        let read = |ext: &str| std::fs::read_to_string(base.join(format!("{key}.{ext}")));
        let stdout = match read("stdout") {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RunError::NotInstalled)
            }
            Err(e) => return Err(RunError::Failed(e.to_string())),
        };
        let code = match read("exit") {
            Ok(text) => text.trim().parse().map_err(|_| {
                RunError::Failed(format!("{}/{key}.exit: not a number", base.display()))
            })?,
            Err(_) => 0,
        };
        Ok(Output {
            code,
            stdout,
            stderr: read("stderr").unwrap_or_default(),
        })
    }

    fn stat(&self, path: &str) -> Option<Stat> {
        let text = std::fs::read_to_string(self.dir.join("stat")).ok()?;
        text.lines().find_map(|line| {
            let mut words = line.split_whitespace();
            if words.next() != Some(path) {
                return None;
            }
            let mode = u32::from_str_radix(words.next()?, 8).ok()?;
            let uid = words.next()?.parse().ok()?;
            let gid = words.next()?.parse().ok()?;
            Some(Stat { mode, uid, gid })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_keys_are_plain_file_names() {
        assert_eq!(canned_key("mokutil", &["--sb-state"]), "mokutil_--sb-state");
        assert_eq!(
            canned_key("mokutil", &["--test-key", "/var/lib/dkms/mok.pub"]),
            "mokutil_--test-key__var_lib_dkms_mok.pub"
        );
        assert_eq!(
            canned_key(
                "rdna1-fg-prepare-kernel",
                &["--check", "--machine", "7.2.13+deb14-amd64"]
            ),
            "rdna1-fg-prepare-kernel_--check_--machine_7.2.13_deb14-amd64"
        );
    }

    #[test]
    fn root_joins_system_paths() {
        let root = Root::new(PathBuf::from("/tmp/x"));
        assert_eq!(
            root.path("/boot/config-1"),
            PathBuf::from("/tmp/x/boot/config-1")
        );
        assert!(!root.is_real());
        assert!(Root::new(PathBuf::from("/")).is_real());
    }
}
