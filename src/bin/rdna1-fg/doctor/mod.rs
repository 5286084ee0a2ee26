// SPDX-License-Identifier: GPL-2.0

//! `rdna1-fg doctor`: walks the whole chain from the kernel's config to what
//! ROCm sees, one check per line, each `ok`, `warn`, `fail` or `skip`, with
//! the command that fixes every one that is not `ok`.
//!
//! One module per group of checks, in the order they run: [`kernel`],
//! [`build`], [`dkms`], [`signature`], [`loading`], [`state`], [`log`],
//! [`topology`], [`rocm`]. Each check is one function returning a [`Check`].
//! Everything is read through [`system::Root`] and every command run
//! through the [`system::System`] seam, so `--root DIR` runs every check on
//! a fixture.
//!
//! # JSON (`--json`), schema 1
//!
//! ```text
//! { "schema": 1,
//!   "kernel": "7.2.13+deb14-amd64",     the release checked
//!   "running_kernel": true,             whether it is the running kernel
//!   "as_root": true,                    whether the checks ran as root
//!   "checks": [ { "id": "kernel.rust",  stable: group.name
//!                 "group": "kernel",
//!                 "state": "ok" | "warn" | "fail" | "skip",
//!                 "message": "...",     one line
//!                 "details": ["..."],   further lines, maybe none
//!                 "fix": ["..."] } ],   commands or steps, in order; none when ok
//!   "summary": { "ok": 0, "warn": 0, "fail": 0, "skip": 0 },
//!   "exit_code": 0 }                    0 nothing failed, 1 a check failed
//! ```
//!
//! New checks and fields may be added; an id, once given, keeps its meaning.

mod build;
mod dkms;
mod kernel;
mod kmsg;
mod ko;
mod loading;
mod log;
mod log_lines;
mod rocm;
mod signature;
mod state;
pub mod system;
mod topology;

use crate::cli::DoctorArgs;
use serde::Serialize;
use std::fmt::Write as _;
use system::{Canned, Host, Root, System};

/// Version of the JSON layout.
pub const SCHEMA: u32 = 1;

/// Exit code when a check failed.
pub const EXIT_FAILED: u8 = 1;

/// The outcome of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// As it should be.
    Ok,
    /// Works, but worth a look.
    Warn,
    /// Broken: rdna1_fg cannot do its work until it is fixed.
    Fail,
    /// Not checked, with the reason.
    Skip,
}

impl State {
    fn word(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Skip => "skip",
        }
    }
}

/// One check.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// Stable id, `group.name`.
    pub id: &'static str,
    /// The group, the part of `id` before the dot.
    pub group: &'static str,
    /// The outcome.
    pub state: State,
    /// One line.
    pub message: String,
    /// Further lines.
    pub details: Vec<String>,
    /// What to run, in order.
    pub fix: Vec<String>,
}

impl Check {
    fn new(id: &'static str, state: State, message: impl Into<String>) -> Self {
        Self {
            id,
            group: id.split_once('.').map_or(id, |(g, _)| g),
            state,
            message: message.into(),
            details: Vec::new(),
            fix: Vec::new(),
        }
    }

    /// An `ok` check.
    pub fn ok(id: &'static str, message: impl Into<String>) -> Self {
        Self::new(id, State::Ok, message)
    }

    /// A `warn` check.
    pub fn warn(id: &'static str, message: impl Into<String>) -> Self {
        Self::new(id, State::Warn, message)
    }

    /// A `fail` check.
    pub fn fail(id: &'static str, message: impl Into<String>) -> Self {
        Self::new(id, State::Fail, message)
    }

    /// A `skip` check; the message is the reason.
    pub fn skip(id: &'static str, reason: impl Into<String>) -> Self {
        Self::new(id, State::Skip, reason)
    }

    /// Adds a step of the fix.
    pub fn fix(mut self, step: impl Into<String>) -> Self {
        self.fix.push(step.into());
        self
    }

    /// Adds a line of detail.
    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }
}

