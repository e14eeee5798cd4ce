//! `DllRegisterServer` and `DllUnregisterServer` for a DLL that serves
//! [`ServerClass`]es: [`register_server`] and [`unregister_server`].
//!
//! The keys and where their locations come from are in the docs of
//! [`register_server`].
//!
//! Both functions are idempotent: registering overwrites the same values,
//! unregistering a class that is not registered succeeds. A failure
//! answers the real code (`HRESULT_FROM_WIN32` of the registry's error,
//! for example `E_ACCESSDENIED`), never a generic one.

use std::ffi::c_void;

use windows::Win32::Foundation::{ERROR_FILE_NOT_FOUND, HMODULE, WIN32_ERROR};
use windows::Win32::System::LibraryLoader::{
    GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
    GetModuleFileNameW, GetModuleHandleExW,
};
use windows::Win32::System::Registry::{
    HKEY, HKEY_CLASSES_ROOT, HKEY_LOCAL_MACHINE, KEY_WRITE, REG_OPTION_NON_VOLATILE, REG_SZ,
    RegCloseKey, RegCreateKeyExW, RegDeleteTreeW, RegSetValueExW,
};
use windows_core::{HRESULT, PCWSTR};

use super::convert::{from_hresult, to_hresult};
use super::error::{ComError, entry};
use super::server::{ClassKind, ServerClass};
use crate::HResult;

/// Where SyncMgr finds its handlers, under `HKEY_LOCAL_MACHINE` (see
/// [`register_server`] for the source).
pub const SYNC_MGR_HANDLERS_KEY: &str =
    r"Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers";

/// A Win32 registry error as the failure of `method`.
fn failed(method: &'static str, error: WIN32_ERROR) -> ComError {
    ComError::from_code(method, from_hresult(error.to_hresult()))
}

/// `text` with its NUL.
fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

/// An open registry key, closed when dropped.
struct Key(HKEY);

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: a key this module opened, closed once.
        let _ = unsafe { RegCloseKey(self.0) };
    }
}

impl Key {
    /// Create (or open) `path` under `parent` for writing.
    fn create(parent: HKEY, path: &str) -> Result<Self, ComError> {
        let path = wide(path);
        let mut key = HKEY::default();
        // SAFETY: a terminated path, a writable out handle; no class, no
        // security attributes, no disposition.
        let error = unsafe {
            RegCreateKeyExW(
                parent,
                PCWSTR(path.as_ptr()),
                None,
                PCWSTR::null(),
                REG_OPTION_NON_VOLATILE,
                KEY_WRITE,
                None,
                &mut key,
                None,
            )
        };
        if error.is_err() {
            return Err(failed("RegCreateKeyExW", error));
        }
        Ok(Self(key))
    }

    /// Set the string value `name` (`None`: the default value).
    fn set(&self, name: Option<&str>, value: &str) -> Result<(), ComError> {
        let name = name.map(wide);
        let value = wide(value);
        let bytes: Vec<u8> = value.iter().flat_map(|u| u.to_le_bytes()).collect();
        // SAFETY: an open key, a terminated name or NULL, and the bytes of
        // a terminated string.
        let error = unsafe {
            RegSetValueExW(
                self.0,
                name.as_ref().map_or(PCWSTR::null(), |n| PCWSTR(n.as_ptr())),
                None,
                REG_SZ,
                Some(&bytes),
            )
        };
        if error.is_err() {
            return Err(failed("RegSetValueExW", error));
        }
        Ok(())
    }
}

/// Delete `path` under `parent` with everything below it; a key that does
/// not exist is already deleted.
fn delete_tree(parent: HKEY, path: &str) -> Result<(), ComError> {
    let path = wide(path);
    // SAFETY: a predefined key and a terminated path.
    let error = unsafe { RegDeleteTreeW(parent, PCWSTR(path.as_ptr())) };
    if error.is_err() && error != ERROR_FILE_NOT_FOUND {
        return Err(failed("RegDeleteTreeW", error));
    }
    Ok(())
}

