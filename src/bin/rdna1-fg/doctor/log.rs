// SPDX-License-Identifier: GPL-2.0

//! Kernel-log checks: the module's `KFD.*RDNA1` lines since boot, read from
//! `/dev/kmsg` (`DIR/dev/kmsg` with `--root`), checked against sysfs now:
//! every bank a line says was patched must have the bit, unless a later
//! line restored it; every refusal and "not restored" warning is repeated
//! with what to do.

use super::kmsg::{self, Record};
use super::log_lines::{self, Line};
use super::{Check, Ctx, State};
use crate::topology::Node;
use rdna1_fg::logic::heap::HOT_PLUGGABLE;
use std::collections::BTreeMap;

/// The kernel log.
const KMSG: &str = "/dev/kmsg";

/// The prefix `pr_*!` gives the module's lines.
const PREFIX: &str = "rdna1_fg: ";

/// What the log says a bank should look like now.
#[derive(Clone, Debug)]
enum Expect {
    /// The module set the bit (patched, adopted, or left set at unload).
    Set(String),
    /// The module cleared its bit at unload.
    Cleared(String),
}

/// The log checks. `nodes`: the topology now, if there is one.
pub fn checks(ctx: &Ctx<'_>, nodes: Option<&[Node]>, out: &mut Vec<Check>) {
    let ids = ["log.read", "log.banks", "log.warnings"];
    if !ctx.is_running() {
        out.extend(ids.map(|id| ctx.not_running(id)));
        return;
    }
    let restricted = ctx
        .root
        .read("/proc/sys/kernel/dmesg_restrict")
        .is_ok_and(|s| s.trim() == "1");
    if !ctx.as_root && restricted {
        out.extend(ids.map(|id| ctx.needs_root(id, "kernel.dmesg_restrict = 1")));
        return;
    }
    let text = match kmsg::read(&ctx.root.path(KMSG)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            out.extend(ids.map(|id| ctx.needs_root(id, "the kernel log")));
            return;
        }
        Err(e) => {
            out.extend(ids.map(|id| Check::skip(id, format!("cannot read {KMSG}: {e}"))));
            return;
        }
    };
    let records = kmsg::records(&text);
    let ours: Vec<(Record<'_>, &str)> = records
        .iter()
        .filter_map(|r| r.text.strip_prefix(PREFIX).map(|t| (*r, t)))
        .filter(|(_, t)| t.contains("KFD") && t.contains("RDNA1"))
        .collect();
    out.push(read_check(&records, &ours));
    if ours.is_empty() {
        out.push(Check::skip("log.banks", "no line of rdna1_fg since boot"));
        out.push(Check::ok("log.warnings", "none since boot"));
        return;
    }
    out.push(banks(&ours, nodes));
    out.push(warnings(&ours));
}

fn read_check(records: &[Record<'_>], ours: &[(Record<'_>, &str)]) -> Check {
    let id = "log.read";
    let mut check = match (ours.first(), ours.last()) {
        (Some((first, _)), Some((last, _))) => Check::ok(
            id,
            format!(
                "{} line(s) of rdna1_fg since boot, {} to {}",
                ours.len(),
                first.stamp(),
                last.stamp()
            ),
        ),
        _ => Check::ok(id, "no line of rdna1_fg since boot"),
    };
    if let Some(first) = records.first().filter(|r| r.seq > 0) {
        check = check.detail(format!(
            "the log starts at record {}: older lines were overwritten",
            first.seq
        ));
    }
    check
}

fn flags_now(nodes: Option<&[Node]>, node: u32, bank: u32) -> Option<u32> {
    let n = nodes?.iter().find(|n| n.id == node)?;
    let b = n.banks.iter().find(|b| b.id == bank)?;
    b.props.as_ref().ok().map(|p| p.flags)
}

