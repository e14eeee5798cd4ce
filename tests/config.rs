//! A session's configuration is checked before any handler sees it, and
//! caller misuse is never reported as a handler failure.

mod support;

use support::*;
use syncmgr::{
    Mode, Session, SessionConfig, SessionError, SessionOutcome, SessionPhase, SyncEvent,
    SyncMgrFlags, SyncModifiers,
};

fn flags(event: SyncEvent) -> SyncMgrFlags {
    SyncMgrFlags::new(event, SyncModifiers::empty())
}

/// `SyncHandler::initialize` promises a cookie only with
/// `SYNCMGRFLAG_INVOKE`: with any other event the session refuses to start,
/// naming the event, and the handler is never called.
#[test]
fn a_cookie_without_invoke_is_refused_before_the_handler_runs() {
    for event in [SyncEvent::Manual, SyncEvent::Idle, SyncEvent::Connect] {
        let config = SessionConfig::new(Mode::Strict)
            .with_flags(flags(event))
            .with_cookie(vec![1, 2, 3]);
        let expected = SessionError::CookieWithoutInvoke { event };
        assert_eq!(config.validate(), Err(expected.clone()));
        let handler = Fake::builder(1).build();
        let outcome = Session::new(config).run(handler.clone());
        assert_eq!(outcome, SessionOutcome::Misuse(expected));
        assert!(
            !handler.called(&Call::Initialize),
            "{event}: the handler was called"
        );
    }
}

#[test]
fn a_cookie_over_the_limit_is_refused() {
    let config = SessionConfig::new(Mode::Lenient)
        .with_flags(flags(SyncEvent::Invoke))
        .with_cookie(vec![0; SessionConfig::MAX_COOKIE + 1]);
    let expected = SessionError::CookieTooLarge {
        len: SessionConfig::MAX_COOKIE + 1,
        max: SessionConfig::MAX_COOKIE,
    };
    assert_eq!(config.validate(), Err(expected.clone()));
    let handler = Fake::builder(1).build();
    assert_eq!(
        Session::new(config).run(handler.clone()),
        SessionOutcome::Misuse(expected)
    );
    assert!(handler.calls().is_empty());
}

#[test]
fn a_cookie_with_invoke_within_the_limit_reaches_the_handler() {
    let config = SessionConfig::new(Mode::Strict)
        .with_flags(flags(SyncEvent::Invoke))
        .with_cookie(vec![7; SessionConfig::MAX_COOKIE]);
    assert_eq!(config.validate(), Ok(()));
    let handler = Fake::builder(1).build();
    let session = Session::new(config);
    assert!(session.run(handler.clone()).is_success());
    assert!(handler.called(&Call::Initialize));
    assert!(session.conformance_report().is_clean());
}

/// A second `initialize` is the caller's mistake, not the handler's.
#[test]
fn a_second_initialize_is_misuse_not_a_handler_failure() {
    let session = Session::new(config(Mode::Strict));
    let handler = Fake::builder(1).build();
    let mut driver = session.drive(handler.clone());
    driver.initialize().expect("the first initialize");
    assert_eq!(
        driver.initialize(),
        Err(SessionOutcome::Misuse(SessionError::WrongPhase {
            call: "initialize",
            expected: "Created",
            actual: SessionPhase::Ready,
        }))
    );
    assert_eq!(
        handler.count(|call| *call == Call::Initialize),
        1,
        "Initialize is not called again"
    );
    driver.release();
}

/// A second handler offered to a session that another driver owns is
/// refused, and the refusal leaves the owner's session alone: same phase,
/// same handler, nothing released.
#[test]
fn a_refused_second_handler_leaves_the_running_session_alone() {
    let session = Session::new(config(Mode::Strict));
    let first = Fake::builder(1).build();
    let mut driver = session.drive(first.clone());
    driver.initialize().expect("the first handler initializes");
    let second = Fake::builder(1).build();
    assert_eq!(
        session.run(second.clone()),
        SessionOutcome::Misuse(SessionError::WrongPhase {
            call: "initialize",
            expected: "Created",
            actual: SessionPhase::Ready,
        })
    );
    assert!(second.calls().is_empty(), "the second handler was called");
    assert_eq!(
        session.phase(),
        SessionPhase::Ready,
        "the session was released"
    );
    // The owner carries on to a clean end.
    let outcome = driver.sync(&[item(1)]).expect("the owner syncs");
    assert!(outcome.is_success(), "{outcome:?}");
    driver.release();
    assert!(session.conformance_report().is_clean());
}
