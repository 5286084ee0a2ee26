//! Tiny fake kernel modules for tests: an ELF with a `.modinfo` section,
//! optionally signed as `scripts/sign-file` does and compressed as DKMS
//! does. Shared by the tool's unit tests and the golden tests.

#![allow(dead_code)]

use object::write::{Object, StandardSection};
use object::{Architecture, BinaryFormat, Endianness, SectionKind};
use std::io::Write;

/// The magic string at the end of a signed module.
pub const SIG_MAGIC: &[u8] = b"~Module signature appended~\n";

/// A relocatable ELF with a `.modinfo` section: the smallest "module".
pub fn module(modinfo: &[(&str, &str)]) -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let _ = obj.section_id(StandardSection::Text);
    let id = obj.add_section(
        Vec::new(),
        b".modinfo".to_vec(),
        SectionKind::ReadOnlyString,
    );
    let mut data = Vec::new();
    for (k, v) in modinfo {
        data.extend_from_slice(format!("{k}={v}\0").as_bytes());
    }
    obj.append_section_data(id, &data, 1);
    obj.write().expect("an ELF file")
}

/// A DER fragment with a common name, as a PKCS#7 signer's issuer has.
pub fn pkcs7(cn: &str) -> Vec<u8> {
    let mut der = vec![0x30, 0x80, 0x31, 0x00];
    der.extend_from_slice(&[0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, cn.len() as u8]);
    der.extend_from_slice(cn.as_bytes());
    der.extend_from_slice(&[0x00, 0x00]);
    der
}

/// Appends a PKCS#7 (id type 2), sha256 signature by `cn`.
pub fn sign(mut module: Vec<u8>, cn: &str) -> Vec<u8> {
    let sig = pkcs7(cn);
    module.extend_from_slice(&sig);
    module.extend_from_slice(&[0, 4, 2, 0, 0, 0, 0, 0]);
    module.extend_from_slice(&(sig.len() as u32).to_be_bytes());
    module.extend_from_slice(SIG_MAGIC);
    module
}

/// Compresses as the file name says (`.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`).
pub fn compress(name: &str, data: &[u8]) -> Vec<u8> {
    if name.ends_with(".ko.xz") {
        let mut out = Vec::new();
        lzma_rs::xz_compress(&mut &data[..], &mut out).expect("xz");
        out
    } else if name.ends_with(".ko.zst") {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    } else if name.ends_with(".ko.gz") {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).expect("gzip");
        gz.finish().expect("gzip")
    } else {
        data.to_vec()
    }
}
