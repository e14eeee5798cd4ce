//! [`WindowHandle`]: the parent window every generation passes through to
//! its handler.

/// An opaque parent window handle (`HWND`), carried through to the handler.
///
/// The portable core never looks inside it; [`WindowHandle::NONE`] is the
/// null window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct WindowHandle(pub isize);

impl WindowHandle {
    /// No parent window.
    pub const NONE: Self = Self(0);
}
