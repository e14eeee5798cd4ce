//! [`panic_error`]: the one message every host gives a panic it caught in
//! user code, so a panic in a handler or callback of any generation reads
//! the same.

use std::any::Any;

use crate::HandlerError;

/// The error for a panic in `call`, with the panic's message when it has one.
pub(crate) fn panic_error(call: &str, payload: &(dyn Any + Send)) -> HandlerError {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    HandlerError::failed(format!("handler panicked in {call}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_payloads_become_messages() {
        let text: Box<dyn Any + Send> = Box::new("boom");
        let owned: Box<dyn Any + Send> = Box::new(String::from("boom 2"));
        let other: Box<dyn Any + Send> = Box::new(7_u8);
        assert_eq!(
            panic_error("Synchronize", &*text),
            HandlerError::failed("handler panicked in Synchronize: boom")
        );
        assert_eq!(
            panic_error("Synchronize", &*owned),
            HandlerError::failed("handler panicked in Synchronize: boom 2")
        );
        assert_eq!(
            panic_error("Synchronize", &*other),
            HandlerError::failed("handler panicked in Synchronize: a panic without a message")
        );
    }
}
