//! Unit tests of the shared logic: parsing, parameters, decisions, layout
//! check, restore planning and message text.

use rdna1_fg::logic::heap::{heap_name, HeapMask, DEFAULT_HEAP_MASK, HOT_PLUGGABLE};
use rdna1_fg::logic::layout::{read_le, Mismatch, KFD_MEM_PROPERTIES, MAX_SPAN};
use rdna1_fg::logic::messages::{
    AlreadySet, AmdgpuBuiltIn, BadParam, BankRef, Forgotten, HooksFailed, NoMatch, ParamsLine,
    Patched, Refused, Rescan, Restored, Summary, Tally, Trigger, Waiting, WouldPatch,
};
use rdna1_fg::logic::props::{find_u64, MemBankProps, NodeProps, PropsError};
use rdna1_fg::logic::restore::{self, Restore};
use rdna1_fg::logic::rules::{decide, BankAction, Config, ParamError, RawParams};
use rdna1_fg::logic::status::{
    BankStatus, Counters, HookHits, Latency, ModuleState, StatusHeader, WriteProbe,
};
use rdna1_fg::logic::textbuf::TextBuf;
use std::fmt::Write;

const BANK: &str = "heap_type 1\nsize_in_bytes 8573157376\nflags 0\nwidth 256\nmem_clk_max 875\n";

fn raw(device_id: u32, heap_mask: u32, dry_run: u32) -> RawParams {
    RawParams {
        device_id,
        heap_mask,
        dry_run,
        ..RawParams::default()
    }
}

#[test]
fn bank_properties_parse() {
    let p = MemBankProps::parse(BANK).unwrap();
    assert_eq!(
        p,
        MemBankProps {
            heap_type: 1,
            size_in_bytes: 8_573_157_376,
            flags: 0,
            width: 256,
            mem_clk_max: 875
        }
    );
}

#[test]
fn bank_properties_reject_damaged_text() {
    let missing = BANK.replace("flags 0\n", "");
    assert_eq!(
        MemBankProps::parse(&missing),
        Err(PropsError::Missing("flags"))
    );
    let twice = format!("{BANK}flags 1\n");
    assert_eq!(
        MemBankProps::parse(&twice),
        Err(PropsError::Duplicate("flags"))
    );
    let bad = BANK.replace("flags 0", "flags x");
    assert_eq!(
        MemBankProps::parse(&bad),
        Err(PropsError::BadValue("flags"))
    );
    let too_big = BANK.replace("flags 0", "flags 4294967296");
    assert_eq!(
        MemBankProps::parse(&too_big),
        Err(PropsError::BadValue("flags"))
    );
    let bad_line = BANK.replace("width 256", "width 256 bits");
    assert_eq!(MemBankProps::parse(&bad_line), Err(PropsError::BadLine));
}

#[test]
fn bank_properties_accept_an_extra_key() {
    let text = format!("{BANK}numa_node 0\n");
    assert_eq!(MemBankProps::parse(&text).unwrap().width, 256);
}

#[test]
fn node_properties_parse_ids() {
    let text =
        "cpu_cores_count 0\nsimd_count 80\nvendor_id 4098\ndevice_id 29471\nlocation_id 768\n";
    assert_eq!(
        NodeProps::parse(text).unwrap(),
        NodeProps {
            vendor_id: 0x1002,
            device_id: 0x731F,
            mem_banks_count: None,
        }
    );
    assert_eq!(find_u64(text, "location_id"), Ok(768));
    assert_eq!(
        NodeProps::parse("vendor_id 0\n"),
        Err(PropsError::Missing("device_id"))
    );
}

#[test]
fn default_parameters_select_navi10_gpu_heaps() {
    let c = Config::from_params(raw(0x731F, DEFAULT_HEAP_MASK, 0)).unwrap();
    assert_eq!(c.device_id, 0x731F);
    assert!(!c.dry_run);
    assert!(c.node_matches(29471));
    assert!(!c.node_matches(0x7340));
    assert!(!c.node_matches(0));
    assert_eq!(
        c.heaps.to_string(),
        "FB_PUBLIC|FB_PRIVATE|GPU_GDS|GPU_LDS|GPU_SCRATCH"
    );
    assert!(!c.heaps.contains(0));
}