fn banks(ours: &[(Record<'_>, &str)], nodes: Option<&[Node]>) -> Check {
    let id = "log.banks";
    let mut expect: BTreeMap<(u32, u32), Expect> = BTreeMap::new();
    for (r, text) in ours {
        let line = format!("{} {}", r.stamp(), text);
        match log_lines::parse(text) {
            Line::Patched { at, .. } | Line::Adopted { at, .. } => {
                expect.insert((at.node, at.bank), Expect::Set(line));
            }
            Line::NotRestored {
                at, hint: Some(_), ..
            } => {
                expect.insert((at.node, at.bank), Expect::Set(line));
            }
            Line::Restored { at, .. } => {
                expect.insert((at.node, at.bank), Expect::Cleared(line));
            }
            Line::NotRestored { at, hint: None, .. } | Line::Forgotten { at, .. } => {
                expect.remove(&(at.node, at.bank));
            }
            _ => {}
        }
    }
    if expect.is_empty() {
        return Check::ok(id, "no line says a bank was patched or restored");
    }
    let mut wrong = Vec::new();
    let mut right = Vec::new();
    for ((node, bank), e) in &expect {
        let now = flags_now(nodes, *node, *bank);
        let set = now.map(|f| f & HOT_PLUGGABLE != 0);
        let flags = now.map_or("unreadable or gone".to_string(), |f| {
            format!("flags {f:#x}")
        });
        let what = format!("node {node} bank {bank}: {flags} now");
        match (e, set) {
            (Expect::Set(l), Some(true)) => right.push(format!("{what}, as set by: {l}")),
            (Expect::Cleared(l), Some(false)) => right.push(format!("{what}, as cleared by: {l}")),
            (Expect::Set(l), _) => {
                wrong.push(format!("{what}, but the log says the bit is set: {l}"))
            }
            (Expect::Cleared(l), _) => {
                wrong.push(format!("{what}, but the log says it was cleared: {l}"))
            }
        }
    }
    if wrong.is_empty() {
        let mut c = Check::ok(
            id,
            format!("{} bank(s): sysfs shows what the log says", right.len()),
        );
        c.details = right;
        c
    } else {
        let mut c = Check::fail(
            id,
            format!(
                "{} bank(s) differ from what the log says (someone else wrote, or KFD reset them)",
                wrong.len()
            ),
        );
        c.details = wrong;
        c.details.extend(right);
        c.fix("sudo modprobe -r rdna1_fg && sudo modprobe rdna1_fg")
            .fix("sudo rdna1-fg status")
    }
}

/// What to do about a refusal, by its reason.
fn refusal_fix(reason: &str) -> String {
    if reason.contains("mem_show did not run") || reason.contains("kprobes") {
        "echo 1 | sudo tee /sys/kernel/debug/kprobes/enabled".to_string()
    } else if reason.contains("layout check failed") {
        "none to run: this kernel's KFD struct differs from what rdna1_fg knows, so it writes nothing; report the line with your kernel release".to_string()
    } else {
        "sudo modprobe -r rdna1_fg && sudo modprobe rdna1_fg  (a new attempt)".to_string()
    }
}

fn warnings(ours: &[(Record<'_>, &str)]) -> Check {
    let id = "log.warnings";
    // (record index, line, fix); a later patch of the bank, or the probe
    // running again, settles an earlier warning.
    let mut open: Vec<(usize, String, Option<String>)> = Vec::new();
    let mut settled = Vec::new();
    for (i, (r, text)) in ours.iter().enumerate() {
        let line = format!("{} {}", r.stamp(), text);
        match log_lines::parse(text) {
            Line::Refused {
                reason, bank, node, ..
            } => {
                let later_patched = bank.is_some_and(|b| {
                    ours[i + 1..].iter().any(|(_, t)| {
                        matches!(log_lines::parse(t), Line::Patched { at, .. } if at.node == node && at.bank == b)
                    })
                });
                if later_patched {
                    settled.push(format!("{line} (patched later)"));
                } else {
                    open.push((i, line, Some(refusal_fix(reason))));
                }
            }
            Line::NotRestored {
                hint: Some(hint), ..
            } => {
                open.push((
                    i,
                    line,
                    Some(hint.trim_start_matches("to clear it, ").to_string()),
                ));
            }
            Line::WriteProbeBack => {
                open.retain(|(_, l, _)| !l.contains("did not run for the module's read"));
            }
            Line::Rule(_) | Line::Other(_) if r.level <= 4 => {
                let fix = if text.contains("did not run for the module's read") {
                    Some("echo 1 | sudo tee /sys/kernel/debug/kprobes/enabled".to_string())
                } else {
                    None
                };
                open.push((i, line, fix));
            }
            _ => {}
        }
    }
    let mut check = if open.is_empty() {
        Check::ok(id, "no refusal or warning left open since boot")
    } else {
        Check::warn(
            id,
            format!("{} refusal(s) or warning(s) since boot", open.len()),
        )
    };
    for (_, line, fix) in open {
        check = check.detail(line);
        if let Some(fix) = fix {
            if !check.fix.contains(&fix) {
                check = check.fix(fix);
            }
        }
    }
    for s in settled {
        check = check.detail(s);
    }
    if check.state == State::Warn && check.fix.is_empty() {
        check = check.fix("read the lines above; sudo rdna1-fg status shows the module's state");
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{Bank, NodeInfo};
    use rdna1_fg::logic::messages::{BankRef, NotRestored, Patched, Refused, Restored};
    use rdna1_fg::logic::props::{MemBankProps, NodeProps};
    use rdna1_fg::logic::rules::{Config, RawParams};

    const AT: BankRef = BankRef {
        node: 1,
        bank: 0,
        heap_type: 1,
    };

    fn nodes(flags: u32) -> Vec<Node> {
        let bank = MemBankProps {
            heap_type: 1,
            size_in_bytes: 8 << 30,
            flags,
            width: 256,
            mem_clk_max: 875,
        };
        let info = NodeInfo {
            ids: NodeProps {
                vendor_id: 0x1002,
                device_id: 0x731f,
                mem_banks_count: Some(1),
            },
            gfx_target_version: None,
            domain: None,
            location_id: None,
        };
        vec![Node {
            id: 1,
            info: Ok(info),
            banks: vec![Bank {
                id: 0,
                props: Ok(bank),
            }],
        }]
    }

    /// Log records from lines of the module, a second apart, warnings at level 4.
    fn log(lines: &[(u8, String)]) -> String {
        lines
            .iter()
            .enumerate()
            .map(|(i, (level, l))| format!("{level},{i},{},-;{PREFIX}{l}\n", (i + 1) * 1_000_000))
            .collect()
    }

    fn ours(text: &str) -> Vec<(Record<'_>, &str)> {
        kmsg::records(text)
            .into_iter()
            .filter_map(|r| r.text.strip_prefix(PREFIX).map(|t| (r, t)))
            .collect()
    }

    fn patched() -> String {
        Patched {
            device_id: 0x731f,
            at: AT,
            before: 0,
            after: 1,
        }
        .to_string()
    }

    #[test]
    fn a_patched_bank_must_have_the_bit() {
        let text = log(&[(6, patched())]);
        assert_eq!(banks(&ours(&text), Some(&nodes(1))).state, State::Ok);
        let wrong = banks(&ours(&text), Some(&nodes(0)));
        assert_eq!(wrong.state, State::Fail);
        assert!(
            wrong.details[0].contains("flags 0x0 now"),
            "{:?}",
            wrong.details
        );
        // Without a topology the bank cannot be found: also a difference.
        assert_eq!(banks(&ours(&text), None).state, State::Fail);
    }

    #[test]
    fn a_restored_bank_must_not() {
        let restored = Restored {
            device_id: 0x731f,
            at: AT,
            before: 1,
            after: 0,
        }
        .to_string();
        let text = log(&[(6, patched()), (6, restored)]);
        assert_eq!(banks(&ours(&text), Some(&nodes(0))).state, State::Ok);
        assert_eq!(banks(&ours(&text), Some(&nodes(1))).state, State::Fail);
    }

    #[test]
    fn warnings_are_repeated_with_what_to_do() {
        let reason =
            "the probe on KFD's mem_show did not run (kprobes disarmed or the probe missed)";
        let refused = Refused {
            device_id: 0x731f,
            node: 1,
            bank: Some(0),
            reason: &reason,
        }
        .to_string();
        let text = log(&[(4, refused.clone())]);
        let w = warnings(&ours(&text));
        assert_eq!(w.state, State::Warn);
        assert_eq!(
            w.fix,
            ["echo 1 | sudo tee /sys/kernel/debug/kprobes/enabled"]
        );
        // Patched later: settled.
        let text = log(&[(4, refused), (6, patched())]);
        let w = warnings(&ours(&text));
        assert_eq!(w.state, State::Ok);
        assert!(w.details[0].ends_with("(patched later)"), "{:?}", w.details);
        // Not restored, bit left set: the message's own way to clear it.
        let config = Config::from_params(RawParams::default()).unwrap();
        let kept = NotRestored {
            device_id: 0x731f,
            at: AT,
            reason: &reason,
            hint: Some(&config),
        }
        .to_string();
        let text = log(&[(4, kept)]);
        let w = warnings(&ours(&text));
        assert_eq!(w.state, State::Warn);
        assert!(
            w.fix[0].contains("modprobe rdna1_fg adopt=1"),
            "{:?}",
            w.fix
        );
        assert_eq!(banks(&ours(&text), Some(&nodes(1))).state, State::Ok);
    }
}
