// SPDX-License-Identifier: GPL-2.0

//! Reading KFD's sysfs files from the kernel, and finding the attribute
//! behind one.
//!
//! [`SysfsFile`] owns an open `struct file` and closes it on drop. A sysfs
//! file's inode belongs to kernfs: `inode->i_private` is its `kernfs_node`,
//! and for a kobject attribute the node's `priv` is the `struct attribute *`
//! that sysfs passes to the owner's `show()` callback. That pointer is how the
//! module reaches the live `struct kfd_mem_properties` (see `kfd_mem.rs`).

use crate::logic::textbuf::TextBuf;
use crate::logic::walk::TOPOLOGY_DIR;
use core::fmt::{self, Write};
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// Longest path the module builds (`.../nodes/255/mem_banks/63/properties`).
pub(crate) type SysfsPath = TextBuf<128>;

/// Path of `nodes/<node>/properties`, or of a bank's `properties` file.
pub(crate) fn topology_path(node: u32, bank: Option<u32>) -> Result<SysfsPath, FileError> {
    let mut path = SysfsPath::new();
    let written = match bank {
        None => write!(path, "{TOPOLOGY_DIR}/nodes/{node}/properties"),
        Some(bank) => write!(
            path,
            "{TOPOLOGY_DIR}/nodes/{node}/mem_banks/{bank}/properties"
        ),
    };
    written.map_err(|_| FileError::PathTooLong)?;
    Ok(path)
}

extern "C" {
    // Returns a `struct file *` or an `ERR_PTR` (opaque here: `struct file`
    // is not FFI-safe as bindgen sees it).
    fn rdna1_fg_open_sysfs(path: *const c_char) -> *mut c_void;
}

/// Why a sysfs file could not be used.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FileError {
    /// The path did not fit the buffer.
    PathTooLong,
    /// Opening failed with this error (other than "does not exist").
    Open(Error),
    /// `kernel_read` failed with this error.
    Read(Error),
    /// The text did not fit the buffer.
    TooLong,
    /// The text is not UTF-8.
    NotText,
    /// The file is not a sysfs attribute file.
    NotSysfs,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PathTooLong => f.write_str("path too long"),
            Self::Open(e) => write!(f, "open failed ({e:?})"),
            Self::Read(e) => write!(f, "read failed ({e:?})"),
            Self::TooLong => f.write_str("text longer than the read buffer"),
            Self::NotText => f.write_str("text is not UTF-8"),
            Self::NotSysfs => f.write_str("not a sysfs attribute file"),
        }
    }
}

/// An open file, closed on drop.
pub(crate) struct SysfsFile {
    // INVARIANT: a valid `struct file *` returned by `file_open_root`,
    // owned by this value and not yet closed.
    file: NonNull<bindings::file>,
}

impl SysfsFile {
    /// Opens `path` read-only, as PID 1 sees it (see `rdna1_fg_open_sysfs`
    /// in `kfd_hooks.c`). `Ok(None)` if it does not exist.
    pub(crate) fn open(path: &SysfsPath) -> Result<Option<Self>, FileError> {
        let name = path.as_bytes_with_nul().as_ptr().cast::<c_char>();
        // SAFETY: `name` points to a NUL-terminated string (the `TextBuf`
        // invariant) that outlives the call; the path is only read during it.
        let file = unsafe { rdna1_fg_open_sysfs(name) }.cast::<bindings::file>();
        match kernel::error::from_err_ptr(file) {
            Ok(file) => match NonNull::new(file) {
                // INVARIANT: the open succeeded; we own the reference.
                Some(file) => Ok(Some(Self { file })),
                None => Err(FileError::Open(EINVAL)),
            },
            Err(e) if e == ENOENT => Ok(None),
            Err(e) => Err(FileError::Open(e)),
        }
    }

    /// Reads the whole file from the start into `buf`, as text.
    pub(crate) fn read_text<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, FileError> {
        let mut pos: bindings::loff_t = 0;
        let mut len = 0;
        loop {
            let Some(rest) = buf.get_mut(len..) else {
                return Err(FileError::TooLong);
            };
            if rest.is_empty() {
                return Err(FileError::TooLong);
            }
            // SAFETY: `self.file` is valid (type invariant); `rest` is a
            // writable kernel buffer of `rest.len()` bytes; `pos` is a valid
            // `loff_t` that outlives the call.
            let n = unsafe {
                bindings::kernel_read(
                    self.file.as_ptr(),
                    rest.as_mut_ptr().cast(),
                    rest.len(),
                    &mut pos,
                )
            };
            match usize::try_from(n) {
                Ok(0) => break,
                Ok(n) => len += n.min(rest.len()),
                Err(_) => {
                    let errno = c_int::try_from(n).unwrap_or(-(bindings::EIO as c_int));
                    return Err(FileError::Read(Error::from_errno(errno)));
                }
            }
        }
        let text = buf.get(..len).ok_or(FileError::TooLong)?;
        core::str::from_utf8(text).map_err(|_| FileError::NotText)
    }

    /// The `struct attribute` this sysfs file shows.
    pub(crate) fn attribute(&self) -> Result<NonNull<bindings::attribute>, FileError> {
        // SAFETY: `self.file` is a valid open file (type invariant), so its
        // `f_inode` is set and stays valid while the file is open.
        let inode = unsafe { (*self.file.as_ptr()).f_inode };
        if inode.is_null() {
            return Err(FileError::NotSysfs);
        }
        // SAFETY: `inode` is the open file's inode (valid, see above); every
        // inode has a valid `i_sb` while it is in use.
        let magic = unsafe { (*(*inode).i_sb).s_magic };
        if u32::try_from(magic).ok() != Some(bindings::SYSFS_MAGIC) {
            return Err(FileError::NotSysfs);
        }
        // SAFETY: a sysfs inode is a kernfs inode, whose `i_private` is its
        // `kernfs_node` (`kernfs_init_inode()`); the node is pinned by the
        // inode, which the open file pins.
        let kn = unsafe { (*inode).i_private }.cast::<bindings::kernfs_node>();
        if kn.is_null() {
            return Err(FileError::NotSysfs);
        }
        // SAFETY: `kn` is a valid kernfs node (see above); for a sysfs
        // attribute file, `priv` holds the `struct attribute *` given to
        // `sysfs_create_file()` (`sysfs_add_file_mode_ns()`).
        let attr = unsafe { (*kn).priv_ }.cast::<bindings::attribute>();
        NonNull::new(attr).ok_or(FileError::NotSysfs)
    }
}

impl Drop for SysfsFile {
    fn drop(&mut self) {
        // SAFETY: `self.file` is valid and owned by us (type invariant); it
        // is closed exactly once, here.
        unsafe { bindings::filp_close(self.file.as_ptr(), core::ptr::null_mut()) };
    }
}