#[test]
fn device_id_zero_selects_cpu_nodes() {
    let c = Config::from_params(raw(0, 0x1, 0)).unwrap();
    assert!(c.node_matches(0));
    assert!(!c.node_matches(0x731F));
    assert_eq!(c.heaps.to_string(), "SYSTEM");
}

#[test]
fn invalid_parameters_are_refused_with_a_reason() {
    let cases = [
        (
            raw(0x10000, 0x3e, 0),
            ParamError::DeviceIdTooLarge(0x10000),
            "invalid device_id=0x10000: a PCI device id fits in 16 bits (0x0..0xffff)",
        ),
        (
            raw(0x731F, 0, 0),
            ParamError::HeapMaskEmpty,
            "invalid heap_mask=0x0: enable at least one heap type (bit N = heap type N, N < 6)",
        ),
        (
            raw(0x731F, 0x40, 0),
            ParamError::HeapMaskUnknownBits(0x40),
            "invalid heap_mask=0x40: bits 0x40 name no heap type (known: 0x3f = SYSTEM|FB_PUBLIC|FB_PRIVATE|GPU_GDS|GPU_LDS|GPU_SCRATCH)",
        ),
        (
            raw(0x731F, 0x3e, 2),
            ParamError::DryRunNotBool(2),
            "invalid dry_run=2: use 0 or 1",
        ),
    ];
    for (params, error, text) in cases {
        assert_eq!(Config::from_params(params), Err(error));
        assert_eq!(error.to_string(), text);
        assert_eq!(
            BadParam(&error).to_string(),
            format!("KFD: RDNA1 rule: {text}; module not loaded, nothing changed")
        );
    }
    // The largest valid values pass.
    assert!(Config::from_params(raw(0xFFFF, 0x3f, 1)).is_ok());
}

#[test]
fn test_settings_are_bounded_and_shown_in_the_parameters_line() {
    let with = |fail_probe, delay_ms| RawParams {
        test_fail_probe: fail_probe,
        test_delay_ms: delay_ms,
        ..raw(0, 1, 0)
    };
    let c = Config::from_params(with(4, 10_000)).unwrap();
    assert_eq!((c.fail_probe, c.delay_ms), (4, 10_000));
    assert_eq!(
        ParamsLine(&c).to_string(),
        "KFD: RDNA1 rule: device_id=0x0 heap_mask=0x1 (SYSTEM) dry_run=0 \
         test_fail_probe=4 (test setting) test_delay_ms=10000 (test setting)"
    );
    let plain = Config::from_params(with(0, 0)).unwrap();
    assert_eq!(
        ParamsLine(&plain).to_string(),
        "KFD: RDNA1 rule: device_id=0x0 heap_mask=0x1 (SYSTEM) dry_run=0"
    );
    let err = Config::from_params(with(5, 0)).unwrap_err();
    assert_eq!(err, ParamError::FailProbeOutOfRange(5));
    assert_eq!(
        err.to_string(),
        "invalid test_fail_probe=5: use 0 (none) or a probe 1..4"
    );
    let err = Config::from_params(with(0, 30_001)).unwrap_err();
    assert_eq!(err, ParamError::DelayTooLong(30_001));
    assert_eq!(
        err.to_string(),
        "invalid test_delay_ms=30001: at most 30000"
    );
    let unload = RawParams {
        test_write_delay_ms: 30_000,
        test_going_delay_ms: 20_000,
        test_fail_restore_read: 1,
        ..raw(0, 1, 0)
    };
    let c = Config::from_params(unload).unwrap();
    assert_eq!(
        (c.write_delay_ms, c.going_delay_ms, c.fail_restore_reads),
        (30_000, 20_000, true)
    );
    assert_eq!(
        ParamsLine(&c).to_string(),
        "KFD: RDNA1 rule: device_id=0x0 heap_mask=0x1 (SYSTEM) dry_run=0 \
         test_write_delay_ms=30000 (test setting) test_going_delay_ms=20000 (test setting) \
         test_fail_restore_read=1 (test setting)"
    );
    for (bad, message) in [
        (
            RawParams {
                test_going_delay_ms: 30_001,
                ..raw(0, 1, 0)
            },
            "invalid test_going_delay_ms=30001: at most 30000",
        ),
        (
            RawParams {
                test_write_delay_ms: 30_001,
                ..raw(0, 1, 0)
            },
            "invalid test_write_delay_ms=30001: at most 30000",
        ),
        (
            RawParams {
                test_fail_restore_read: 2,
                ..raw(0, 1, 0)
            },
            "invalid test_fail_restore_read=2: use 0 or 1",
        ),
    ] {
        assert_eq!(Config::from_params(bad).unwrap_err().to_string(), message);
    }
}