/// What every check may look at.
pub struct Ctx<'a> {
    /// Where files are read.
    pub root: Root,
    /// The commands.
    pub system: &'a dyn System,
    /// The kernel release checked.
    pub release: String,
    /// The running kernel's release, when known.
    pub running: Option<String>,
    /// Whether the checks run as root.
    pub as_root: bool,
    /// The user's uid.
    pub uid: u32,
}

impl Ctx<'_> {
    /// Whether the release checked is the running kernel.
    pub fn is_running(&self) -> bool {
        self.running.as_deref() == Some(self.release.as_str())
    }

    /// A check skipped because it needs root.
    pub fn needs_root(&self, id: &'static str, what: &str) -> Check {
        Check::skip(id, format!("needs root ({what})")).fix("sudo rdna1-fg doctor")
    }

    /// A check skipped because it is about the running kernel only.
    pub fn not_running(&self, id: &'static str) -> Check {
        Check::skip(
            id,
            format!(
                "about the running kernel ({}), not {}",
                self.running.as_deref().unwrap_or("unknown"),
                self.release
            ),
        )
    }
}

/// Counts by state.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// `ok` checks.
    pub ok: usize,
    /// `warn` checks.
    pub warn: usize,
    /// `fail` checks.
    pub fail: usize,
    /// `skip` checks.
    pub skip: usize,
}

/// The whole report (the JSON form; see the module's documentation).
#[derive(Debug, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The release checked.
    pub kernel: String,
    /// Whether it is the running kernel.
    pub running_kernel: bool,
    /// Whether the checks ran as root.
    pub as_root: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// Counts by state.
    pub summary: Summary,
    /// 0 when nothing failed, 1 when a check failed.
    pub exit_code: u8,
}

/// Runs every check.
pub fn run(args: &DoctorArgs) -> Result<Report, String> {
    let root = Root::new(args.root.clone());
    if !root.is_dir("/") {
        return Err(format!("{}: not a directory", args.root.display()));
    }
    let host = Host;
    let canned;
    let system: &dyn System = if root.is_real() {
        &host
    } else {
        canned = Canned::new(&args.root);
        &canned
    };
    let running = root
        .read("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let release = match (&args.kernel, &running) {
        (Some(k), _) => k.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => {
            return Err(format!(
                "cannot tell the running kernel ({} is unreadable): name one with --kernel RELEASE",
                root.path("/proc/sys/kernel/osrelease").display()
            ))
        }
    };
    if release.is_empty() || release.contains('/') || release.contains(char::is_whitespace) {
        return Err(format!("'{release}' is not a kernel release"));
    }
    // SAFETY: geteuid() has no preconditions and cannot fail.
    let uid = args.uid.unwrap_or_else(|| unsafe { libc::geteuid() });
    let ctx = Ctx {
        root,
        system,
        release,
        running,
        as_root: uid == 0,
        uid,
    };
    Ok(report(&ctx))
}

fn report(ctx: &Ctx<'_>) -> Report {
    let mut checks = Vec::new();
    let config = kernel::checks(ctx, &mut checks);
    let facts = build::checks(ctx, &mut checks);
    let module = dkms::checks(ctx, &facts, &mut checks);
    signature::checks(ctx, module.as_ref(), &mut checks);
    loading::checks(ctx, &mut checks);
    let has_module = module.as_ref().is_some_and(|m| m.file.is_ok());
    let found = state::checks(ctx, has_module, &mut checks);
    let nodes = topology::read(ctx);
    log::checks(ctx, nodes.as_ref().ok().map(Vec::as_slice), &mut checks);
    let rule = topology::rule_in_force(ctx, found.parameters.as_deref());
    topology::checks(
        ctx,
        &nodes,
        found.loaded,
        config.as_ref(),
        &rule,
        &mut checks,
    );
    rocm::checks(ctx, &mut checks);
    let (summary, exit_code) = summarize(&checks);
    Report {
        schema: SCHEMA,
        kernel: ctx.release.clone(),
        running_kernel: ctx.is_running(),
        as_root: ctx.as_root,
        checks,
        summary,
        exit_code,
    }
}