/// The path of the module (DLL) that contains `address`.
fn module_path(address: *const c_void) -> Result<String, ComError> {
    const METHOD: &str = "GetModuleFileNameW";
    let mut module = HMODULE::default();
    // SAFETY: with FROM_ADDRESS the "name" is an address looked up, not
    // read; UNCHANGED_REFCOUNT takes no reference to release.
    unsafe {
        GetModuleHandleExW(
            GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
            PCWSTR(address.cast()),
            &mut module,
        )
    }
    .map_err(|e| ComError::from_windows("GetModuleHandleExW", &e))?;
    let mut buffer = vec![0u16; 260];
    loop {
        // SAFETY: a module handle and a writable buffer of its length.
        let len = unsafe { GetModuleFileNameW(Some(module), &mut buffer) } as usize;
        if len == 0 {
            return Err(ComError::from_windows(
                METHOD,
                &windows_core::Error::from_thread(),
            ));
        }
        if len < buffer.len() {
            return String::from_utf16(&buffer[..len]).map_err(|_| ComError::InvalidArgument {
                method: METHOD,
                reason: "the module path is not valid UTF-16".to_owned(),
            });
        }
        if buffer.len() >= 32_768 {
            return Err(ComError::InvalidArgument {
                method: METHOD,
                reason: "the module path is longer than 32767 units".to_owned(),
            });
        }
        buffer.resize(buffer.len() * 2, 0);
    }
}

/// The registry roots the keys are written under (the predefined keys,
/// or others in tests).
#[derive(Clone, Copy)]
pub(crate) struct Roots {
    pub(crate) classes: HKEY,
    pub(crate) machine: HKEY,
}

impl Roots {
    const SYSTEM: Self = Self {
        classes: HKEY_CLASSES_ROOT,
        machine: HKEY_LOCAL_MACHINE,
    };
}

/// Write the keys of `class` served by the DLL at `path`.
pub(crate) fn write_class(roots: Roots, class: &ServerClass, path: &str) -> Result<(), ComError> {
    let clsid = class.clsid.to_string();
    Key::create(roots.classes, &format!(r"CLSID\{clsid}"))?.set(None, class.name)?;
    let server = Key::create(roots.classes, &format!(r"CLSID\{clsid}\InprocServer32"))?;
    server.set(None, path)?;
    server.set(Some("ThreadingModel"), "Both")?;
    if let ClassKind::SyncMgr(_) = class.kind {
        Key::create(roots.machine, &format!(r"{SYNC_MGR_HANDLERS_KEY}\{clsid}"))?
            .set(None, class.name)?;
    }
    Ok(())
}

/// Remove the keys of `class`.
pub(crate) fn remove_class(roots: Roots, class: &ServerClass) -> Result<(), ComError> {
    let clsid = class.clsid.to_string();
    delete_tree(roots.classes, &format!(r"CLSID\{clsid}"))?;
    if let ClassKind::SyncMgr(_) = class.kind {
        delete_tree(roots.machine, &format!(r"{SYNC_MGR_HANDLERS_KEY}\{clsid}"))?;
    }
    Ok(())
}

/// `DllRegisterServer` for a DLL serving `classes`: write these keys for
/// each, the DLL being the module that contains `module_address` (any
/// function of the DLL).
///
/// | key | written for | values |
/// |---|---|---|
/// | `HKCR\CLSID\{clsid}` | every class | default: the class's name |
/// | `HKCR\CLSID\{clsid}\InprocServer32` | every class | default: the DLL's path; `ThreadingModel` = `Both` (the exported objects aggregate the free-threaded marshaler) |
/// | `HKLM\Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers\{clsid}` | SyncMgr classes | default: the class's name |
///
/// The last key is the "SyncMgr key" of Microsoft's *ISyncMgrRegister
/// interface (mobsync.h)* page, Remarks: "The handler must be a standard
/// OLE server. It must register the standard OLE keys for an InProc OLE
/// server in addition to the SyncMgr key." Its location is the one
/// Microsoft's Platform SDK SyncMgr sample writes in its
/// `DllRegisterServer` (`Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers`
/// under `HKEY_LOCAL_MACHINE`, one subkey per CLSID whose default value is
/// the description). Microsoft's Sync Center documentation names no
/// registry key for a single `ISyncMgrHandler`: its *ISyncMgrHandlerCollection
/// interface (syncmgr.h)* page says a handler collection lets an author add
/// handlers "as opposed to registering each one individually in the
/// registry" without naming that location, and this crate serves no handler
/// collection; a Sync Center class therefore gets the COM keys only.
/// Answers `S_OK`, or the first failure's code (`E_ACCESSDENIED` without
/// the rights to write `HKEY_CLASSES_ROOT`, for example); a panic answers
/// `E_UNEXPECTED`. Registering again overwrites the same values.
pub fn register_server(classes: &[ServerClass], module_address: *const c_void) -> HRESULT {
    register_server_lazy(|| classes, module_address)
}