#[test]
fn decide_patches_only_enabled_heaps_without_the_bit() {
    let c = Config::from_params(raw(0x731F, DEFAULT_HEAP_MASK, 0)).unwrap();
    assert_eq!(decide(&c, 0, 0), BankAction::Skip);
    assert_eq!(
        decide(&c, 1, 0),
        BankAction::Patch {
            before: 0,
            after: 1
        }
    );
    assert_eq!(
        decide(&c, 2, 0x2),
        BankAction::Patch {
            before: 0x2,
            after: 0x3
        }
    );
    assert_eq!(decide(&c, 1, HOT_PLUGGABLE), BankAction::AlreadySet);
    assert_eq!(decide(&c, 1, 0x3), BankAction::AlreadySet);
    assert_eq!(decide(&c, 6, 0), BankAction::Skip);
    assert_eq!(decide(&c, 99, 0), BankAction::Skip);
}

#[test]
fn restore_clears_only_the_bits_the_module_set() {
    // NON_VOLATILE (0x2) was set before load: patching sets only 0x1.
    let bits = restore::bits_set(0x2, 0x3);
    assert_eq!(bits, HOT_PLUGGABLE);
    assert_eq!(
        restore::plan(0x3, bits),
        Restore::Clear {
            before: 0x3,
            after: 0x2
        }
    );
    // Bits set by someone else while loaded stay set.
    assert_eq!(
        restore::plan(0x1 | 0x8000_0000, bits),
        Restore::Clear {
            before: 0x8000_0001,
            after: 0x8000_0000
        }
    );
    // Someone else already cleared our bit: nothing to write.
    assert_eq!(restore::plan(0x2, bits), Restore::AlreadyClear);
}

#[test]
fn a_bank_already_set_before_load_is_never_patched_nor_cleared() {
    let c = Config::from_params(raw(0x731F, DEFAULT_HEAP_MASK, 0)).unwrap();
    // Already set: no patch, so no record, so unload has no bits to clear.
    assert_eq!(decide(&c, 1, 0x1), BankAction::AlreadySet);
    let line = AlreadySet {
        device_id: 0x731F,
        at: BankRef {
            node: 1,
            bank: 0,
            heap_type: 1,
        },
        flags: 0x1,
    };
    assert_eq!(
        line.to_string(),
        "KFD: RDNA1 0x731f: node 1 bank 0 FB_PUBLIC already has HOT_PLUGGABLE (flags 0x1): left as is"
    );
    // Even a record with no bits would write nothing.
    assert_eq!(restore::plan(0x1, 0), Restore::AlreadyClear);
}

/// The first bytes of a 7.2 `struct kfd_mem_properties` holding `p`.
fn struct_bytes(p: &MemBankProps) -> [u8; MAX_SPAN] {
    let mut raw = [0xAAu8; MAX_SPAN];
    raw[16..20].copy_from_slice(&p.heap_type.to_le_bytes());
    raw[20..24].copy_from_slice(&[0; 4]);
    raw[24..32].copy_from_slice(&p.size_in_bytes.to_le_bytes());
    raw[32..36].copy_from_slice(&p.flags.to_le_bytes());
    raw[36..40].copy_from_slice(&p.width.to_le_bytes());
    raw[40..44].copy_from_slice(&p.mem_clk_max.to_le_bytes());
    raw
}