/// Counts the checks by state; the exit code: 1 when one failed, else 0.
fn summarize(checks: &[Check]) -> (Summary, u8) {
    let mut summary = Summary::default();
    for c in checks {
        match c.state {
            State::Ok => summary.ok += 1,
            State::Warn => summary.warn += 1,
            State::Fail => summary.fail += 1,
            State::Skip => summary.skip += 1,
        }
    }
    let exit_code = if summary.fail > 0 { EXIT_FAILED } else { 0 };
    (summary, exit_code)
}

/// Titles of the groups, in order.
const GROUPS: [(&str, &str); 9] = [
    ("kernel", "Kernel"),
    ("build", "Build inputs"),
    ("dkms", "DKMS"),
    ("signature", "Signature and Secure Boot"),
    ("loading", "Loading"),
    ("state", "State"),
    ("log", "Kernel log"),
    ("topology", "Topology"),
    ("rocm", "ROCm (facts)"),
];

/// The report as text: a heading per group, a line per check, its details
/// and fix indented under it (a fix that is the previous check's in the
/// group is not repeated).
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rdna1-fg doctor: kernel {}{}{}",
        report.kernel,
        if report.running_kernel {
            " (running)"
        } else {
            " (not the running kernel)"
        },
        if report.as_root { "" } else { ", not root" }
    );
    for (group, title) in GROUPS {
        let checks: Vec<&Check> = report.checks.iter().filter(|c| c.group == group).collect();
        if checks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}");
        let mut previous: &[String] = &[];
        for c in checks {
            let _ = writeln!(out, "  {:<5} {}: {}", c.state.word(), c.id, c.message);
            for d in &c.details {
                out.push_str(&crate::explain::wrap(d, 100, "          "));
            }
            if !c.fix.is_empty() && c.fix == previous {
                let _ = writeln!(out, "        fix:  as above");
            } else {
                for (i, f) in c.fix.iter().enumerate() {
                    let lead = if i == 0 { "fix:" } else { "then:" };
                    let _ = writeln!(out, "        {lead:<5} {f}");
                }
            }
            previous = &c.fix;
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{} ok, {} warn, {} fail, {} skip",
        s.ok, s.warn, s.fail, s.skip
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks(states: &[State]) -> Vec<Check> {
        states
            .iter()
            .map(|&s| Check::new("kernel.x", s, "m"))
            .collect()
    }

    #[test]
    fn exit_code_is_one_only_when_a_check_failed() {
        let ok = [State::Ok, State::Warn, State::Skip];
        assert_eq!(summarize(&checks(&ok)).1, 0);
        assert_eq!(summarize(&checks(&[State::Ok, State::Fail])).1, EXIT_FAILED);
        assert_eq!(summarize(&checks(&[])).1, 0);
        let (s, _) = summarize(&checks(&[State::Fail, State::Fail, State::Skip]));
        assert_eq!((s.ok, s.warn, s.fail, s.skip), (0, 0, 2, 1));
    }

    #[test]
    fn text_does_not_repeat_a_fix() {
        let mut c = checks(&[State::Skip, State::Skip]);
        for check in &mut c {
            check.fix.push("sudo rdna1-fg doctor".into());
        }
        let (summary, exit_code) = summarize(&c);
        let report = Report {
            schema: SCHEMA,
            kernel: "1".into(),
            running_kernel: true,
            as_root: false,
            checks: c,
            summary,
            exit_code,
        };
        let t = text(&report);
        assert_eq!(t.matches("fix:  sudo rdna1-fg doctor").count(), 1, "{t}");
        assert_eq!(t.matches("fix:  as above").count(), 1, "{t}");
    }

    #[test]
    fn ids_give_their_group() {
        assert_eq!(Check::ok("dkms.vermagic", "x").group, "dkms");
    }
}
