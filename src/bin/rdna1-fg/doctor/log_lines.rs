// SPDX-License-Identifier: GPL-2.0

//! The module's log lines read back: the inverse of the `Display` impls in
//! `rdna1_fg::logic::messages`, the very texts the kernel module prints.
//!
//! The tests below format every kind of line with those types and parse it
//! here, so a change to a message breaks a test instead of silently making
//! `doctor` blind to it. A line of the module that no pattern here matches
//! is still shown (as [`Line::Other`]).

/// A bank as the lines name it: `node 1 bank 0 FB_PUBLIC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bank<'a> {
    /// Node index.
    pub node: u32,
    /// Bank index.
    pub bank: u32,
    /// Heap type name.
    pub heap: &'a str,
}

/// One line of the module, after its `rdna1_fg: ` prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// `messages::Patched`.
    Patched {
        /// Node's device id.
        device_id: u16,
        /// The bank.
        at: Bank<'a>,
        /// Flags before.
        before: u32,
        /// Flags after.
        after: u32,
    },
    /// `messages::WouldPatch` (dry run).
    WouldPatch {
        /// Node's device id.
        device_id: u16,
        /// The bank.
        at: Bank<'a>,
    },
    /// `messages::AlreadySet`.
    AlreadySet {
        /// Node's device id.
        device_id: u16,
        /// The bank.
        at: Bank<'a>,
    },
    /// `messages::Adopted`.
    Adopted {
        /// Node's device id.
        device_id: u16,
        /// The bank.
        at: Bank<'a>,
    },
    /// `messages::Refused`.
    Refused {
        /// Node's device id.
        device_id: u16,
        /// Node index.
        node: u32,
        /// Bank index; `None`: the whole node.
        bank: Option<u32>,
        /// Why.
        reason: &'a str,
    },
    /// `messages::Restored`.
    Restored {
        /// Node's device id.
        device_id: u16,
        /// The bank.
        at: Bank<'a>,
        /// Flags before.
        before: u32,
        /// Flags after.
        after: u32,
    },
    /// `messages::NotRestored`.
    NotRestored {
        /// Node's device id.
        device_id: u16,
        /// The bank.
        at: Bank<'a>,
        /// Why.
        reason: &'a str,
        /// With the bit left set on a live bank: how to clear it.
        hint: Option<&'a str>,
    },
    /// `messages::Forgotten`.
    Forgotten {
        /// Node's device id.
        device_id: u16,
        /// The bank.
        at: Bank<'a>,
    },
    /// `messages::WriteProbeBack`.
    WriteProbeBack,
    /// Any other `KFD: RDNA1 rule: ...` line (its text after that prefix).
    Rule(&'a str),
    /// A line of the module that matches none of the above.
    Other(&'a str),
}

const PATCHED: &str = "KFD: Enabling fine-grained for RDNA1 0x";
const WOULD_PATCH: &str = "KFD: dry run: would enable fine-grained for RDNA1 0x";
const DEVICE: &str = "KFD: RDNA1 0x";
const RULE: &str = "KFD: RDNA1 rule: ";
const PROBE_BACK: &str = "the probe on KFD's mem_show runs again: writes resume";
const STAYS_SET: &str = "; HOT_PLUGGABLE stays set: ";

/// Parses one line of the module (without the `rdna1_fg: ` prefix).
pub fn parse(line: &str) -> Line<'_> {
    parse_known(line).unwrap_or(Line::Other(line))
}

fn parse_known(line: &str) -> Option<Line<'_>> {
    if let Some(rest) = line.strip_prefix(PATCHED) {
        let (device_id, rest) = device(rest)?;
        let (at, rest) = bank(rest)?;
        let (before, after) = flags_change(rest.strip_prefix("flags ")?)?;
        return Some(Line::Patched {
            device_id,
            at,
            before,
            after,
        });
    }
    if let Some(rest) = line.strip_prefix(WOULD_PATCH) {
        let (device_id, rest) = device(rest)?;
        let (at, rest) = bank(rest)?;
        rest.ends_with(" (nothing written)").then_some(())?;
        return Some(Line::WouldPatch { device_id, at });
    }
    if let Some(rest) = line.strip_prefix(RULE) {
        return Some(if rest == PROBE_BACK {
            Line::WriteProbeBack
        } else {
            Line::Rule(rest)
        });
    }
    let (device_id, rest) = device(line.strip_prefix(DEVICE)?)?;
    if let Some((who, reason)) = rest.split_once(" refused, nothing written: ") {
        let mut words = who.split_whitespace();
        (words.next()? == "node").then_some(())?;
        let node = words.next()?.parse().ok()?;
        let bank = match (words.next(), words.next()) {
            (Some("bank"), Some(b)) => Some(b.parse().ok()?),
            (None, _) => None,
            _ => return None,
        };
        return Some(Line::Refused {
            device_id,
            node,
            bank,
            reason,
        });
    }
    let (at, rest) = bank(rest)?;
    if let Some(change) = rest.strip_prefix("flags restored ") {
        let (before, after) = flags_change(change)?;
        return Some(Line::Restored {
            device_id,
            at,
            before,
            after,
        });
    }
    if let Some(why) = rest.strip_prefix("not restored, nothing written: ") {
        let (reason, hint) = match why.split_once(STAYS_SET) {
            Some((reason, hint)) => (reason, Some(hint)),
            None => (why, None),
        };
        return Some(Line::NotRestored {
            device_id,
            at,
            reason,
            hint,
        });
    }
    if let Some(tail) = rest.strip_prefix("already has HOT_PLUGGABLE (flags ") {
        let (_, what) = tail.split_once("): ")?;
        return match what {
            "left as is" => Some(Line::AlreadySet { device_id, at }),
            w if w.starts_with("adopted") => Some(Line::Adopted { device_id, at }),
            _ => None,
        };
    }
    if rest.starts_with("forgotten (") && rest.ends_with("): nothing to restore") {
        return Some(Line::Forgotten { device_id, at });
    }
    None
}

