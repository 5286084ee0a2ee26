// SPDX-License-Identifier: GPL-2.0

//! Reading sysfs files from the kernel, through the module's own mount.
//!
//! [`SysfsMount`] is a kernel-internal mount of sysfs (`kern_mount`), made at
//! load and dropped at unload. Every path the module opens is resolved from
//! its root, never from a task's root or mount namespace: `insmod`/`rmmod` in
//! a container with its own `/sys`, from a chroot without `/sys`, or the
//! workqueue thread of a kernel whose kernel threads have no `/sys` all see
//! the same, real KFD topology. sysfs has one tree per system (only network
//! class directories differ by namespace), so the mount shows KFD's.
//!
//! [`SysfsFile`] owns an open `struct file` and closes it on drop.

use crate::logic::textbuf::TextBuf;
use crate::logic::walk::TOPOLOGY_IN_SYSFS;
use core::fmt::{self, Write};
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// Longest path the module builds (`class/kfd/.../nodes/255/mem_banks/63/properties`).
pub(crate) type SysfsPath = TextBuf<128>;

/// Path of `nodes/<node>/properties`, or of a bank's `properties` file,
/// relative to the root of sysfs.
pub(crate) fn topology_path(node: u32, bank: Option<u32>) -> Result<SysfsPath, FileError> {
    let mut path = SysfsPath::new();
    let written = match bank {
        None => write!(path, "{TOPOLOGY_IN_SYSFS}/nodes/{node}/properties"),
        Some(bank) => write!(
            path,
            "{TOPOLOGY_IN_SYSFS}/nodes/{node}/mem_banks/{bank}/properties"
        ),
    };
    written.map_err(|_| FileError::PathTooLong)?;
    Ok(path)
}

/// Path of a file of KFD's topology directory (`generation_id`), relative
/// to the root of sysfs.
pub(crate) fn topology_file_path(name: &str) -> Result<SysfsPath, FileError> {
    let mut path = SysfsPath::new();
    write!(path, "{TOPOLOGY_IN_SYSFS}/{name}").map_err(|_| FileError::PathTooLong)?;
    Ok(path)
}

/// Path of a file of `nodes/<node>` (`gpu_id`), relative to the root of sysfs.
pub(crate) fn node_file_path(node: u32, name: &str) -> Result<SysfsPath, FileError> {
    let mut path = SysfsPath::new();
    write!(path, "{TOPOLOGY_IN_SYSFS}/nodes/{node}/{name}").map_err(|_| FileError::PathTooLong)?;
    Ok(path)
}

/// Path of a file of `module/<name>/` (`initstate`, `uevent`), relative to
/// the root of sysfs.
pub(crate) fn module_file_path(name: &str, file: &str) -> Result<SysfsPath, FileError> {
    let mut path = SysfsPath::new();
    write!(path, "module/{name}/{file}").map_err(|_| FileError::PathTooLong)?;
    Ok(path)
}

/// Path of `module/<name>/initstate`, relative to the root of sysfs.
pub(crate) fn module_state_path(name: &str) -> Result<SysfsPath, FileError> {
    module_file_path(name, "initstate")
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
    /// The text is not the number the file holds.
    NotANumber,
    /// Another read of the module's holds the hand-off slot (not expected:
    /// walks take turns).
    Busy,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // By value (`*self`), as the module's other Display impls: a `&Error`
        // argument would add one more formatting function to the module.
        match *self {
            Self::PathTooLong => f.write_str("path too long"),
            Self::Open(e) => write!(f, "open failed ({e:?})"),
            Self::Read(e) => write!(f, "read failed ({e:?})"),
            Self::TooLong => f.write_str("text longer than the read buffer"),
            Self::NotText => f.write_str("text is not UTF-8"),
            Self::NotANumber => f.write_str("text is not a number"),
            Self::Busy => f.write_str("another read of the module's is in progress"),
        }
    }
}

/// The module's own mount of sysfs, unmounted on drop.
pub(crate) struct SysfsMount {
    // INVARIANT: a mount returned by `kern_mount`, held by this value and
    // not yet unmounted.
    mnt: NonNull<bindings::vfsmount>,
}

// SAFETY: a `vfsmount` is reference counted and may be used and released
// from any thread.
unsafe impl Send for SysfsMount {}
// SAFETY: `&SysfsMount` only resolves paths from the mount's root, which
// the VFS allows from any number of threads at once.
unsafe impl Sync for SysfsMount {}

impl SysfsMount {
    /// Mounts sysfs for the module's own use.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: the name is a NUL-terminated string. sysfs is always built
        // in (`CONFIG_SYSFS` is not tristate), so the type has no module and
        // `get_fs_type` takes no reference that would need putting back
        // (`put_filesystem` is not exported to modules anyway).
        let fs_type = unsafe { bindings::get_fs_type(c"sysfs".as_ptr().cast()) };
        if fs_type.is_null() {
            return Err(ENODEV);
        }
        // SAFETY: `fs_type` is a registered file system type that is never
        // unregistered (built in).
        let mnt = unsafe { bindings::kern_mount(fs_type) };
        let mnt = kernel::error::from_err_ptr(mnt)?;
        // INVARIANT: `kern_mount` succeeded; we own the mount.
        NonNull::new(mnt).map(|mnt| Self { mnt }).ok_or(ENOMEM)
    }
}

impl Drop for SysfsMount {
    fn drop(&mut self) {
        // SAFETY: `self.mnt` came from `kern_mount` and is unmounted once,
        // here (type invariant); every file opened through it holds its own
        // reference to the mount.
        unsafe { bindings::kern_unmount(self.mnt.as_ptr()) };
    }
}

/// An open file, closed on drop.
pub(crate) struct SysfsFile {
    // INVARIANT: a valid `struct file *` returned by `file_open_root`,
    // owned by this value and not yet closed.
    file: NonNull<bindings::file>,
}

impl SysfsFile {
    /// Opens `path` (relative to the root of sysfs) read-only through
    /// `mount`. `Ok(None)` if it does not exist.
    pub(crate) fn open(mount: &SysfsMount, path: &SysfsPath) -> Result<Option<Self>, FileError> {
        let name = path.as_bytes_with_nul().as_ptr().cast::<c_char>();
        // SAFETY: `mount.mnt` is a live mount (type invariant of
        // `SysfsMount`), so its `mnt_root` is a valid dentry.
        let dentry = unsafe { (*mount.mnt.as_ptr()).mnt_root };
        let root = bindings::path {
            mnt: mount.mnt.as_ptr(),
            dentry,
        };
        // SAFETY: `root` is a valid path for the call (it borrows the
        // mount, which outlives the call); `name` points to a NUL-terminated
        // string (the `TextBuf` invariant) that outlives the call.
        let file = unsafe { bindings::file_open_root(&root, name, bindings::O_RDONLY as c_int, 0) };
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

    /// Reads the whole file from the start into `buf`, as text. For a sysfs
    /// attribute, every call runs the attribute's `show()` again.
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
}

impl Drop for SysfsFile {
    fn drop(&mut self) {
        // SAFETY: `self.file` is valid and owned by us (type invariant); it
        // is closed exactly once, here.
        unsafe { bindings::filp_close(self.file.as_ptr(), core::ptr::null_mut()) };
    }
}