#[test]
fn layout_check_accepts_the_matching_struct() {
    let p = MemBankProps::parse(BANK).unwrap();
    let raw = struct_bytes(&p);
    assert_eq!(KFD_MEM_PROPERTIES.span(), 44);
    assert_eq!(KFD_MEM_PROPERTIES.verify(&raw[..44], &p), Ok(()));
}

#[test]
fn layout_check_refuses_any_differing_field() {
    let p = MemBankProps::parse(BANK).unwrap();
    let fields = [
        ("heap_type", 16usize),
        ("size_in_bytes", 24),
        ("flags", 32),
        ("width", 36),
        ("mem_clk_max", 40),
    ];
    for (field, offset) in fields {
        let mut raw = struct_bytes(&p);
        raw[offset] ^= 0x4;
        let err = KFD_MEM_PROPERTIES.verify(&raw, &p).unwrap_err();
        assert_eq!((err.field, err.offset), (field, offset));
        assert_eq!(
            err.expected,
            read_le(&struct_bytes(&p), offset, if offset == 24 { 8 } else { 4 }).unwrap()
        );
    }
}

#[test]
fn layout_check_refuses_short_reads_and_shifted_layouts() {
    let p = MemBankProps::parse(BANK).unwrap();
    let raw = struct_bytes(&p);
    let err = KFD_MEM_PROPERTIES.verify(&raw[..40], &p).unwrap_err();
    assert_eq!(err.found, None);
    assert_eq!(
        err.to_string(),
        "mem_clk_max at offset 40 lies outside the bytes read"
    );

    let shifted = KFD_MEM_PROPERTIES.shifted(8).unwrap();
    assert_eq!(shifted.flags, 40);
    assert_eq!(shifted.attr, 64);
    let err = shifted.verify(&raw, &p).unwrap_err();
    assert_eq!(
        err,
        Mismatch {
            field: "heap_type",
            offset: 24,
            found: Some(u64::from(8_573_157_376u64 as u32)),
            expected: 1
        }
    );
    assert!(err
        .to_string()
        .starts_with("heap_type at offset 24 reads 0x"));
    assert!(KFD_MEM_PROPERTIES.shifted(-17).is_none());
    assert!(KFD_MEM_PROPERTIES.shifted(32).is_none());
    assert_eq!(KFD_MEM_PROPERTIES.shifted(0), Some(KFD_MEM_PROPERTIES));
}

fn grep_kfd_rdna1(line: &str) -> bool {
    // What `dmesg | grep -i "KFD.*RDNA1"` matches.
    let lower = line.to_lowercase();
    lower
        .find("kfd")
        .is_some_and(|at| lower[at..].contains("rdna1"))
}

#[test]
fn every_line_matches_the_users_grep() {
    let at = BankRef {
        node: 1,
        bank: 0,
        heap_type: 1,
    };
    let patched = Patched {
        device_id: 0x731F,
        at,
        before: 0,
        after: 1,
    };
    assert_eq!(
        patched.to_string(),
        "KFD: Enabling fine-grained for RDNA1 0x731f: node 1 bank 0 FB_PUBLIC flags 0x0 -> 0x1"
    );
    let would = WouldPatch(Patched { ..patched });
    assert_eq!(
        would.to_string(),
        "KFD: dry run: would enable fine-grained for RDNA1 0x731f: node 1 bank 0 FB_PUBLIC flags 0x0 -> 0x1 (nothing written)"
    );
    let restored = Restored {
        device_id: 0x731F,
        at,
        before: 1,
        after: 0,
    };
    assert_eq!(
        restored.to_string(),
        "KFD: RDNA1 0x731f: node 1 bank 0 FB_PUBLIC flags restored 0x1 -> 0x0"
    );
    let refused = Refused {
        device_id: 0x731F,
        node: 1,
        bank: Some(0),
        reason: &"layout check failed",
    };
    assert_eq!(
        refused.to_string(),
        "KFD: RDNA1 0x731f: node 1 bank 0 refused, nothing written: layout check failed"
    );
    let no_match = NoMatch {
        device_id: 0x731F,
        nodes: 1,
    };
    let summary = Summary {
        tally: Tally {
            nodes: 2,
            matched_nodes: 1,
            patched: 1,
            kept: 0,
            already_set: 0,
            refused: 0,
            short_nodes: 0,
        },
        dry_run: false,
    };
    assert_eq!(
        summary.to_string(),
        "KFD: RDNA1 rule: 1 bank(s) patched, 0 kept, 0 already set, 0 refused, on 1 matching of 2 node(s)"
    );
    for line in [
        patched.to_string(),
        would.to_string(),
        restored.to_string(),
        refused.to_string(),
        no_match.to_string(),
        summary.to_string(),
    ] {
        assert!(grep_kfd_rdna1(&line), "{line}");
    }
}

