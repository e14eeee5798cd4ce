//! Every `(phase, reported status)` pair of the per-item state machine.

use syncmgr::{ItemPhase, Rule, SyncMgrStatus};

/// Rows: the phase the item is in. Columns: the phase a report asks for, in
/// the order of `ItemPhase::ALL`: Pending, Updating, UpdatingIndeterminate,
/// Paused, Resuming, Succeeded, Failed, Skipped, Stopped, Deleted,
/// Disconnected.
///
/// `.` moves to the reported phase, `a` is refused under §G.3 #20, `b` is
/// refused under §G.3 #28 (§G.7 #41 for Sync Center's terminal statuses).
const TABLE: [(ItemPhase, &str); 11] = [
    (ItemPhase::Pending, ". . . . b . . . . . ."),
    (ItemPhase::Updating, "a . . . b . . . . . ."),
    (ItemPhase::UpdatingIndeterminate, "a . . . b . . . . . ."),
    (ItemPhase::Paused, "a . . . . . . . . . ."),
    (ItemPhase::Resuming, "a . . . . . . . . . ."),
    (ItemPhase::Succeeded, "b b b b b b . b b b b"),
    (ItemPhase::Failed, "b b b b b b . b b b b"),
    (ItemPhase::Skipped, "b b b b b b . b b b b"),
    (ItemPhase::Stopped, "b b b b b b . b b b b"),
    (ItemPhase::Deleted, "b b b b b b . b b b b"),
    (ItemPhase::Disconnected, "b b b b b b . b b b b"),
];

#[test]
fn every_phase_and_report_pair() {
    assert_eq!(TABLE.len(), ItemPhase::ALL.len());
    let mut checked = 0;
    for (from, row) in TABLE {
        let cells: Vec<&str> = row.split(' ').collect();
        assert_eq!(cells.len(), ItemPhase::ALL.len());
        for (reported, cell) in ItemPhase::ALL.into_iter().zip(cells) {
            let got = from.to(reported);
            match cell {
                "." => assert_eq!(got, Ok(reported), "{from:?} to {reported:?}"),
                "a" | "b" => {
                    let violation =
                        got.expect_err(&format!("{from:?} to {reported:?} must be refused"));
                    let rule = if cell == "a" {
                        Rule::PROGRESS_BEFORE_ITEM
                    } else {
                        Rule::TERMINAL_IS_FINAL
                    };
                    assert_eq!(violation.rule, rule, "{from:?} to {reported:?}");
                    assert_eq!((violation.from, violation.reported), (from, reported));
                    assert!(!violation.expected.is_empty());
                }
                other => panic!("bad table cell {other}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 121);
}

#[test]
fn a_status_report_moves_like_the_phase_it_names() {
    for from in ItemPhase::ALL {
        for status in SyncMgrStatus::ALL {
            assert_eq!(
                from.on(status),
                from.to(ItemPhase::of(status)),
                "{from:?} on {status:?}"
            );
        }
    }
}

#[test]
fn terminal_phases_absorb_and_failed_is_tolerated() {
    for phase in ItemPhase::ALL.into_iter().filter(|p| p.is_terminal()) {
        assert_eq!(phase.on(SyncMgrStatus::Failed), Ok(ItemPhase::Failed));
        assert_eq!(
            ItemPhase::Failed.on(SyncMgrStatus::Failed),
            Ok(ItemPhase::Failed)
        );
    }
    let terminal: Vec<_> = ItemPhase::ALL
        .into_iter()
        .filter(|p| p.is_terminal())
        .collect();
    assert_eq!(
        terminal,
        [
            ItemPhase::Succeeded,
            ItemPhase::Failed,
            ItemPhase::Skipped,
            ItemPhase::Stopped,
            ItemPhase::Deleted,
            ItemPhase::Disconnected
        ]
    );
}

#[test]
fn phases_and_statuses_correspond_one_to_one_but_for_disconnected() {
    for phase in ItemPhase::ALL
        .into_iter()
        .filter(|&p| p != ItemPhase::Disconnected)
    {
        assert_eq!(ItemPhase::of(phase.status()), phase);
    }
    // The one lossy corner: SyncMgr has no DISCONNECTED.
    assert_eq!(ItemPhase::Disconnected.status(), SyncMgrStatus::Failed);
    assert_eq!(ItemPhase::Disconnected.to_string(), "disconnected");
    for status in SyncMgrStatus::ALL {
        assert_eq!(ItemPhase::of(status).status(), status);
    }
}

#[test]
fn violation_message_names_rule_and_move() {
    let violation = ItemPhase::Succeeded
        .on(SyncMgrStatus::Updating)
        .unwrap_err();
    let text = violation.to_string();
    assert!(text.starts_with("§G.3 #28"), "{text}");
    assert!(
        text.contains("succeeded") && text.contains("updating"),
        "{text}"
    );
}

#[test]
fn index_round_trips_and_rejects_out_of_range() {
    for (position, phase) in ItemPhase::ALL.into_iter().enumerate() {
        assert_eq!(phase.index(), position);
        assert_eq!(ItemPhase::from_index(position), Some(phase));
    }
    assert_eq!(ItemPhase::from_index(ItemPhase::ALL.len()), None);
    assert_eq!(ItemPhase::from_index(usize::MAX), None);
}