/// `731f: rest` → (0x731f, rest).
fn device(text: &str) -> Option<(u16, &str)> {
    let (hex, rest) = text.split_once(": ")?;
    Some((u16::from_str_radix(hex, 16).ok()?, rest))
}

/// `node 1 bank 0 FB_PUBLIC rest` → the bank, `rest`.
fn bank(text: &str) -> Option<(Bank<'_>, &str)> {
    let mut parts = text.splitn(6, ' ');
    (parts.next()? == "node").then_some(())?;
    let node = parts.next()?.parse().ok()?;
    (parts.next()? == "bank").then_some(())?;
    let bank = parts.next()?.parse().ok()?;
    let heap = parts.next()?;
    Some((Bank { node, bank, heap }, parts.next().unwrap_or("")))
}

/// `0x0 -> 0x1` → (0, 1).
fn flags_change(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.split_once(" -> ")?;
    Some((hex(a)?, hex(b.split_whitespace().next()?)?))
}

fn hex(text: &str) -> Option<u32> {
    u32::from_str_radix(text.strip_prefix("0x")?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdna1_fg::logic::messages::{
        Adopted, AlreadySet, BankRef, Forgotten, HooksFailed, NotRestored, Patched, Refused,
        Restored, Summary, Tally, Unloaded, WouldPatch, WriteProbeBack, WriteProbeSilent,
    };
    use rdna1_fg::logic::rules::{Config, RawParams};

    const AT: BankRef = BankRef {
        node: 1,
        bank: 2,
        heap_type: 1,
    };
    const BANK: Bank<'static> = Bank {
        node: 1,
        bank: 2,
        heap: "FB_PUBLIC",
    };

    fn config() -> Config {
        Config::from_params(RawParams::default()).unwrap()
    }

    #[test]
    fn patched_and_would_patch() {
        let line = Patched {
            device_id: 0x731f,
            at: AT,
            before: 0x2,
            after: 0x3,
        }
        .to_string();
        assert_eq!(
            parse(&line),
            Line::Patched {
                device_id: 0x731f,
                at: BANK,
                before: 2,
                after: 3
            }
        );
        let dry = WouldPatch(Patched {
            device_id: 0x731f,
            at: AT,
            before: 0,
            after: 1,
        })
        .to_string();
        assert_eq!(
            parse(&dry),
            Line::WouldPatch {
                device_id: 0x731f,
                at: BANK
            }
        );
    }

    #[test]
    fn refused_bank_and_node() {
        let reason = "layout check failed: flags 0x7 in the struct, 0x0 in the text";
        let line = Refused {
            device_id: 0x731f,
            node: 1,
            bank: Some(2),
            reason: &reason,
        }
        .to_string();
        assert_eq!(
            parse(&line),
            Line::Refused {
                device_id: 0x731f,
                node: 1,
                bank: Some(2),
                reason
            }
        );
        let node = Refused {
            device_id: 0x731f,
            node: 3,
            bank: None,
            reason: &"sysfs: x",
        }
        .to_string();
        assert_eq!(
            parse(&node),
            Line::Refused {
                device_id: 0x731f,
                node: 3,
                bank: None,
                reason: "sysfs: x"
            }
        );
    }

    #[test]
    fn restored_and_not_restored() {
        let line = Restored {
            device_id: 0x731f,
            at: AT,
            before: 1,
            after: 0,
        }
        .to_string();
        assert_eq!(
            parse(&line),
            Line::Restored {
                device_id: 0x731f,
                at: BANK,
                before: 1,
                after: 0
            }
        );
        let c = config();
        let reason =
            "the probe on KFD's mem_show did not run (kprobes disarmed or the probe missed)";
        let with_hint = NotRestored {
            device_id: 0x731f,
            at: AT,
            reason: &reason,
            hint: Some(&c),
        }
        .to_string();
        let Line::NotRestored {
            reason: r,
            hint: Some(hint),
            at,
            ..
        } = parse(&with_hint)
        else {
            panic!("not parsed: {with_hint}");
        };
        assert_eq!((r, at), (reason, BANK));
        assert!(
            hint.contains("modprobe rdna1_fg adopt=1 device_id=0x731f heap_mask=0x3e"),
            "{hint}"
        );
        let gone = NotRestored {
            device_id: 0x731f,
            at: AT,
            reason: &"KFD is not loaded",
            hint: None,
        }
        .to_string();
        assert_eq!(
            parse(&gone),
            Line::NotRestored {
                device_id: 0x731f,
                at: BANK,
                reason: "KFD is not loaded",
                hint: None
            }
        );
    }

    #[test]
    fn already_set_adopted_forgotten() {
        let a = AlreadySet {
            device_id: 0x731f,
            at: AT,
            flags: 1,
        }
        .to_string();
        assert_eq!(
            parse(&a),
            Line::AlreadySet {
                device_id: 0x731f,
                at: BANK
            }
        );
        let b = Adopted {
            device_id: 0x731f,
            at: AT,
            flags: 1,
        }
        .to_string();
        assert_eq!(
            parse(&b),
            Line::Adopted {
                device_id: 0x731f,
                at: BANK
            }
        );
        let f = Forgotten {
            device_id: 0x731f,
            at: AT,
            reason: &rdna1_fg::logic::restore::GoneBecause::NotInTopology,
        }
        .to_string();
        assert_eq!(
            parse(&f),
            Line::Forgotten {
                device_id: 0x731f,
                at: BANK
            }
        );
    }

    #[test]
    fn rule_lines() {
        assert_eq!(parse(&WriteProbeBack.to_string()), Line::WriteProbeBack);
        let silent = WriteProbeSilent { registered: true }.to_string();
        assert!(matches!(parse(&silent), Line::Rule(t) if t.contains("did not run")));
        let hooks = HooksFailed {
            function: "mem_show",
            errno: -2,
            at_load: true,
        }
        .to_string();
        assert!(matches!(parse(&hooks), Line::Rule(t) if t.starts_with("cannot hook")));
        let sum = Summary {
            tally: Tally::default(),
            dry_run: false,
        }
        .to_string();
        assert!(matches!(parse(&sum), Line::Rule(_)));
        let unl = Unloaded {
            restored: 1,
            not_restored: 0,
        }
        .to_string();
        assert!(matches!(parse(&unl), Line::Rule(_)));
    }

    #[test]
    fn other_text_is_kept() {
        assert_eq!(
            parse("KFD: RDNA1 0x731f: node x"),
            Line::Other("KFD: RDNA1 0x731f: node x")
        );
        assert_eq!(parse(""), Line::Other(""));
    }
}

