//! Property tests of the sysfs `properties` parser that the kernel module and
//! the tool share (`src/logic/props.rs`): whatever the text, parsing returns
//! `Ok` or an error that names a line, and never panics.

use proptest::prelude::*;
use rdna1_fg::logic::props::{error_line, MemBankProps, NodeProps, PropsError};

const KEYS: [&str; 5] = [
    "heap_type",
    "size_in_bytes",
    "flags",
    "width",
    "mem_clk_max",
];

/// A bank's fields, as KFD's `mem_show()` prints them, one line per key.
fn bank_lines() -> impl Strategy<Value = (MemBankProps, Vec<String>)> {
    (
        any::<u32>(),
        any::<u64>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(heap_type, size_in_bytes, flags, width, mem_clk_max)| {
            let props = MemBankProps {
                heap_type,
                size_in_bytes,
                flags,
                width,
                mem_clk_max,
            };
            let lines = vec![
                format!("heap_type {heap_type}"),
                format!("size_in_bytes {size_in_bytes}"),
                format!("flags {flags}"),
                format!("width {width}"),
                format!("mem_clk_max {mem_clk_max}"),
            ];
            (props, lines)
        })
}

/// Every error but `Missing` points at a line that exists.
fn check_error(text: &str, err: PropsError) -> Result<(), TestCaseError> {
    prop_assert!(!err.to_string().is_empty());
    match (err, error_line(text, err)) {
        (PropsError::Missing(_), line) => prop_assert_eq!(line, None),
        (_, Some(line)) => prop_assert!(line >= 1 && line <= text.lines().count()),
        (_, None) => prop_assert!(false, "{err:?} names no line in {text:?}"),
    }
    Ok(())
}

fn check_both(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = MemBankProps::parse(text) {
        check_error(text, e)?;
    }
    if let Err(e) = NodeProps::parse(text) {
        check_error(text, e)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes, made text the way a reader of a damaged file would.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_both(&String::from_utf8_lossy(&bytes))?;
    }

    /// Text built from real keys, numbers and noise.
    #[test]
    fn keyish_text_never_panics(
        lines in proptest::collection::vec(
            (prop::sample::select(&["heap_type", "flags", "vendor_id", "device_id", "x", ""][..]),
             "[0-9a-fx -]{0,24}"),
            0..12,
        )
    ) {
        let text: String = lines.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
        check_both(&text)?;
    }

    /// Lines in any order, with unknown keys and blank lines, parse the same.
    #[test]
    fn reordered_lines_parse_the_same(
        (props, mut lines) in bank_lines()
            .prop_flat_map(|(props, lines)| (Just(props), Just(lines).prop_shuffle())),
        extra in "[a-z_]{1,12} [0-9]{1,6}",
    ) {
        lines.push(String::new());
        if !KEYS.iter().any(|k| extra.starts_with(&format!("{k} "))) {
            lines.push(extra);
        }
        prop_assert_eq!(MemBankProps::parse(&lines.join("\n")), Ok(props));
    }

    /// A file cut anywhere parses or fails with a clear error.
    #[test]
    fn truncated_text_never_panics((_, lines) in bank_lines(), cut in 0usize..200) {
        let text = lines.join("\n");
        let cut = (0..=cut.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        check_both(&text[..cut])?;
    }

    /// A repeated key is an error about the line of its second copy.
    #[test]
    fn duplicated_key_names_the_second_line((_, mut lines) in bank_lines(), which in 0usize..5) {
        let copy = lines[which].clone();
        lines.push(copy);
        let text = lines.join("\n");
        let err = MemBankProps::parse(&text).unwrap_err();
        prop_assert_eq!(err, PropsError::Duplicate(KEYS[which]));
        prop_assert_eq!(error_line(&text, err), Some(6));
    }

    /// A 32-bit field given a larger number is refused, at its line.
    #[test]
    fn oversized_value_is_refused_at_its_line(
        (_, mut lines) in bank_lines(),
        big in (u64::from(u32::MAX) + 1)..,
    ) {
        lines[2] = format!("flags {big}");
        let text = lines.join("\n");
        let err = MemBankProps::parse(&text).unwrap_err();
        prop_assert_eq!(err, PropsError::BadValue("flags"));
        prop_assert_eq!(error_line(&text, err), Some(3));
    }
}

#[test]
fn error_lines_of_known_damage() {
    let text = "heap_type 1\n\nsize_in_bytes 8\nflags 0x1\nwidth 256\nmem_clk_max 875\n";
    let err = MemBankProps::parse(text).unwrap_err();
    assert_eq!(err, PropsError::BadValue("flags"));
    assert_eq!(error_line(text, err), Some(4));
    let text = "heap_type 1\nsize_in_bytes\n";
    let err = MemBankProps::parse(text).unwrap_err();
    assert_eq!(err, PropsError::BadLine);
    assert_eq!(error_line(text, err), Some(2));
    let err = MemBankProps::parse("heap_type 1\n").unwrap_err();
    assert_eq!(error_line("heap_type 1\n", err), None);
}