#[test]
fn heap_names_and_masks() {
    assert_eq!(heap_name(1), "FB_PUBLIC");
    assert_eq!(heap_name(7), "UNKNOWN");
    assert_eq!(HeapMask(0).to_string(), "none");
    assert_eq!(HeapMask(0x5).to_string(), "SYSTEM|FB_PRIVATE");
    assert!(!HeapMask(u32::MAX).contains(40));
}

#[test]
fn textbuf_keeps_a_terminator_and_refuses_overflow() {
    let mut b = TextBuf::<8>::new();
    write!(b, "abc{}", 12).unwrap();
    assert_eq!(b.as_str(), "abc12");
    assert_eq!(b.as_bytes_with_nul(), b"abc12\0");
    assert!(write!(b, "xyz").is_err());
    assert!(b.write_str("a\0").is_err());
    assert_eq!(b.as_bytes_with_nul().last(), Some(&0));
}

#[test]
fn layout_shift_parameter_moves_the_fields_or_is_refused() {
    let mut params = raw(0, 1, 0);
    params.layout_shift = 8;
    let c = Config::from_params(params).unwrap();
    assert_eq!(
        (c.layout.heap_type, c.layout.flags, c.layout.attr),
        (24, 40, 64)
    );
    assert_eq!(
        ParamsLine(&c).to_string(),
        "KFD: RDNA1 rule: device_id=0x0 heap_mask=0x1 (SYSTEM) dry_run=0 layout_shift=8 (test setting)"
    );
    params.layout_shift = 100;
    let err = Config::from_params(params).unwrap_err();
    assert_eq!(err, ParamError::LayoutShiftOutOfRange(100));
    assert_eq!(
        err.to_string(),
        "invalid layout_shift=100: moves a field outside the struct's first 64 bytes"
    );
}

#[test]
fn lifecycle_lines_match_the_users_grep() {
    let at = BankRef {
        node: 0,
        bank: 0,
        heap_type: 0,
    };
    let forgotten = Forgotten {
        device_id: 0,
        at,
        reason: &rdna1_fg::logic::restore::GoneBecause::KfdUnloaded,
    };
    assert_eq!(
        forgotten.to_string(),
        "KFD: RDNA1 0x0: node 0 bank 0 SYSTEM forgotten (KFD's topology was freed (amdgpu unloaded)): nothing to restore"
    );
    assert_eq!(
        Rescan(Trigger::AddDevice).to_string(),
        "KFD: RDNA1 rule: rescan after kfd_topology_add_device"
    );
    let hooks = HooksFailed {
        function: "kfd_topology_add_device",
        errno: -22,
        at_load: true,
    }
    .to_string();
    assert_eq!(
        hooks,
        "KFD: RDNA1 rule: cannot hook KFD's function kfd_topology_add_device (error -22): is CONFIG_KPROBES set?; module not loaded, nothing changed"
    );
    let missing = HooksFailed {
        function: "mem_show",
        errno: -2,
        at_load: false,
    }
    .to_string();
    assert_eq!(
        missing,
        "KFD: RDNA1 rule: cannot hook KFD's function mem_show (error -2): amdgpu has no such function (renamed or inlined in this kernel): this kernel is not supported; nothing is patched until amdgpu loads again"
    );
    let no_ftrace = HooksFailed {
        function: "mem_show",
        errno: -95,
        at_load: true,
    }
    .to_string();
    assert!(
        no_ftrace.contains("(CONFIG_KPROBES_ON_FTRACE)")
            && no_ftrace.ends_with("module not loaded, nothing changed"),
        "{no_ftrace}"
    );
    let built_in = AmdgpuBuiltIn.to_string();
    assert!(
        built_in.contains("(CONFIG_DRM_AMDGPU=y)")
            && built_in.contains("(CONFIG_DRM_AMDGPU=m)")
            && built_in.ends_with("not loaded"),
        "{built_in}"
    );
    for line in [
        forgotten.to_string(),
        Waiting.to_string(),
        hooks,
        missing,
        no_ftrace,
        built_in,
    ] {
        assert!(grep_kfd_rdna1(&line), "{line}");
    }
}