#[cfg(test)]
mod fixtures {
    use super::*;
    use rdna1_fg::logic::messages::{
        ParamsLine, Rescan, Summary, Tally, Trigger, Unloaded, Waiting,
    };
    use rdna1_fg::logic::rules::{Config, RawParams};

    /// Every digit run made `0`: a line's shape.
    fn shape(line: &str) -> String {
        let mut out = String::new();
        for c in line.chars() {
            if !c.is_ascii_digit() {
                out.push(c);
            } else if !out.ends_with('#') {
                out.push('#');
            }
        }
        out
    }

    /// Every line of the module in the doctor fixtures' kernel logs is one
    /// this parser knows, and every rule line has the shape of one the
    /// module's own types print: the fixtures are written in the real
    /// formats.
    #[test]
    fn fixture_logs_use_the_real_formats() {
        let config = Config::from_params(RawParams::default()).unwrap();
        let rules: Vec<String> = [
            ParamsLine(&config).to_string(),
            Rescan(Trigger::Load).to_string(),
            Waiting.to_string(),
            Summary {
                tally: Tally::default(),
                dry_run: false,
            }
            .to_string(),
            Unloaded {
                restored: 0,
                not_restored: 0,
            }
            .to_string(),
        ]
        .iter()
        .map(|l| shape(l))
        .collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/doctor");
        let mut seen = 0;
        for case in std::fs::read_dir(&dir).unwrap() {
            let Ok(text) = std::fs::read_to_string(case.unwrap().path().join("dev/kmsg")) else {
                continue;
            };
            for line in text.lines() {
                let Some((_, msg)) = line.split_once(";rdna1_fg: ") else {
                    continue;
                };
                if !(msg.contains("KFD") && msg.contains("RDNA1")) {
                    continue;
                }
                seen += 1;
                match parse(msg) {
                    Line::Other(_) => panic!("unknown format: {msg}"),
                    Line::Rule(_) => {
                        assert!(rules.contains(&shape(msg)), "not a known rule line: {msg}")
                    }
                    _ => {}
                }
            }
        }
        assert!(seen >= 10, "{seen} lines");
    }
}
