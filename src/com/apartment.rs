//! Apartments: [`Mta`] (enter the multithreaded apartment for a scope),
//! which apartment the calling thread is in, the home window that carries
//! calls to a single-threaded apartment's thread, and [`join_pumping`].
//!
//! # Carrying calls to an STA thread
//!
//! An object created in a single-threaded apartment (STA) may only be
//! called on that apartment's thread. COM carries calls there through a
//! proxy, which needs a proxy/stub registered for the interface; when there
//! is none, this module does what the proxy would: each STA thread that
//! imports an object gets one message-only window ([`StaHome`]), and a call
//! made on another thread is sent to that window (`SendMessageW`) and runs
//! inside the STA thread's message loop, while the caller waits. So the STA
//! must pump messages whenever it waits, exactly as it must for a COM
//! proxy. A release made on another thread is posted (`PostMessageW`) and
//! never waits.
//!
//! The window is a `STATIC` window subclassed with this module's window
//! procedure (no window class of our own, so nothing is left registered
//! when a DLL unloads). It is counted in [`live_objects`](super::live_objects)
//! from its creation to its `WM_NCDESTROY`, so `DllCanUnloadNow` answers
//! `S_FALSE` while the window procedure may still run.
//!
//! # Invariants
//!
//! - A [`StaHome`]'s window belongs to its thread; it is destroyed on that
//!   thread: at once when the last `Arc` goes there, else through a posted
//!   message, else by Windows when the thread ends.
//! - A job sent to the window runs exactly once, on the home thread, while
//!   its sender waits in `SendMessageW`; a job posted to it runs at most
//!   once (never when the thread ended first: it is then leaked, since
//!   nothing may touch an object of an apartment that is gone).
//!
//! # Deadlock safety
//!
//! No lock is held here. A sender waits for the home thread to pump; a
//! home thread that waits for another thread must pump while it waits
//! ([`join_pumping`]), and must not wait for a thread that is calling into
//! it without pumping: that is the deadlock the module docs' "Handlers
//! served to STA hosts" pattern avoids.

use crate::sync::Weak;
use std::cell::RefCell;
use std::ffi::c_void;
use std::marker::PhantomData;
use std::os::windows::io::AsRawHandle;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::thread::JoinHandle;

use windows::Win32::Foundation::{HANDLE, HWND, LPARAM, LRESULT, WAIT_OBJECT_0, WPARAM};
use windows::Win32::System::Com::{
    APTTYPE, APTTYPE_MAINSTA, APTTYPE_MTA, APTTYPE_NA, APTTYPE_STA, APTTYPEQUALIFIER,
    COINIT_MULTITHREADED, CoGetApartmentType, CoGetCallContext, CoInitializeEx, CoUninitialize,
};
use windows::Win32::UI::WindowsAndMessaging::{
    CallWindowProcW, CreateWindowExW, DestroyWindow, DispatchMessageW, GWLP_WNDPROC,
    GetWindowThreadProcessId, HWND_MESSAGE, MSG, MWMO_INPUTAVAILABLE, MsgWaitForMultipleObjectsEx,
    PM_REMOVE, PeekMessageW, PostMessageW, QS_ALLINPUT, RegisterWindowMessageW, SendMessageW,
    SetWindowLongPtrW, TranslateMessage, WINDOW_EX_STYLE, WINDOW_STYLE, WM_NCDESTROY, WNDPROC,
};
use windows_core::{PCWSTR, w};

use super::convert::from_hresult;
use super::error::{ApartmentProblem, ComError};
use super::live;
use crate::sync::{Arc, AtomicUsize, OnceLock, Ordering};

#[link(name = "kernel32")]
unsafe extern "system" {
    fn GetCurrentThreadId() -> u32;
    fn GetThreadId(thread: *mut c_void) -> u32;
}

/// The calling thread's id.
pub(crate) fn thread_id() -> u32 {
    // SAFETY: no arguments, no preconditions.
    unsafe { GetCurrentThreadId() }
}

/// This thread's membership of the multithreaded apartment (MTA), from
/// [`Mta::enter`] until the guard is dropped.
///
/// A thread must be in COM before it creates a
/// [`ComCallback`](super::ComCallback) or [`ComHandler`](super::ComHandler)
/// (in the MTA, an STA, or implicitly in the MTA while another thread holds
/// it open); a handler's worker threads typically start with
/// `let _mta = Mta::enter()?;`. The guard stays on its thread (it is
/// neither `Send` nor `Sync`).
#[derive(Debug)]
pub struct Mta {
    _not_send: PhantomData<*const ()>,
}

