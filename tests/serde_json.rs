//! The `serde` feature: snapshots round-trip through JSON, events and
//! violations serialize, and the JSON-lines status writer keeps its schema.
#![cfg(feature = "serde")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Fake, item, status, updating};
use syncmgr::{
    CancelDecision, CancelReason, ItemId, ItemPhase, ManualClock, Mode, SessionConfig,
    SessionSnapshot, StatusWriter, SyncCallback as _, SyncMgrStatus,
};

#[test]
fn vocabulary_round_trips() {
    for decision in CancelDecision::ALL {
        let text = serde_json::to_string(&decision).unwrap();
        assert_eq!(
            serde_json::from_str::<CancelDecision>(&text).unwrap(),
            decision
        );
    }
    for reason in [
        CancelReason::User,
        CancelReason::Host,
        CancelReason::Other("disk".into()),
    ] {
        let text = serde_json::to_string(&reason).unwrap();
        assert_eq!(serde_json::from_str::<CancelReason>(&text).unwrap(), reason);
    }
    let id = ItemId::from_u128(0x1234);
    let text = serde_json::to_string(&id).unwrap();
    assert_eq!(text, "\"{00000000-0000-0000-0000-000000001234}\"");
    assert_eq!(serde_json::from_str::<ItemId>(&text).unwrap(), id);
    assert!(serde_json::from_str::<ItemId>("\"not a guid\"").is_err());
    assert_eq!(
        serde_json::to_string(&ItemPhase::Stopped).unwrap(),
        "\"Stopped\""
    );
    assert_eq!(
        serde_json::to_string(&Mode::Lenient).unwrap(),
        "\"Lenient\""
    );
    assert!(serde_json::from_str::<syncmgr::Rule>("22").is_ok());
    assert!(serde_json::from_str::<syncmgr::Rule>("200").is_err());
}

#[test]
fn a_snapshot_round_trips_and_the_status_lines_keep_the_schema() {
    let clock = Arc::new(ManualClock::new());
    let config = SessionConfig::new(Mode::Lenient).with_clock(clock.clone());
    let session = syncmgr::Session::new(config);
    let lines = Arc::new(Mutex::new(StatusWriter::new(Vec::new())));
    let events = Arc::clone(&lines);
    session.subscribe_timed(move |at, event| events.lock().unwrap().event(at, event).unwrap());
    let (inner, seen) = (
        session.clone(),
        Arc::new(Mutex::new(None::<SessionSnapshot>)),
    );
    let mid = Arc::clone(&seen);
    let fake = Fake::builder(2)
        .on_synchronize(move |h| {
            clock.set(Duration::from_secs(1));
            h.cb().progress(item(1), Some(&updating(0, 4))).unwrap();
            clock.advance(Duration::from_secs(1));
            h.cb().progress(item(1), Some(&updating(2, 4))).unwrap();
            // A value above the maximum: recorded (lenient), a violation.
            let _ = h.cb().progress(item(2), Some(&updating(0, 1)));
            let _ = h.cb().progress(item(2), Some(&support::value(5)));
            inner.cancel_item(item(2), CancelReason::User).unwrap();
            *mid.lock().unwrap() = Some(inner.snapshot());
            h.cb()
                .progress(item(1), Some(&status(SyncMgrStatus::Succeeded)))
                .unwrap();
            h.cb()
                .synchronize_completed(syncmgr::HResult::S_OK)
                .map_err(support::refused)
        })
        .build();
    session.run(fake);
    let snapshot = seen.lock().unwrap().clone().unwrap();
    let text = serde_json::to_string(&snapshot).unwrap();
    let back: SessionSnapshot = serde_json::from_str(&text).unwrap();
    assert_eq!(back, snapshot);
    assert_eq!(back.taken_at(), snapshot.taken_at());
    assert_eq!(
        back.item(0).unwrap().elapsed(),
        Some(Duration::from_secs(1))
    );

    // What cannot be a snapshot is refused, naming what was wrong.
    let mut twice = serde_json::to_value(&snapshot).unwrap();
    let first = twice["items"][0].clone();
    twice["items"][1] = first;
    let refused = serde_json::from_value::<SessionSnapshot>(twice).unwrap_err();
    assert!(refused.to_string().contains("appears twice"), "{refused}");
    let mut long = serde_json::to_value(&snapshot).unwrap();
    long["items"][0]["name"] = "n".repeat(200).into();
    let refused = serde_json::from_value::<SessionSnapshot>(long).unwrap_err();
    assert!(
        refused.to_string().contains("the name of item"),
        "{refused}"
    );

    let report = serde_json::to_value(session.conformance_report()).unwrap();
    assert!(report["violations"][0]["rule"].is_u64());

    let mut writer = lines.lock().unwrap();
    writer.snapshot(&session.snapshot()).unwrap();
    let out = String::from_utf8(
        std::mem::replace(&mut *writer, StatusWriter::new(Vec::new())).into_inner(),
    )
    .unwrap();
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one object per line"))
        .collect();
    assert_eq!(syncmgr::STATUS_SCHEMA, "syncmgr.status/1");
    assert!(lines.iter().all(|l| l["schema"] == "syncmgr.status/1"));
    let kinds: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "event")
        .map(|l| l["event"]["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "phase_changed",
        "item_started",
        "item_finished",
        "item_cancelled",
        "violation_recorded",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let started = lines
        .iter()
        .find(|l| l["event"]["kind"] == "item_started")
        .unwrap();
    assert_eq!(started["t_ms"], 1000.0);
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "snapshot");
    assert_eq!(last["phase"], "Released");
    assert_eq!(
        last["item_list"][0]["done"], 4,
        "a succeeded item did all its work"
    );
    assert_eq!(last["item_list"][0]["total"], 4);
    assert_eq!(last["item_list"][1]["cancel"], "User");
}
