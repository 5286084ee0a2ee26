// SPDX-License-Identifier: GPL-2.0

//! A fixed-size text buffer that implements [`core::fmt::Write`].
//!
//! Used to build sysfs paths without allocation. The buffer always keeps one
//! byte free so that the text can be handed to C as a NUL-terminated string.

use core::fmt;

/// Text of at most `N - 1` bytes, followed by a NUL byte.
pub struct TextBuf<const N: usize> {
    bytes: [u8; N],
    // INVARIANT: `len < N`, `bytes[..len]` is UTF-8 without NUL bytes and
    // `bytes[len] == 0`.
    len: usize,
}

impl<const N: usize> TextBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        // A zero-sized buffer could not hold the terminator.
        const { assert!(N > 0) };
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        // The buffer only ever receives whole `&str`s (see `write_str`), so
        // the first `len` bytes are valid UTF-8; the fallback is unreachable.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    /// The text followed by its NUL terminator.
    pub fn as_bytes_with_nul(&self) -> &[u8] {
        &self.bytes[..=self.len]
    }
}

impl<const N: usize> Default for TextBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for TextBuf<N> {
    /// Appends `s`; fails if `s` does not fit or contains a NUL byte. A
    /// failed `write!` may leave part of its text: callers drop the buffer.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end >= N || s.as_bytes().contains(&0) {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        self.bytes[end] = 0;
        Ok(())
    }
}