impl Mta {
    /// `CoInitializeEx(NULL, COINIT_MULTITHREADED)`.
    ///
    /// # Errors
    ///
    /// The thread is already in a single-threaded apartment
    /// (`RPC_E_CHANGED_MODE`), or COM failed to start.
    pub fn enter() -> Result<Self, ComError> {
        // SAFETY: no pointer argument; balanced by `CoUninitialize` in
        // `Drop` on the same thread (the guard is not `Send`).
        let code = from_hresult(unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) });
        if code.is_failure() {
            return Err(ComError::from_code("CoInitializeEx", code));
        }
        Ok(Self {
            _not_send: PhantomData,
        })
    }
}

impl Drop for Mta {
    fn drop(&mut self) {
        // SAFETY: balances the successful `CoInitializeEx` of `enter`, on
        // the same thread.
        unsafe { CoUninitialize() };
    }
}

/// The apartment the calling thread is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Apartment {
    /// The multithreaded apartment, entered or implicit (a thread that has
    /// not entered COM while the MTA exists).
    Mta,
    /// A single-threaded apartment (the main one included): this thread's.
    Sta,
    /// The neutral apartment.
    Neutral,
}

/// The calling thread's apartment (`CoGetApartmentType`).
///
/// # Errors
///
/// [`ApartmentProblem::NotEntered`] when the thread is in no apartment,
/// not even implicitly.
pub(crate) fn current(method: &'static str) -> Result<Apartment, ComError> {
    let mut kind = APTTYPE(0);
    let mut qualifier = APTTYPEQUALIFIER(0);
    // SAFETY: two writable out values.
    match unsafe { CoGetApartmentType(&mut kind, &mut qualifier) } {
        Ok(()) => Ok(match kind {
            APTTYPE_STA | APTTYPE_MAINSTA => Apartment::Sta,
            APTTYPE_NA => Apartment::Neutral,
            APTTYPE_MTA => Apartment::Mta,
            _ => Apartment::Mta,
        }),
        Err(error) if from_hresult(error.code()) == ApartmentProblem::CO_E_NOTINITIALIZED => {
            Err(ComError::Apartment {
                method,
                problem: ApartmentProblem::NotEntered,
            })
        }
        Err(error) => Err(ComError::from_windows(method, &error)),
    }
}

/// Run `body` with the calling thread in COM: as it is when it is in an
/// apartment, else inside the MTA for the call.
pub(crate) fn in_com<R>(body: impl FnOnce() -> R) -> R {
    if current("in_com").is_ok() {
        return body();
    }
    // A guard that is dropped after `body` and undoes the entry.
    let _mta = Mta::enter().ok();
    body()
}

/// A call carried to a home window: who sent it, and what to run.
struct Carried<'a> {
    sender: u32,
    job: &'a mut dyn FnMut(),
}

