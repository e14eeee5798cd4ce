//! [`load_handler`]: a handler class from an in-process server DLL, the way
//! a host creates it (`LoadLibrary`, `DllGetClassObject`,
//! `IClassFactory::CreateInstance`), without the registry.

use std::ffi::c_void;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;

use windows::Win32::System::Com::IClassFactory;
use windows::Win32::System::LibraryLoader::{GetProcAddress, LoadLibraryW};
use windows::Win32::UI::Shell::ISyncMgrSynchronize;
use windows_core::{GUID, HRESULT, Interface, PCSTR, PCWSTR};

use super::convert::{from_hresult, to_guid};
use super::error::ComError;
use crate::Guid;

/// `DllGetClassObject`'s signature.
type GetClassObject =
    unsafe extern "system" fn(*const GUID, *const GUID, *mut *mut c_void) -> HRESULT;

/// Load the DLL at `dll` and create its handler class `clsid` as a host
/// does, without looking in the registry: `LoadLibrary`, its exported
/// `DllGetClassObject`, and `IClassFactory::CreateInstance` for
/// `ISyncMgrSynchronize`. Drive the result with
/// [`ComHandler::new`](super::ComHandler::new). The DLL stays loaded for
/// the life of the process (hosts unload through `DllCanUnloadNow`).
///
/// # Errors
///
/// [`ComError::Failed`] with the code of the step that failed (a missing
/// file is `LoadLibraryW`'s `0x8007007E`), or
/// [`ComError::InvalidArgument`] for a DLL that exports no
/// `DllGetClassObject` or whose class factory gives no handler.
pub fn load_handler(dll: &Path, clsid: Guid) -> Result<ISyncMgrSynchronize, ComError> {
    let path: Vec<u16> = dll.as_os_str().encode_wide().chain(Some(0)).collect();
    // SAFETY: `path` is a NUL-terminated wide string that outlives the call.
    let module = unsafe { LoadLibraryW(PCWSTR(path.as_ptr())) }
        .map_err(|e| ComError::from_windows("LoadLibraryW", &e))?;
    // SAFETY: a loaded module and a NUL-terminated name.
    let export = unsafe { GetProcAddress(module, PCSTR(c"DllGetClassObject".as_ptr().cast())) }
        .ok_or_else(|| ComError::InvalidArgument {
            method: "GetProcAddress",
            reason: format!("{} exports no DllGetClassObject", dll.display()),
        })?;
    // SAFETY: `DllGetClassObject` has this signature by COM's contract for
    // in-process servers.
    let get_class_object = unsafe {
        std::mem::transmute::<unsafe extern "system" fn() -> isize, GetClassObject>(export)
    };
    let clsid = to_guid(clsid);
    let mut factory = std::ptr::null_mut();
    // SAFETY: valid pointers to a CLSID, an IID and an out pointer, each
    // living across the call.
    let code = unsafe { get_class_object(&clsid, &IClassFactory::IID, &mut factory) };
    if code.is_err() {
        return Err(ComError::from_code("DllGetClassObject", from_hresult(code)));
    }
    if factory.is_null() {
        return Err(ComError::InvalidArgument {
            method: "DllGetClassObject",
            reason: "it succeeded and gave no class factory".into(),
        });
    }
    // SAFETY: an owned IClassFactory reference that DllGetClassObject
    // returned for IClassFactory's IID.
    let factory = unsafe { IClassFactory::from_raw(factory) };
    // SAFETY: no aggregation; the result is an owned reference.
    unsafe { factory.CreateInstance::<_, ISyncMgrSynchronize>(None) }
        .map_err(|e| ComError::from_windows("IClassFactory::CreateInstance", &e))
}