/// `DllUnregisterServer` for a DLL serving `classes`: remove the keys
/// [`register_server`] writes for each (the shared `SyncMgr\Handlers` key
/// itself stays). A class that is not registered is
/// skipped, so unregistering twice succeeds; otherwise as
/// [`register_server`].
pub fn unregister_server(classes: &[ServerClass]) -> HRESULT {
    unregister_server_lazy(|| classes)
}

/// [`register_server`] with its classes computed inside the panic guard
/// (what [`export_com_server!`](crate::export_com_server) expands to).
#[doc(hidden)]
pub fn register_server_lazy<'a>(
    classes: impl FnOnce() -> &'a [ServerClass],
    module_address: *const c_void,
) -> HRESULT {
    to_hresult(entry("DllRegisterServer", || {
        let path = module_path(module_address)?;
        for class in classes() {
            write_class(Roots::SYSTEM, class, &path)?;
        }
        Ok(HResult::S_OK)
    }))
}

/// [`unregister_server`] with its classes computed inside the panic guard.
#[doc(hidden)]
pub fn unregister_server_lazy<'a>(classes: impl FnOnce() -> &'a [ServerClass]) -> HRESULT {
    to_hresult(entry("DllUnregisterServer", || {
        for class in classes() {
            remove_class(Roots::SYSTEM, class)?;
        }
        Ok(HResult::S_OK)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Guid;
    use crate::sync::Arc;
    use crate::sync_center::SyncCenterHandler;
    use windows::Win32::System::Registry::HKEY_CURRENT_USER;

    fn make() -> Arc<dyn SyncCenterHandler> {
        unreachable!("never instantiated")
    }

    const CLASS: ServerClass = ServerClass::sync_center(
        Guid::from_u128(0x5EC7_0000_0000_4000_8000_0000_0000_0042),
        "t",
        make,
    );

    #[test]
    fn the_module_path_is_this_executable() {
        let path = module_path(the_module_path_is_this_executable as *const c_void).unwrap();
        let exe = std::env::current_exe().unwrap();
        assert_eq!(
            path.to_lowercase().rsplit('\\').next(),
            exe.to_string_lossy()
                .to_lowercase()
                .rsplit(['\\', '/'])
                .next()
        );
    }

    #[test]
    fn a_key_that_cannot_be_written_answers_the_real_code() {
        // A handle that was closed: the registry answers
        // ERROR_INVALID_HANDLE, which crosses as HRESULT_FROM_WIN32(6).
        let closed = Key::create(HKEY_CURRENT_USER, r"Software\syncmgr-register-closed").unwrap();
        let handle = closed.0;
        drop(closed);
        delete_tree(HKEY_CURRENT_USER, r"Software\syncmgr-register-closed").unwrap();
        let roots = Roots {
            classes: handle,
            machine: handle,
        };
        let error = write_class(roots, &CLASS, r"C:\x.dll").unwrap_err();
        assert_eq!(error.hresult(), HResult(0x8007_0006_u32 as i32), "{error}");
        assert!(matches!(
            error,
            ComError::Failed {
                method: "RegCreateKeyExW",
                ..
            }
        ));
    }

    #[test]
    fn writing_and_removing_are_idempotent() {
        let path = wide(r"Software\syncmgr-register-test");
        let mut root = HKEY::default();
        // SAFETY: a predefined key, a terminated path, a writable handle.
        let error = unsafe {
            RegCreateKeyExW(
                HKEY_CURRENT_USER,
                PCWSTR(path.as_ptr()),
                None,
                PCWSTR::null(),
                REG_OPTION_NON_VOLATILE,
                windows::Win32::System::Registry::KEY_ALL_ACCESS,
                None,
                &mut root,
                None,
            )
        };
        assert!(error.is_ok());
        let root = Key(root);
        let roots = Roots {
            classes: root.0,
            machine: root.0,
        };
        write_class(roots, &CLASS, r"C:\x.dll").unwrap();
        write_class(roots, &CLASS, r"C:\x.dll").unwrap();
        remove_class(roots, &CLASS).unwrap();
        remove_class(roots, &CLASS).unwrap();
        drop(root);
        delete_tree(HKEY_CURRENT_USER, r"Software\syncmgr-register-test").unwrap();
    }
}