#[test]
fn status_text_shows_parameters_state_counters_and_banks() {
    let config = Config::from_params(raw(0, 1, 0)).unwrap();
    let header = StatusHeader {
        config: &config,
        state: ModuleState::Active,
        counters: Counters {
            scans: 2,
            patched: 1,
            restored: 0,
            refused: 1,
            already_set: 0,
            forgotten: 0,
            adopted: 0,
            probe_not_run: 2,
        },
        hooks: HookHits {
            probes_registered: true,
            write_probe: WriteProbe::Registered,
            amdgpu_live: 1,
            ..HookHits::default()
        },
        last_latency: Some(Latency {
            ns: 1500,
            trigger: Trigger::AmdgpuLive,
        }),
        last_error: "",
        patched_banks: 1,
    };
    let bank = BankStatus {
        at: BankRef {
            node: 0,
            bank: 0,
            heap_type: 0,
        },
        before: 0,
        now: Some(1),
    };
    let text = format!("{header}{bank}");
    assert_eq!(
        text,
        "state: active
parameters: KFD: RDNA1 rule: device_id=0x0 heap_mask=0x1 (SYSTEM) dry_run=0
layout: heap_type@16 size_in_bytes@24 flags@32 width@36 mem_clk_max@40 attr@64, from the known layout
write probe: registered, missed 0, not run 2
hooks: registered, add_device 0, remove_device 0, shutdown 0, amdgpu_live 1, amdgpu_going 0, probe_errors 0, missed 0
counters: scans 2, patched 1, restored 0, refused 1, already_set 0, adopted 0, forgotten 0
latency: last patch 1500 ns after amdgpu load
last error: none
patched banks: 1
  node 0 bank 0 SYSTEM flags before 0x0 now 0x1
"
    );
    let unreadable = BankStatus { now: None, ..bank };
    assert!(unreadable.to_string().ends_with("now unreadable\n"));
    assert_eq!(ModuleState::WaitingForKfd.name(), "waiting for KFD");
}

/// The tool's fixture of an active module's status file is the text the
/// module writes, so that the tool is tested on the real format.
#[test]
fn the_tools_status_fixture_is_the_modules_format() {
    let config = Config::from_params(RawParams::default()).unwrap();
    let header = StatusHeader {
        config: &config,
        state: ModuleState::Active,
        counters: Counters {
            scans: 2,
            patched: 1,
            ..Counters::default()
        },
        hooks: HookHits {
            probes_registered: true,
            write_probe: WriteProbe::Registered,
            add_device: 1,
            amdgpu_live: 1,
            ..HookHits::default()
        },
        last_latency: Some(Latency {
            ns: 61234,
            trigger: Trigger::AddDevice,
        }),
        last_error: "",
        patched_banks: 1,
    };
    let bank = BankStatus {
        at: BankRef {
            node: 1,
            bank: 0,
            heap_type: 1,
        },
        before: 0,
        now: Some(1),
    };
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/module/active/status"
    ))
    .unwrap();
    assert_eq!(format!("{header}{bank}"), fixture);
}

