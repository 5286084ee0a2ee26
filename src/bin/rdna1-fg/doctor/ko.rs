// SPDX-License-Identifier: GPL-2.0

//! A kernel module file: decompressed (`.ko`, `.ko.xz`, `.ko.zst`,
//! `.ko.gz`), its `.modinfo` section read from the ELF, and its appended
//! signature.
//!
//! A signed module ends with the signature, then `struct module_signature`
//! (12 bytes, `include/linux/module_signature.h`), then the magic string
//! `~Module signature appended~\n`. Compressed modules are signed before
//! they are compressed, so this is read after decompression.
//!
//! The signer: `scripts/sign-file` writes a PKCS#7 message without
//! certificates, so the only X.509 name in it is the issuer of the signer's
//! certificate, and its common name is what `modinfo` shows as `signer`.
//! The first common-name attribute (OID 2.5.4.3) in the message is taken:
//! a minimal reading, not a PKCS#7 parser.

use object::{Object, ObjectSection};
use std::io::Read;

/// Longest module read, compressed or not.
pub const MAX_MODULE_BYTES: u64 = 64 * 1024 * 1024;

/// The magic string at the end of a signed module.
pub const SIG_MAGIC: &[u8] = b"~Module signature appended~\n";

/// Size of `struct module_signature`.
const SIG_INFO_LEN: usize = 12;

/// `PKEY_ID_PKCS7`.
const PKEY_ID_PKCS7: u8 = 2;

/// What a module file says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ModuleFile {
    /// `.modinfo` entries, `key=value`, in order.
    pub modinfo: Vec<(String, String)>,
    /// The appended signature, if any.
    pub signature: Option<Signature>,
}

/// An appended signature.
#[derive(Debug, PartialEq, Eq)]
pub struct Signature {
    /// The signer's common name, when found.
    pub signer: Option<String>,
    /// Hash algorithm number (`enum hash_algo`: 4 sha256, 6 sha512, ...).
    pub hash: u8,
}

impl ModuleFile {
    /// The first value of a `.modinfo` key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.modinfo
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Decompresses a module by its file name's suffix.
pub fn decompress(name: &str, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let limited = |r: &mut dyn Read, out: &mut Vec<u8>| -> Result<(), String> {
        r.take(MAX_MODULE_BYTES + 1)
            .read_to_end(out)
            .map_err(|e| e.to_string())?;
        if out.len() as u64 > MAX_MODULE_BYTES {
            return Err(format!("larger than {MAX_MODULE_BYTES} bytes"));
        }
        Ok(())
    };
    if name.ends_with(".ko") {
        out.extend_from_slice(bytes);
    } else if name.ends_with(".ko.gz") {
        limited(&mut flate2::read::GzDecoder::new(bytes), &mut out)?;
    } else if name.ends_with(".ko.zst") {
        let mut d = ruzstd::decoding::StreamingDecoder::new(bytes).map_err(|e| e.to_string())?;
        limited(&mut d, &mut out)?;
    } else if name.ends_with(".ko.xz") {
        let mut input = std::io::BufReader::new(bytes);
        lzma_rs::xz_decompress(&mut input, &mut out).map_err(|e| e.to_string())?;
    } else {
        return Err(format!(
            "{name}: not a module file name (.ko, .ko.xz, .ko.zst, .ko.gz)"
        ));
    }
    Ok(out)
}

/// Reads `.modinfo` and the signature of an uncompressed module.
pub fn parse(data: &[u8]) -> Result<ModuleFile, String> {
    let (elf, signature) = split_signature(data)?;
    let file = object::File::parse(elf).map_err(|e| format!("not an ELF file: {e}"))?;
    let section = file
        .section_by_name(".modinfo")
        .ok_or("no .modinfo section: not a kernel module")?;
    let bytes = section
        .data()
        .map_err(|e| format!("unreadable .modinfo: {e}"))?;
    let modinfo = bytes
        .split(|&b| b == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok())
        .filter_map(|entry| entry.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Ok(ModuleFile { modinfo, signature })
}

/// The module without its signature, and the signature.
fn split_signature(data: &[u8]) -> Result<(&[u8], Option<Signature>), String> {
    let Some(body) = data.strip_suffix(SIG_MAGIC) else {
        return Ok((data, None));
    };
    let info_at = body
        .len()
        .checked_sub(SIG_INFO_LEN)
        .ok_or("signature marker without its header")?;
    let info = &body[info_at..];
    let sig_len = u32::from_be_bytes([info[8], info[9], info[10], info[11]]) as usize;
    let sig_at = info_at
        .checked_sub(sig_len)
        .ok_or("signature longer than the module")?;
    let sig = &body[sig_at..info_at];
    let signer = if info[2] == PKEY_ID_PKCS7 {
        common_name(sig)
    } else {
        None
    };
    Ok((
        &body[..sig_at],
        Some(Signature {
            signer,
            hash: info[1],
        }),
    ))
}

/// The first X.509 common name in DER bytes (a PKCS#7 message or a
/// certificate): OID 2.5.4.3, then a string.
pub fn common_name(der: &[u8]) -> Option<String> {
    const CN_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x04, 0x03];
    let at = der.windows(CN_OID.len()).position(|w| w == CN_OID)? + CN_OID.len();
    let tag = *der.get(at)?;
    // UTF8String, PrintableString, IA5String, T61String.
    if !matches!(tag, 0x0c | 0x13 | 0x16 | 0x14) {
        return None;
    }
    let (len, start) = match *der.get(at + 1)? {
        n if n < 0x80 => (usize::from(n), at + 2),
        0x81 => (usize::from(*der.get(at + 2)?), at + 3),
        _ => return None,
    };
    let bytes = der.get(start..start.checked_add(len)?)?;
    std::str::from_utf8(bytes).ok().map(str::to_string)
}

/// The name of a hash algorithm number (`enum hash_algo`).
pub fn hash_name(n: u8) -> &'static str {
    match n {
        2 => "sha1",
        4 => "sha256",
        5 => "sha384",
        6 => "sha512",
        7 => "sha224",
        _ => "unknown hash",
    }
}