crate::sync::thread_local! {
    /// The threads whose carried calls this thread is running right now
    /// (nested, innermost last): each is blocked until its call returns.
    static SERVING: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// This thread is running a call carried here from `thread`, which is
/// therefore waiting for this thread.
fn serving(thread: u32) -> bool {
    SERVING.with(|s| s.borrow().contains(&thread))
}

/// This thread is inside a call that reached it through COM (a proxy's
/// call, dispatched by COM's channel); its caller, unknown, waits for it.
fn in_incoming_com_call() -> bool {
    // SAFETY: no arguments; an owned interface or an error.
    unsafe { CoGetCallContext::<windows_core::IUnknown>() }.is_ok()
}

/// The window messages of a [`StaHome`], registered once per process (the
/// same numbers for every copy of the crate).
#[derive(Clone, Copy)]
struct Messages {
    /// `LPARAM`: `*mut Carried`, run and return 1.
    call: u32,
    /// `LPARAM`: `Box<Posted>`, run once.
    post: u32,
    /// Destroy the window.
    close: u32,
}

fn messages() -> Messages {
    static MESSAGES: OnceLock<Messages> = OnceLock::new();
    *MESSAGES.get_or_init(|| {
        // SAFETY: constant, NUL-terminated names.
        unsafe {
            Messages {
                call: RegisterWindowMessageW(w!("syncmgr.com.apartment.call")),
                post: RegisterWindowMessageW(w!("syncmgr.com.apartment.post")),
                close: RegisterWindowMessageW(w!("syncmgr.com.apartment.close")),
            }
        }
    })
}

/// The `STATIC` class's own window procedure, which ours forwards to.
static STATIC_PROC: AtomicUsize = AtomicUsize::new(0);

/// A job posted to a home window: run once on the home thread.
type Posted = Box<dyn FnOnce()>;

/// The window procedure of every home window.
unsafe extern "system" fn home_proc(
    hwnd: HWND,
    msg: u32,
    wparam: WPARAM,
    lparam: LPARAM,
) -> LRESULT {
    let ids = messages();
    if msg == ids.call && msg != 0 {
        // SAFETY: the sender (`StaHome::run`) passes a live `Carried` and
        // waits in SendMessageW until we return.
        let carried = unsafe { &mut *(lparam.0 as *mut Carried<'_>) };
        SERVING.with(|s| s.borrow_mut().push(carried.sender));
        // The job catches its own panics (see `run`).
        (carried.job)();
        SERVING.with(|s| s.borrow_mut().pop());
        return LRESULT(1);
    }
    if msg == ids.post && msg != 0 {
        // SAFETY: `StaHome::post` passed ownership of a `Box<Posted>`.
        let job = unsafe { Box::from_raw(lparam.0 as *mut Posted) };
        // Nothing may unwind out of a window procedure.
        let _ = catch_unwind(AssertUnwindSafe(move || (*job)()));
        return LRESULT(1);
    }
    if msg == ids.close && msg != 0 {
        // SAFETY: our own window, on its own thread.
        let _ = unsafe { DestroyWindow(hwnd) };
        return LRESULT(0);
    }
    if msg == WM_NCDESTROY {
        // The window's last message: it stops counting after this call.
        live::release();
    }
    let original = STATIC_PROC.load(Ordering::SeqCst);
    // SAFETY: `original` is the STATIC class's window procedure (set before
    // any window was subclassed), a valid WNDPROC.
    unsafe {
        let original: WNDPROC = std::mem::transmute::<usize, WNDPROC>(original);
        CallWindowProcW(original, hwnd, msg, wparam, lparam)
    }
}

/// The home of objects received on one single-threaded apartment's thread:
/// that thread's id and a message-only window on it that runs calls made on
/// other threads.
pub(crate) struct StaHome {
    /// The window (an `HWND` as an integer: window handles are valid
    /// process-wide).
    hwnd: isize,
    thread: u32,
}

crate::sync::thread_local! {
    /// This thread's home, while any import holds it.
    static HOME: RefCell<Weak<StaHome>> = const { RefCell::new(Weak::new()) };
}

impl StaHome {
    /// The calling thread's home, made on first use.
    ///
    /// # Errors
    ///
    /// The window could not be made.
    pub(crate) fn current(method: &'static str) -> Result<Arc<Self>, ComError> {
        if let Some(home) = HOME.with(|h| h.borrow().upgrade()) {
            return Ok(home);
        }
        let ids = messages();
        if ids.call == 0 || ids.post == 0 || ids.close == 0 {
            return Err(ComError::from_windows(
                method,
                &windows_core::Error::from_thread(),
            ));
        }
        // SAFETY: a message-only window of a system class, no parameters.
        let hwnd = unsafe {
            CreateWindowExW(
                WINDOW_EX_STYLE(0),
                w!("STATIC"),
                PCWSTR::null(),
                WINDOW_STYLE(0),
                0,
                0,
                0,
                0,
                Some(HWND_MESSAGE),
                None,
                None,
                None,
            )
        }
        .map_err(|e| ComError::from_windows(method, &e))?;
        live::acquire();
        let ours = home_proc as unsafe extern "system" fn(HWND, u32, WPARAM, LPARAM) -> LRESULT;
        // SAFETY: our own window on this thread; the previous procedure is
        // the STATIC class's, the same for every such window, saved before
        // any message reaches ours.
        let previous = unsafe { SetWindowLongPtrW(hwnd, GWLP_WNDPROC, ours as usize as isize) };
        STATIC_PROC.store(previous as usize, Ordering::SeqCst);
        let home = Arc::new(Self {
            hwnd: hwnd.0 as isize,
            thread: thread_id(),
        });
        HOME.with(|h| *h.borrow_mut() = Arc::downgrade(&home));
        Ok(home)
    }

    fn hwnd(&self) -> HWND {
        HWND(self.hwnd as *mut c_void)
    }

    /// The id of the home thread.
    pub(crate) fn thread(&self) -> u32 {
        self.thread
    }

    /// The calling thread is the home thread.
    pub(crate) fn is_current(&self) -> bool {
        thread_id() == self.thread
    }

    /// The window still exists and belongs to the home thread (a window is
    /// destroyed when its thread ends; a reused handle belongs to another).
    fn is_alive(&self) -> bool {
        // SAFETY: any handle value may be asked about; 0 for a dead one.
        unsafe { GetWindowThreadProcessId(self.hwnd(), None) == self.thread }
    }

    fn ended(&self, method: &'static str) -> ComError {
        ComError::Apartment {
            method,
            problem: ApartmentProblem::HomeThreadEnded { home: self.thread },
        }
    }

    /// Run `job` on the home thread and wait for it: at once on the home
    /// thread itself, else inside its message loop (`SendMessageW`). A
    /// panic in `job` resumes on the caller.
    ///
    /// `job` is not required to be `Send`: it runs on the home thread while
    /// its caller is blocked here, so it is never used by two threads at
    /// once, and everything it borrows outlives the call. Callers pass
    /// jobs that touch COM interface pointers and plain data only (no
    /// thread-bound guard).
    ///
    /// # Errors
    ///
    /// [`ApartmentProblem::HomeThreadEnded`].
    pub(crate) fn run<R>(
        &self,
        method: &'static str,
        job: impl FnOnce() -> R,
    ) -> Result<R, ComError> {
        if self.is_current() {
            return Ok(job());
        }
        if !self.is_alive() {
            return Err(self.ended(method));
        }
        let mut job = Some(job);
        let mut out = None;
        {
            let mut call = || {
                if let Some(job) = job.take() {
                    out = Some(catch_unwind(AssertUnwindSafe(job)));
                }
            };
            let mut carried = Carried {
                sender: thread_id(),
                job: &mut call,
            };
            let lparam = LPARAM(std::ptr::from_mut(&mut carried) as isize);
            // SAFETY: `carried` lives until SendMessageW returns, which is
            // after the window procedure ran it (or never will: the window
            // is gone).
            unsafe { SendMessageW(self.hwnd(), messages().call, None, Some(lparam)) };
        }
        match out {
            Some(Ok(value)) => Ok(value),
            Some(Err(payload)) => resume_unwind(payload),
            None => Err(self.ended(method)),
        }
    }

    /// Run `job` on the home thread without waiting: at once on the home
    /// thread, else when its message loop next runs (`PostMessageW`).
    /// When the home thread has ended, `job` is leaked, not run: it holds
    /// an object of an apartment that is gone.
    ///
    /// `job` is not required to be `Send` (see [`run`](Self::run)): the
    /// caller hands it over and never touches what it holds again.
    pub(crate) fn post(&self, job: impl FnOnce() + 'static) {
        if self.is_current() {
            job();
            return;
        }
        let job: Box<Posted> = Box::new(Box::new(job));
        let raw = Box::into_raw(job);
        // SAFETY: the window procedure takes ownership of `raw` when the
        // message is dispatched.
        let posted = unsafe {
            PostMessageW(
                Some(self.hwnd()),
                messages().post,
                WPARAM(0),
                LPARAM(raw as isize),
            )
        };
        // When the post failed the window is gone with its thread, and the
        // job is leaked (see above): `raw` is simply not freed.
        let _ = posted;
    }
}

impl Drop for StaHome {
    fn drop(&mut self) {
        if self.is_current() {
            // SAFETY: our own window, on its own thread.
            let _ = unsafe { DestroyWindow(self.hwnd()) };
        } else {
            // SAFETY: a message without pointers; fails harmlessly when the
            // window is gone.
            let _ =
                unsafe { PostMessageW(Some(self.hwnd()), messages().close, WPARAM(0), LPARAM(0)) };
        }
    }
}

/// Dispatch every message waiting for the calling thread.
fn pump() {
    let mut msg = MSG::default();
    // SAFETY: a writable MSG; standard message loop calls.
    while unsafe { PeekMessageW(&mut msg, None, 0, 0, PM_REMOVE) }.as_bool() {
        // SAFETY: a message just removed from this thread's queue.
        unsafe {
            let _ = TranslateMessage(&msg);
            DispatchMessageW(&msg);
        }
    }
}

/// Dispatch the posted jobs and closes waiting for this thread's home
/// windows, and nothing else.
fn drain_posted() {
    let ids = messages();
    for id in [ids.post, ids.close] {
        if id == 0 {
            continue;
        }
        let mut msg = MSG::default();
        // SAFETY: a writable MSG; only our registered message is removed.
        while unsafe { PeekMessageW(&mut msg, None, id, id, PM_REMOVE) }.as_bool() {
            // SAFETY: a message just removed from this thread's queue.
            unsafe { DispatchMessageW(&msg) };
        }
    }
}

/// What [`join_pumping`] did.
#[derive(Debug)]
#[must_use = "a worker that was not joined is still running"]
pub enum Joined<T> {
    /// The worker ended: its result, as [`JoinHandle::join`] gives it.
    Finished(std::thread::Result<T>),
    /// The worker may be waiting for this very thread, so waiting for it
    /// would never end: this thread is the worker itself (inside a callback
    /// it made directly), or is running a call the worker is making
    /// (carried here by this module), or is inside a call that reached it
    /// through COM (whose caller may be the worker). The handle is given
    /// back, the worker still running: join it later, or drop it to let
    /// the worker end on its own (it should then hold a
    /// [`ServerLock`](super::ServerLock), so that the DLL is not unloaded
    /// under it).
    WaitingForThisThread(JoinHandle<T>),
}

/// Join `worker`; on a single-threaded apartment's thread, dispatch window
/// messages while waiting, so that calls the worker makes into this
/// apartment (through a COM proxy, or carried by this module) are served
/// and the worker can finish.
///
/// A handler served to an STA host joins its worker with this instead of
/// [`JoinHandle::join`] wherever the host's thread may be the one waiting
/// (in `SetProgressCallback`, in the final `Release`): see "Handlers served
/// to STA hosts" in the [module docs](super). Once the worker has ended,
/// the releases it posted to this thread are run too, so every reference it
/// held on this apartment's objects is gone when this returns.
///
/// It does not wait when waiting cannot end: when this thread is the worker
/// or is serving a call the worker is making (a host that releases the
/// handler from inside its own callback, while the worker waits for that
/// callback to return), it answers [`Joined::WaitingForThisThread`] with
/// the handle.
///
/// On any other thread this is `worker.join()`.
pub fn join_pumping<T>(worker: JoinHandle<T>) -> Joined<T> {
    if worker.thread().id() == std::thread::current().id() {
        // A callback the worker makes directly (an agile or MTA host
        // callback) in which the host releases the handler.
        return Joined::WaitingForThisThread(worker);
    }
    if current("join_pumping") == Ok(Apartment::Sta) {
        let handle = HANDLE(worker.as_raw_handle());
        // SAFETY: a live thread handle (owned by `worker`).
        let id = unsafe { GetThreadId(handle.0) };
        if !worker.is_finished() && (serving(id) || in_incoming_com_call()) {
            return Joined::WaitingForThisThread(worker);
        }
        loop {
            // SAFETY: a live thread handle (owned by `worker`).
            let woke = unsafe {
                MsgWaitForMultipleObjectsEx(
                    Some(&[handle]),
                    u32::MAX,
                    QS_ALLINPUT,
                    MWMO_INPUTAVAILABLE,
                )
            };
            if woke == WAIT_OBJECT_0 {
                break;
            }
            if woke.0 != WAIT_OBJECT_0.0 + 1 {
                // A failed wait: fall back to a plain join.
                break;
            }
            pump();
        }
        drain_posted();
    }
    Joined::Finished(worker.join())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_com_puts_a_thread_outside_com_in_the_mta_for_the_call_only() {
        std::thread::spawn(|| {
            // Outside COM, or implicitly in the MTA when another test holds
            // it open: either way, COM is usable inside and as before after.
            let before = current("test").is_ok();
            assert_eq!(in_com(|| current("test")), Ok(Apartment::Mta));
            assert_eq!(current("test").is_ok(), before);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_job_runs_on_the_home_thread_and_a_panic_comes_back() {
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let home_thread = std::thread::spawn(move || {
            let home = StaHome::current("test").unwrap();
            tx.send((Arc::clone(&home), thread_id())).unwrap();
            // Pump until the other side is done.
            while done_rx.try_recv().is_err() {
                pump();
                std::thread::yield_now();
            }
            drop(home);
        });
        let (home, id) = rx.recv().unwrap();
        assert!(!home.is_current());
        assert_eq!(home.run("test", thread_id), Ok(id));
        let panic = catch_unwind(AssertUnwindSafe(|| {
            home.run("test", || panic!("in the job"))
        }));
        assert!(panic.is_err(), "the job's panic resumes on the caller");
        done_tx.send(()).unwrap();
        home_thread.join().unwrap();
        assert_eq!(
            home.run("test", || ()),
            Err(ComError::Apartment {
                method: "test",
                problem: ApartmentProblem::HomeThreadEnded { home: id },
            })
        );
    }
}