mod forgetting {
    use rdna1_fg::logic::pass::{forgettable, PassSight, WalkSight};

    const PASS: u64 = 7;

    /// A walk of one unchanging topology that read and identified all.
    fn complete() -> WalkSight {
        WalkSight {
            generation_before: Some(3),
            generation_after: Some(3),
            hooks_stable: true,
            ..WalkSight::default()
        }
    }

    fn pass(walk: WalkSight) -> PassSight {
        PassSight { id: PASS, walk }
    }

    #[test]
    fn a_bank_seen_in_the_pass_is_kept() {
        assert!(!forgettable(PASS, 0, true, pass(complete()), || true));
        let unidentified = WalkSight {
            unidentified: true,
            ..complete()
        };
        assert!(!forgettable(PASS, PASS, true, pass(unidentified), || true));
    }

    #[test]
    fn a_complete_pass_forgets_what_it_did_not_see_without_looking() {
        assert!(forgettable(6, 0, true, pass(complete()), || panic!(
            "no lookup"
        )));
    }

    #[test]
    fn an_unidentified_bank_elsewhere_leaves_the_path_to_decide() {
        let walk = WalkSight {
            unidentified: true,
            ..complete()
        };
        assert!(forgettable(6, 0, true, pass(walk), || true));
        assert!(!forgettable(6, 0, true, pass(walk), || false));
    }

    #[test]
    fn an_unidentified_bank_like_it_keeps_the_record() {
        // The probe did not run for a bank with the record's device, heap
        // type and size: it may be this bank, renumbered.
        let walk = WalkSight {
            unidentified: true,
            ..complete()
        };
        assert!(!forgettable(6, PASS, true, pass(walk), || true));
    }

    #[test]
    fn an_unreadable_node_keeps_every_record() {
        let walk = WalkSight {
            unreadable: true,
            ..complete()
        };
        assert!(!forgettable(6, 0, true, pass(walk), || true));
    }

    #[test]
    fn a_node_short_of_banks_keeps_every_record() {
        // A bank gone mid-walk: the walk stopped at the gap, and the banks
        // after it (renumbered or not) were not looked at.
        let walk = WalkSight {
            short_nodes: 1,
            ..complete()
        };
        assert!(!forgettable(6, 0, true, pass(walk), || true));
    }

    #[test]
    fn without_a_removal_since_the_bank_was_seen_nothing_is_forgotten() {
        // Within one KFD instance a bank leaves only through
        // kfd_topology_remove_device; a complete-looking walk that missed it
        // (inside a sysfs rebuild KFD does not announce) proves nothing.
        assert!(!forgettable(6, 0, false, pass(complete()), || true));
    }

    #[test]
    fn a_moved_generation_keeps_every_record() {
        let walk = WalkSight {
            generation_after: Some(4),
            ..complete()
        };
        assert!(!forgettable(6, 0, true, pass(walk), || true));
        let unknown = WalkSight {
            generation_before: None,
            ..complete()
        };
        assert!(!forgettable(6, 0, true, pass(unknown), || true));
    }

    #[test]
    fn a_change_the_hooks_saw_keeps_every_record_even_when_kfd_generation_did_not_move() {
        // KFD moves generation_id only after rebuilding sysfs on an add: a
        // walk inside the rebuild reads the same generation twice.
        let walk = WalkSight {
            hooks_stable: false,
            ..complete()
        };
        assert!(!forgettable(6, 0, true, pass(walk), || true));
    }
}

mod completeness {
    use rdna1_fg::logic::pass::{Incomplete, WalkSight};

    fn complete() -> WalkSight {
        WalkSight {
            generation_before: Some(3),
            generation_after: Some(3),
            hooks_stable: true,
            ..WalkSight::default()
        }
    }