#[cfg(test)]
#[path = "../../../../tests/support/fake_ko.rs"]
mod fake_ko;

#[cfg(test)]
mod tests {
    use super::fake_ko::{compress, module as fake_module, sign};
    use super::*;

    #[test]
    fn modinfo_of_a_plain_module() {
        let m = fake_module(&[
            ("vermagic", "7.2.13+deb14-amd64 SMP preempt mod_unload"),
            ("name", "rdna1_fg"),
        ]);
        let f = parse(&m).unwrap();
        assert_eq!(
            f.get("vermagic"),
            Some("7.2.13+deb14-amd64 SMP preempt mod_unload")
        );
        assert_eq!(f.get("name"), Some("rdna1_fg"));
        assert_eq!(f.signature, None);
    }

    #[test]
    fn signer_of_a_signed_module() {
        let m = sign(
            fake_module(&[("vermagic", "7.2.13+deb14-amd64 SMP")]),
            "DKMS module signing key",
        );
        let f = parse(&m).unwrap();
        assert_eq!(f.get("vermagic"), Some("7.2.13+deb14-amd64 SMP"));
        let s = f.signature.unwrap();
        assert_eq!(s.signer.as_deref(), Some("DKMS module signing key"));
        assert_eq!(hash_name(s.hash), "sha256");
    }

    #[test]
    fn compressed_modules_decompress() {
        let m = fake_module(&[("vermagic", "1 SMP")]);
        for name in ["a.ko", "a.ko.gz", "a.ko.xz", "a.ko.zst"] {
            assert_eq!(decompress(name, &compress(name, &m)).unwrap(), m, "{name}");
        }
        assert!(decompress("a.ko.bz2", &m).is_err());
        assert!(decompress("a.ko.xz", b"not xz").is_err());
        assert!(decompress("a.ko.zst", b"not zstd").is_err());
    }

    #[test]
    fn damaged_input_is_an_error_not_a_panic() {
        assert!(parse(b"").is_err());
        assert!(parse(SIG_MAGIC).is_err());
        let mut bad = vec![0u8; 12];
        bad[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        bad.extend_from_slice(SIG_MAGIC);
        assert!(parse(&bad).is_err());
        assert_eq!(
            common_name(&[0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x50]),
            None
        );
    }
}