    #[test]
    fn only_a_full_walk_of_an_unchanging_topology_is_complete() {
        assert_eq!(complete().complete(), Ok(()));
        let cases = [
            (
                WalkSight {
                    generation_after: None,
                    ..complete()
                },
                Incomplete::GenerationUnknown,
            ),
            (
                WalkSight {
                    generation_after: Some(5),
                    ..complete()
                },
                Incomplete::GenerationMoved,
            ),
            (
                WalkSight {
                    hooks_stable: false,
                    ..complete()
                },
                Incomplete::HooksSawChange,
            ),
            (
                WalkSight {
                    unreadable: true,
                    ..complete()
                },
                Incomplete::Unreadable,
            ),
            (
                WalkSight {
                    unidentified: true,
                    ..complete()
                },
                Incomplete::Unidentified,
            ),
            (
                WalkSight {
                    short_nodes: 2,
                    ..complete()
                },
                Incomplete::BanksMissing,
            ),
        ];
        for (walk, why) in cases {
            assert_eq!(walk.complete(), Err(why), "{walk:?}");
            assert_eq!(
                walk.stable(),
                !why.topology_changed() && why != Incomplete::GenerationUnknown
            );
        }
    }

    #[test]
    fn a_change_is_reported_before_what_it_caused() {
        let walk = WalkSight {
            generation_after: Some(4),
            unreadable: true,
            short_nodes: 1,
            ..complete()
        };
        assert_eq!(walk.complete(), Err(Incomplete::GenerationMoved));
    }
}

mod epochs {
    use rdna1_fg::logic::pass::{outdated, KfdEpoch};

    #[test]
    fn a_going_or_a_shutdown_since_the_patch_outdates_a_record() {
        let made = KfdEpoch::from_counts(1, 1);
        assert!(!outdated(made, KfdEpoch::from_counts(1, 1)));
        // amdgpu unloaded and loaded again between two passes: its exit
        // (kfd_topology_shutdown) and its GOING both count.
        assert!(outdated(made, KfdEpoch::from_counts(2, 2)));
        // A GOING whose shutdown probe missed still counts.
        assert!(outdated(made, KfdEpoch::from_counts(1, 2)));
    }
}

mod unload_report {
    use rdna1_fg::logic::pass::Incomplete;
    use rdna1_fg::logic::restore::{unrestored, GoneBecause, StillSetBecause, Unrestored};

    #[test]
    fn gone_only_on_proof() {
        assert_eq!(
            unrestored::<&str>(None, Some(Ok(())), true, false, true),
            Unrestored::Gone(GoneBecause::NotInTopology)
        );
        assert_eq!(
            unrestored::<&str>(None, None, false, false, true),
            Unrestored::Gone(GoneBecause::KfdUnloaded)
        );
        assert_eq!(
            unrestored::<&str>(None, Some(Err(Incomplete::Unreadable)), true, true, true),
            Unrestored::Gone(GoneBecause::AmdgpuReloaded)
        );
    }

    #[test]
    fn not_met_without_a_removal_is_not_restored_not_gone() {
        assert_eq!(
            unrestored::<&str>(None, Some(Ok(())), true, false, false),
            Unrestored::MaybeStillSet(StillSetBecause::NoRemoval)
        );
    }

    #[test]
    fn a_failed_read_at_unload_is_not_restored_not_gone() {
        assert_eq!(
            unrestored::<&str>(None, Some(Err(Incomplete::Unreadable)), true, false, true),
            Unrestored::MaybeStillSet(StillSetBecause::WalkIncomplete(Incomplete::Unreadable))
        );
    }

    #[test]
    fn a_topology_that_never_settles_is_not_restored_not_gone() {
        assert_eq!(
            unrestored::<&str>(None, None, true, false, true),
            Unrestored::MaybeStillSet(StillSetBecause::NoWalk)
        );
        assert_eq!(
            unrestored::<&str>(
                None,
                Some(Err(Incomplete::GenerationMoved)),
                true,
                false,
                true
            ),
            Unrestored::MaybeStillSet(StillSetBecause::WalkIncomplete(Incomplete::GenerationMoved))
        );
    }

    #[test]
    fn a_refused_write_is_reported_with_its_reason() {
        assert_eq!(
            unrestored(Some("layout"), Some(Ok(())), true, false, true),
            Unrestored::MaybeStillSet(StillSetBecause::WriteRefused("layout"))
        );
    }
}
