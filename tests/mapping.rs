//! One model, three encodings (issue 4, item 4): round trips of every
//! mapping between the core (`CancelDecision`, `ItemPhase`, `ProgressItem`,
//! `ItemId`) and each generation's encoding, with every lossy corner named
//! and asserted; and the exact values of the `syncmgr.h` vocabulary
//! (PROTOCOL.md).

mod common;

use syncmgr::sync_center::{
    CancelRequest, ControlFlags, EventFlags, EventLevel, HandlerCapabilities, HandlerPolicies,
    HandlerType, ItemCapabilities, ItemPolicies, ProgressStatus, SyncCenterItemId,
    SyncCenterProgress, SyncControlFlags, UpdateReason,
};
use syncmgr::windows_sync::{ProgressStage, ProviderRole, WindowsSyncProgress};
use syncmgr::{
    CanContinue, CancelDecision, DecodeError, Guid, HResult, ItemId, ItemPhase, NotAProgressReply,
    ProgressItem, SyncMgrProgress, SyncMgrProgressError, SyncMgrStatus,
};

fn sc_id(text: &str) -> SyncCenterItemId {
    SyncCenterItemId::new(text).expect("a valid item id")
}

fn sc_progress(status: ProgressStatus, current: u32, max: u32) -> SyncCenterProgress {
    SyncCenterProgress::new(sc_id("item"), status, current, max)
}

// --- CancelDecision ↔ HResult (SyncMgr's return code) ------------------------------

#[test]
fn cancel_decision_to_hresult_is_exact() {
    let table = [
        (CancelDecision::Continue, HResult::S_OK, 0x0000_0000),
        (
            CancelDecision::CancelItem,
            HResult::S_SYNCMGR_CANCELITEM,
            0x0004_0203,
        ),
        (
            CancelDecision::CancelAll,
            HResult::S_SYNCMGR_CANCELALL,
            0x0004_0204,
        ),
    ];
    assert_eq!(CancelDecision::ALL.len(), table.len());
    for (decision, code, bits) in table {
        assert_eq!(decision.to_hresult(), code);
        assert_eq!(code.as_u32(), bits);
        assert_eq!(HResult::from(decision), code);
        assert_eq!(CancelDecision::from_hresult(code), Ok(decision));
        assert_eq!(CancelDecision::try_from(code), Ok(decision));
        assert!(!code.is_failure(), "every answer is a success code");
    }
}

#[test]
fn other_codes_are_not_cancel_decisions() {
    for (code, name) in HResult::KNOWN {
        let is_answer = matches!(
            name,
            "S_OK" | "S_SYNCMGR_CANCELITEM" | "S_SYNCMGR_CANCELALL"
        );
        if !is_answer {
            assert_eq!(
                CancelDecision::try_from(code),
                Err(NotAProgressReply(code)),
                "{name}"
            );
        }
    }
    // S_FALSE (CanContinue's "stop") is not a Progress answer either.
    assert_eq!(
        CancelDecision::from_hresult(HResult::S_FALSE),
        Err(NotAProgressReply(HResult::S_FALSE))
    );
    for bits in [2, 0x0004_0205, 0x8004_0203, u32::MAX] {
        let code = HResult::from_u32(bits);
        assert_eq!(
            CancelDecision::from_hresult(code),
            Err(NotAProgressReply(code))
        );
    }
}

// --- CancelDecision ↔ CancelRequest (Sync Center's out-parameter) ------------------

#[test]
fn cancel_decision_to_cancel_request_is_exact_both_ways() {
    let table = [
        (CancelDecision::Continue, CancelRequest::None, 0),
        (CancelDecision::CancelItem, CancelRequest::CancelItem, 1),
        (CancelDecision::CancelAll, CancelRequest::CancelAll, 2),
    ];
    for (decision, request, value) in table {
        assert_eq!(CancelRequest::from(decision), request);
        assert_eq!(CancelDecision::from(request), decision);
        assert_eq!(request.as_u32(), value);
        assert_eq!(CancelRequest::try_from(value), Ok(request));
    }
    for decision in CancelDecision::ALL {
        assert_eq!(
            CancelDecision::from(CancelRequest::from(decision)),
            decision
        );
    }
    for request in CancelRequest::ALL {
        assert_eq!(CancelRequest::from(CancelDecision::from(request)), request);
    }
    // Via the wire value, too.
    for decision in CancelDecision::ALL {
        let raw = u32::from(CancelRequest::from(decision));
        assert_eq!(
            CancelRequest::try_from(raw).map(CancelDecision::from),
            Ok(decision)
        );
    }
}

// --- CancelDecision → CanContinue (Sync Center's poll) ------------------------------

#[test]
fn one_can_continue_answer_is_lossy() {
    assert_eq!(
        CancelDecision::Continue.can_continue(),
        CanContinue::Continue
    );
    assert_eq!(CancelDecision::CancelItem.can_continue(), CanContinue::Stop);
    assert_eq!(CancelDecision::CancelAll.can_continue(), CanContinue::Stop);
    // The lossy corner: one poll cannot tell an item cancel from a cancel-all.
    assert_eq!(
        CancelDecision::CancelItem.can_continue(),
        CancelDecision::CancelAll.can_continue()
    );
}

#[test]
fn can_continue_hresults() {
    assert_eq!(CanContinue::Continue.to_hresult(), HResult::S_OK);
    assert_eq!(CanContinue::Stop.to_hresult(), HResult::S_FALSE);
    assert_eq!(HResult::S_FALSE.as_u32(), 1);
    for answer in [CanContinue::Continue, CanContinue::Stop] {
        assert_eq!(CanContinue::from_hresult(answer.to_hresult()), Some(answer));
    }
    for code in [
        HResult::E_INVALIDARG,
        HResult::E_FAIL,
        HResult::S_SYNCMGR_CANCELITEM,
        HResult::S_SYNCMGR_CANCELALL,
        HResult::from_u32(2),
    ] {
        assert_eq!(CanContinue::from_hresult(code), None, "{code}");
    }
}

#[test]
fn a_pair_of_can_continue_answers_is_exact() {
    let table = [
        (
            CancelDecision::Continue,
            (CanContinue::Continue, CanContinue::Continue),
        ),
        (
            CancelDecision::CancelItem,
            (CanContinue::Stop, CanContinue::Continue),
        ),
        (
            CancelDecision::CancelAll,
            (CanContinue::Stop, CanContinue::Stop),
        ),
    ];
    for (decision, pair) in table {
        assert_eq!(decision.can_continue_pair(), pair);
        assert_eq!(CancelDecision::from_can_continue(pair.0, pair.1), decision);
        // The item half of the pair is the single answer.
        assert_eq!(pair.0, decision.can_continue());
    }
}

#[test]
fn every_pair_of_can_continue_answers_maps() {
    use CanContinue::{Continue, Stop};
    assert_eq!(
        CancelDecision::from_can_continue(Continue, Continue),
        CancelDecision::Continue
    );
    assert_eq!(
        CancelDecision::from_can_continue(Stop, Continue),
        CancelDecision::CancelItem
    );
    assert_eq!(
        CancelDecision::from_can_continue(Stop, Stop),
        CancelDecision::CancelAll
    );
    // The pair no decision produces: the handler stopped, the item not. The
    // handler-wide answer wins.
    assert_eq!(
        CancelDecision::from_can_continue(Continue, Stop),
        CancelDecision::CancelAll
    );
    assert_ne!(
        CancelDecision::CancelAll.can_continue_pair(),
        (Continue, Stop),
        "so (Continue, Stop) does not round-trip"
    );
}

// --- ProgressStatus ↔ ItemPhase ------------------------------------------------------

#[test]
fn progress_status_phase_table() {
    let table = [
        (ProgressStatus::Updating, ItemPhase::Updating),
        (
            ProgressStatus::UpdatingIndeterminate,
            ItemPhase::UpdatingIndeterminate,
        ),
        (ProgressStatus::Succeeded, ItemPhase::Succeeded),
        (ProgressStatus::Failed, ItemPhase::Failed),
        // CANCELED is SyncMgr's usual answer to a cancel, STOPPED.
        (ProgressStatus::Canceled, ItemPhase::Stopped),
        (ProgressStatus::Disconnected, ItemPhase::Disconnected),
    ];
    assert_eq!(ProgressStatus::ALL.len(), table.len());
    for (status, phase) in table {
        assert_eq!(status.phase(), phase, "{status:?}");
        assert_eq!(status.is_terminal(), phase.is_terminal(), "{status:?}");
    }
}

#[test]
fn progress_status_round_trips_through_its_phase() {
    for status in ProgressStatus::ALL {
        assert_eq!(
            ProgressStatus::from_phase(status.phase()),
            Some(status),
            "{status:?}"
        );
    }
    let terminal: Vec<ProgressStatus> = ProgressStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect();
    assert_eq!(
        terminal,
        [
            ProgressStatus::Succeeded,
            ProgressStatus::Failed,
            ProgressStatus::Canceled,
            ProgressStatus::Disconnected
        ]
    );
}

#[test]
fn phase_to_progress_status_table_with_its_lossy_corners() {
    use ProgressStatus as S;
    let table = [
        (ItemPhase::Pending, None),
        (ItemPhase::Updating, Some(S::Updating)),
        (
            ItemPhase::UpdatingIndeterminate,
            Some(S::UpdatingIndeterminate),
        ),
        (ItemPhase::Paused, Some(S::UpdatingIndeterminate)),
        (ItemPhase::Resuming, Some(S::Updating)),
        (ItemPhase::Succeeded, Some(S::Succeeded)),
        (ItemPhase::Failed, Some(S::Failed)),
        (ItemPhase::Skipped, Some(S::Canceled)),
        (ItemPhase::Stopped, Some(S::Canceled)),
        (ItemPhase::Deleted, Some(S::Canceled)),
        (ItemPhase::Disconnected, Some(S::Disconnected)),
    ];
    assert_eq!(ItemPhase::ALL.len(), table.len());
    for (phase, status) in table {
        assert_eq!(ProgressStatus::from_phase(phase), status, "{phase:?}");
    }
    // Which phases survive phase → status → phase, and which do not.
    let back = |phase| ProgressStatus::from_phase(phase).map(ProgressStatus::phase);
    for phase in ItemPhase::ALL {
        let lossy = matches!(
            phase,
            ItemPhase::Pending
                | ItemPhase::Paused
                | ItemPhase::Resuming
                | ItemPhase::Skipped
                | ItemPhase::Deleted
        );
        assert_eq!(back(phase) != Some(phase), lossy, "{phase:?}");
    }
    assert_eq!(back(ItemPhase::Pending), None);
    assert_eq!(
        back(ItemPhase::Paused),
        Some(ItemPhase::UpdatingIndeterminate)
    );
    assert_eq!(back(ItemPhase::Resuming), Some(ItemPhase::Updating));
    assert_eq!(back(ItemPhase::Skipped), Some(ItemPhase::Stopped));
    assert_eq!(back(ItemPhase::Deleted), Some(ItemPhase::Stopped));
    // Terminal stays terminal and running stays running.
    for phase in ItemPhase::ALL {
        if let Some(status) = ProgressStatus::from_phase(phase) {
            assert_eq!(status.is_terminal(), phase.is_terminal(), "{phase:?}");
        }
    }
}

// --- ItemPhase ↔ SyncMgrStatus -------------------------------------------------------

#[test]
fn item_phase_to_syncmgr_status_with_its_lossy_corner() {
    use SyncMgrStatus as S;
    let table = [
        (ItemPhase::Pending, S::Pending),
        (ItemPhase::Updating, S::Updating),
        (ItemPhase::UpdatingIndeterminate, S::UpdatingIndeterminate),
        (ItemPhase::Paused, S::Paused),
        (ItemPhase::Resuming, S::Resuming),
        (ItemPhase::Succeeded, S::Succeeded),
        (ItemPhase::Failed, S::Failed),
        (ItemPhase::Skipped, S::Skipped),
        (ItemPhase::Stopped, S::Stopped),
        (ItemPhase::Deleted, S::Deleted),
        // The lossy corner: SyncMgr has no DISCONNECTED.
        (ItemPhase::Disconnected, S::Failed),
    ];
    for (phase, status) in table {
        assert_eq!(phase.status(), status, "{phase:?}");
        let back = ItemPhase::of(status);
        if phase == ItemPhase::Disconnected {
            assert_eq!(back, ItemPhase::Failed);
        } else {
            assert_eq!(back, phase, "{phase:?}");
        }
    }
    // Every SYNCMGRSTATUS round-trips exactly.
    for status in SyncMgrStatus::ALL {
        assert_eq!(ItemPhase::of(status).status(), status, "{status:?}");
    }
}

#[test]
fn sync_center_status_to_syncmgr_status() {
    // Composing the two tables: what a SyncMgr host sees of each Sync
    // Center status.
    use SyncMgrStatus as S;
    let table = [
        (ProgressStatus::Updating, S::Updating),
        (
            ProgressStatus::UpdatingIndeterminate,
            S::UpdatingIndeterminate,
        ),
        (ProgressStatus::Succeeded, S::Succeeded),
        (ProgressStatus::Failed, S::Failed),
        (ProgressStatus::Canceled, S::Stopped),
        (ProgressStatus::Disconnected, S::Failed),
    ];
    for (status, syncmgr) in table {
        assert_eq!(status.phase().status(), syncmgr, "{status:?}");
    }
}

// --- SyncMgrProgress::from_item ------------------------------------------------------

#[test]
fn syncmgr_progress_from_a_sync_center_report() {
    let report = sc_progress(ProgressStatus::Updating, 3, 10)
        .with_text("3 of 10")
        .unwrap();
    let expected = SyncMgrProgress::builder()
        .status(SyncMgrStatus::Updating)
        .value(3)
        .max(10)
        .text("3 of 10")
        .build()
        .unwrap();
    assert_eq!(SyncMgrProgress::from_item(&report), Ok(expected));
    for status in ProgressStatus::ALL {
        let converted = SyncMgrProgress::from_item(&sc_progress(status, 1, 2)).unwrap();
        assert_eq!(
            converted.status(),
            Some(status.phase().status()),
            "{status:?}"
        );
        assert_eq!(converted.status_text(), None);
    }
}

#[test]
fn syncmgr_progress_from_a_disconnected_report_is_failed() {
    let converted =
        SyncMgrProgress::from_item(&sc_progress(ProgressStatus::Disconnected, 0, 0)).unwrap();
    assert_eq!(converted.status(), Some(SyncMgrStatus::Failed));
    assert_eq!((converted.value(), converted.max()), (Some(0), Some(0)));
}

#[test]
fn syncmgr_progress_from_an_indeterminate_report_has_no_value_or_max() {
    // Steps that would be invalid are ignored, not converted.
    for (current, max) in [(7, 0), (9, 3), (u32::MAX, 1)] {
        let report = sc_progress(ProgressStatus::UpdatingIndeterminate, current, max);
        let converted = SyncMgrProgress::from_item(&report).unwrap();
        assert_eq!(
            converted,
            SyncMgrProgress::with_status(SyncMgrStatus::UpdatingIndeterminate)
        );
        assert_eq!((converted.value(), converted.max()), (None, None));
    }
}

#[test]
fn syncmgr_progress_scales_steps_above_i32_max_keeping_the_ratio() {
    let cases = [
        (3_000_000_000_u32, 4_000_000_000_u32),
        (u32::MAX, u32::MAX),
        (1, u32::MAX),
        (0, 2_147_483_648),
        (2_147_483_647, 2_147_483_648),
    ];
    for (current, max) in cases {
        let report = sc_progress(ProgressStatus::Updating, current, max);
        let converted = SyncMgrProgress::from_item(&report).unwrap();
        let (value, scaled_max) = (converted.value().unwrap(), converted.max().unwrap());
        assert!(value >= 0 && scaled_max > 0, "{current}/{max}");
        assert!(value <= scaled_max, "{current}/{max}");
        // Both divided by the same power of two (here 2: max < 2^32).
        assert_eq!(
            i64::from(scaled_max),
            i64::from(max >> 1),
            "{current}/{max}"
        );
        assert_eq!(i64::from(value), i64::from(current >> 1), "{current}/{max}");
        let before = f64::from(current) / f64::from(max);
        let after = f64::from(value) / f64::from(scaled_max);
        assert!(
            (before - after).abs() < 1e-8,
            "{current}/{max}: {before} became {after}"
        );
    }
    // At the limit nothing is scaled.
    let report = sc_progress(ProgressStatus::Updating, 5, 0x7fff_ffff);
    let converted = SyncMgrProgress::from_item(&report).unwrap();
    assert_eq!(
        (converted.value(), converted.max()),
        (Some(5), Some(i32::MAX))
    );
}

#[test]
fn syncmgr_progress_refuses_completed_above_total() {
    assert_eq!(
        SyncMgrProgress::from_item(&sc_progress(ProgressStatus::Updating, 5, 3)),
        Err(SyncMgrProgressError::ValueAboveMax { value: 5, max: 3 })
    );
    // Also after scaling.
    assert_eq!(
        SyncMgrProgress::from_item(&sc_progress(
            ProgressStatus::Updating,
            4_000_000_000,
            3_000_000_000
        )),
        Err(SyncMgrProgressError::ValueAboveMax {
            value: 2_000_000_000,
            max: 1_500_000_000
        })
    );
    // Terminal statuses carry their steps too.
    assert_eq!(
        SyncMgrProgress::from_item(&sc_progress(ProgressStatus::Succeeded, 2, 1)),
        Err(SyncMgrProgressError::ValueAboveMax { value: 2, max: 1 })
    );
}

#[test]
fn syncmgr_progress_from_itself_is_the_identity() {
    let reports = [
        SyncMgrProgress::new(),
        SyncMgrProgress::with_status(SyncMgrStatus::Paused),
        SyncMgrProgress::builder().value(4).build().unwrap(),
        SyncMgrProgress::builder().max(9).text("t").build().unwrap(),
        SyncMgrProgress::builder()
            .status(SyncMgrStatus::Updating)
            .value(0)
            .max(i32::MAX)
            .text("naïve ☃")
            .build()
            .unwrap(),
    ];
    for report in reports {
        assert_eq!(SyncMgrProgress::from_item(&report), Ok(report.clone()));
    }
    for status in SyncMgrStatus::ALL {
        let report = SyncMgrProgress::with_status(status);
        assert_eq!(SyncMgrProgress::from_item(&report), Ok(report));
    }
}

// --- ProgressItem views ----------------------------------------------------------------

#[test]
fn syncmgr_progress_as_a_progress_item() {
    let report = SyncMgrProgress::builder()
        .status(SyncMgrStatus::Paused)
        .value(2)
        .max(8)
        .text("t")
        .build()
        .unwrap();
    assert_eq!(report.phase(), Some(ItemPhase::Paused));
    assert_eq!(ProgressItem::text(&report), Some("t"));
    assert_eq!(report.completed(), Some(2));
    assert_eq!(report.total(), Some(8));
    assert_eq!(report.fraction(), Some(0.25));
    let empty = SyncMgrProgress::new();
    assert_eq!(
        (
            empty.phase(),
            ProgressItem::text(&empty),
            empty.completed(),
            empty.total(),
            empty.fraction()
        ),
        (None, None, None, None, None)
    );
    // A zero total or a missing half has no fraction.
    let zero = SyncMgrProgress::builder().value(0).max(0).build().unwrap();
    assert_eq!(zero.fraction(), None);
    let half = SyncMgrProgress::builder().value(3).build().unwrap();
    assert_eq!(
        (half.completed(), half.total(), half.fraction()),
        (Some(3), None, None)
    );
    for status in SyncMgrStatus::ALL {
        assert_eq!(
            SyncMgrProgress::with_status(status).phase(),
            Some(ItemPhase::of(status))
        );
    }
}

#[test]
fn sync_center_progress_as_a_progress_item() {
    let report = sc_progress(ProgressStatus::Updating, 3, 10)
        .with_text("3 of 10")
        .unwrap();
    assert_eq!(report.phase(), Some(ItemPhase::Updating));
    assert_eq!(ProgressItem::text(&report), Some("3 of 10"));
    assert_eq!(report.completed(), Some(3));
    assert_eq!(report.total(), Some(10));
    assert_eq!(report.fraction(), Some(0.3));
    // Indeterminate: the steps are not part of the view.
    let idle = sc_progress(ProgressStatus::UpdatingIndeterminate, 7, 0);
    assert_eq!(
        (
            idle.phase(),
            idle.completed(),
            idle.total(),
            idle.fraction()
        ),
        (Some(ItemPhase::UpdatingIndeterminate), None, None, None)
    );
    assert_eq!(ProgressItem::text(&idle), None);
    // A zero total has no fraction; a value above it is clamped.
    assert_eq!(sc_progress(ProgressStatus::Updating, 0, 0).fraction(), None);
    assert_eq!(
        sc_progress(ProgressStatus::Updating, 5, 3).fraction(),
        Some(1.0)
    );
    assert_eq!(
        sc_progress(ProgressStatus::Succeeded, 4, 4).fraction(),
        Some(1.0)
    );
    assert_eq!(
        sc_progress(ProgressStatus::Updating, u32::MAX, u32::MAX).completed(),
        Some(u64::from(u32::MAX))
    );
    for status in ProgressStatus::ALL {
        assert_eq!(sc_progress(status, 1, 2).phase(), Some(status.phase()));
    }
}

#[test]
fn the_views_agree_after_conversion() {
    // Converting a Sync Center report to SyncMgr's keeps the view, up to
    // the lossy corners (DISCONNECTED → FAILED, scaling).
    for status in ProgressStatus::ALL {
        for (current, max) in [(0, 1), (1, 2), (2, 2), (7, 0)] {
            let report = sc_progress(status, current, max);
            let Ok(converted) = SyncMgrProgress::from_item(&report) else {
                continue;
            };
            let expected_phase = if status == ProgressStatus::Disconnected {
                ItemPhase::Failed
            } else {
                status.phase()
            };
            assert_eq!(converted.phase(), Some(expected_phase), "{status:?}");
            assert_eq!(converted.completed(), report.completed(), "{status:?}");
            assert_eq!(converted.total(), report.total(), "{status:?}");
            assert_eq!(converted.fraction(), report.fraction(), "{status:?}");
        }
    }
}

#[test]
fn windows_sync_progress_as_a_progress_item() {
    let report = WindowsSyncProgress::new(
        ProviderRole::Destination,
        ProgressStage::ChangeApplication,
        3,
        12,
    );
    assert_eq!(
        (report.phase(), ProgressItem::text(&report)),
        (None, None),
        "a session's progress names no item phase and no text"
    );
    assert_eq!((report.completed(), report.total()), (Some(3), Some(12)));
    assert_eq!(report.fraction(), Some(0.25));
    let converted = SyncMgrProgress::from_item(&report).unwrap();
    assert_eq!(
        converted,
        SyncMgrProgress::builder().value(3).max(12).build().unwrap()
    );
    assert_eq!(converted.status(), None);
    // The documented 0 / 0 report.
    let nothing =
        WindowsSyncProgress::new(ProviderRole::Source, ProgressStage::ChangeDetection, 0, 0);
    assert_eq!(nothing.fraction(), None);
    assert_eq!(
        SyncMgrProgress::from_item(&nothing),
        Ok(SyncMgrProgress::builder().value(0).max(0).build().unwrap())
    );
    // Work above i32::MAX is scaled, keeping the ratio.
    let big = WindowsSyncProgress::new(
        ProviderRole::Source,
        ProgressStage::ChangeApplication,
        3_000_000_000,
        4_000_000_000,
    );
    let converted = SyncMgrProgress::from_item(&big).unwrap();
    assert_eq!(
        (converted.value(), converted.max()),
        (Some(1_500_000_000), Some(2_000_000_000))
    );
    assert_eq!(converted.fraction(), big.fraction());
}

// --- SyncCenterItemId ↔ ItemId ----------------------------------------------------------

#[test]
fn a_guid_round_trips_exactly_through_a_sync_center_id() {
    let guids = [
        ItemId::from_u128(0x6295_DF27_35EE_11D1_8707_00C0_4FD9_3327),
        ItemId::from_u128(0),
        ItemId::from_u128(u128::MAX),
        ItemId::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210),
    ];
    for guid in guids {
        let text = SyncCenterItemId::from_item_id(guid);
        assert_eq!(text.to_item_id(), guid);
        assert_eq!(SyncCenterItemId::from(guid), text);
        assert_eq!(
            text.as_str().encode_utf16().count(),
            38,
            "within the id limit"
        );
        assert_eq!(text.as_str(), guid.to_guid().to_string());
    }
    assert_eq!(
        SyncCenterItemId::from_item_id(guids[0]).as_str(),
        "{6295DF27-35EE-11D1-8707-00C04FD93327}"
    );
}

#[test]
fn a_registry_form_string_round_trips_exactly() {
    let text = sc_id("{6295DF27-35EE-11D1-8707-00C04FD93327}");
    let guid = text.to_item_id();
    assert_eq!(
        guid,
        ItemId::from_u128(0x6295_DF27_35EE_11D1_8707_00C0_4FD9_3327)
    );
    assert_eq!(SyncCenterItemId::from_item_id(guid), text);
}

#[test]
fn other_spellings_of_a_guid_are_other_ids() {
    // Only the exact registry form reads back as its GUID: two distinct Sync
    // Center ids must never share a SyncMgr item id.
    let guid = ItemId::from_u128(0x6295_DF27_35EE_11D1_8707_00C0_4FD9_3327);
    let registry = sc_id("{6295DF27-35EE-11D1-8707-00C04FD93327}");
    assert_eq!(registry.to_item_id(), guid);
    let mut seen = vec![guid];
    for spelling in [
        "{6295df27-35ee-11d1-8707-00c04fd93327}",
        "6295DF27-35EE-11D1-8707-00C04FD93327",
        "6295df27-35ee-11d1-8707-00c04fd93327",
    ] {
        let mapped = sc_id(spelling).to_item_id();
        assert_eq!(mapped.as_uuid().get_version_num(), 5, "{spelling}");
        assert!(!seen.contains(&mapped), "{spelling} collides");
        seen.push(mapped);
        // Lossy: a name-based GUID does not give its string back.
        assert_ne!(SyncCenterItemId::from_item_id(mapped).as_str(), spelling);
    }
}

#[test]
fn a_non_guid_string_maps_to_a_stable_name_based_guid() {
    let inbox = sc_id("inbox").to_item_id();
    assert_eq!(sc_id("inbox").to_item_id(), inbox, "stable");
    assert_eq!(inbox.as_uuid().get_version_num(), 5, "name-based (v5)");
    assert!(!inbox.is_null());
    let others = ["outbox", "Inbox", "inbox ", "{inbox}", "6295DF27"];
    for other in others {
        assert_ne!(sc_id(other).to_item_id(), inbox, "{other}");
    }
    // Distinct strings give distinct GUIDs.
    let mut all: Vec<ItemId> = others.iter().map(|o| sc_id(o).to_item_id()).collect();
    all.push(inbox);
    let count = all.len();
    all.sort_by_key(|id| id.to_guid().to_u128());
    all.dedup();
    assert_eq!(all.len(), count);
    // The lossy corner: string → GUID → string does not give the name back,
    // but GUID → string → GUID is exact from there on.
    let back = SyncCenterItemId::from_item_id(inbox);
    assert_ne!(back.as_str(), "inbox");
    assert!(back.as_str().parse::<Guid>().is_ok());
    assert_eq!(back.to_item_id(), inbox);
}

// --- the syncmgr.h enumerations (PROTOCOL.md) --------------------------------------------

/// `T` decodes exactly `values` (in order, as `ALL`) out of a sweep of
/// candidates, and refuses every other with `UnknownValue` naming
/// `type_name`.
fn check_u32_enum<T>(all: &[T], values: &[u32], type_name: &'static str)
where
    T: TryFrom<u32, Error = DecodeError> + Into<u32> + Copy + PartialEq + std::fmt::Debug,
{
    let raw: Vec<u32> = all.iter().map(|&v| v.into()).collect();
    assert_eq!(raw, values, "{type_name}: ALL in value order");
    let candidates = (0..=64).chain([0x100, 0x7fff_ffff, 0x8000_0000, u32::MAX - 1, u32::MAX]);
    for value in candidates {
        match T::try_from(value) {
            Ok(decoded) => {
                assert!(values.contains(&value), "{type_name} accepted {value}");
                assert_eq!(decoded.into(), value);
            }
            Err(error) => {
                assert!(!values.contains(&value), "{type_name} refused {value}");
                assert_eq!(
                    error,
                    DecodeError::UnknownValue { type_name, value },
                    "{type_name} {value}"
                );
            }
        }
    }
}

#[test]
fn progress_status_values() {
    use ProgressStatus as S;
    check_u32_enum(&S::ALL, &[1, 2, 3, 4, 5, 6], "SYNCMGR_PROGRESS_STATUS");
    let names = [
        (S::Updating, "SYNCMGR_PS_UPDATING"),
        (
            S::UpdatingIndeterminate,
            "SYNCMGR_PS_UPDATING_INDETERMINATE",
        ),
        (S::Succeeded, "SYNCMGR_PS_SUCCEEDED"),
        (S::Failed, "SYNCMGR_PS_FAILED"),
        (S::Canceled, "SYNCMGR_PS_CANCELED"),
        (S::Disconnected, "SYNCMGR_PS_DISCONNECTED"),
    ];
    for (status, name) in names {
        assert_eq!(status.windows_name(), name);
    }
    // The neighbours: no member is 0, and 7 is past _MAX.
    for value in [0, 7] {
        assert_eq!(
            S::try_from(value),
            Err(DecodeError::UnknownValue {
                type_name: "SYNCMGR_PROGRESS_STATUS",
                value
            })
        );
    }
    assert_eq!(S::TYPE_NAME, "SYNCMGR_PROGRESS_STATUS");
}

#[test]
fn cancel_request_values() {
    use CancelRequest as R;
    check_u32_enum(&R::ALL, &[0, 1, 2], "SYNCMGR_CANCEL_REQUEST");
    assert_eq!(R::None.windows_name(), "SYNCMGR_CR_NONE");
    assert_eq!(R::CancelItem.windows_name(), "SYNCMGR_CR_CANCEL_ITEM");
    assert_eq!(R::CancelAll.windows_name(), "SYNCMGR_CR_CANCEL_ALL");
    assert_eq!(
        R::try_from(3),
        Err(DecodeError::UnknownValue {
            type_name: "SYNCMGR_CANCEL_REQUEST",
            value: 3
        })
    );
}

#[test]
fn event_level_values() {
    use EventLevel as L;
    check_u32_enum(&L::ALL, &[1, 2, 3], "SYNCMGR_EVENT_LEVEL");
    assert_eq!(L::Information.windows_name(), "SYNCMGR_EL_INFORMATION");
    assert_eq!(L::Warning.windows_name(), "SYNCMGR_EL_WARNING");
    assert_eq!(L::Error.windows_name(), "SYNCMGR_EL_ERROR");
    for value in [0, 4] {
        assert_eq!(
            L::try_from(value),
            Err(DecodeError::UnknownValue {
                type_name: "SYNCMGR_EVENT_LEVEL",
                value
            })
        );
    }
}

#[test]
fn update_reason_values() {
    use UpdateReason as U;
    check_u32_enum(&U::ALL, &[0, 1, 2], "SYNCMGR_UPDATE_REASON");
    assert_eq!(U::Added.windows_name(), "SYNCMGR_UR_ADDED");
    assert_eq!(U::Changed.windows_name(), "SYNCMGR_UR_CHANGED");
    assert_eq!(U::Removed.windows_name(), "SYNCMGR_UR_REMOVED");
    assert_eq!(
        U::try_from(3),
        Err(DecodeError::UnknownValue {
            type_name: "SYNCMGR_UPDATE_REASON",
            value: 3
        })
    );
}

#[test]
fn handler_type_values() {
    use HandlerType as H;
    check_u32_enum(&H::ALL, &[0, 1, 2, 3, 4, 5], "SYNCMGR_HANDLER_TYPE");
    let names = [
        (H::Unspecified, "SYNCMGR_HT_UNSPECIFIED"),
        (H::Application, "SYNCMGR_HT_APPLICATION"),
        (H::Device, "SYNCMGR_HT_DEVICE"),
        (H::Folder, "SYNCMGR_HT_FOLDER"),
        (H::Service, "SYNCMGR_HT_SERVICE"),
        (H::Computer, "SYNCMGR_HT_COMPUTER"),
    ];
    for (handler_type, name) in names {
        assert_eq!(handler_type.windows_name(), name);
    }
    assert_eq!(
        H::try_from(6),
        Err(DecodeError::UnknownValue {
            type_name: "SYNCMGR_HANDLER_TYPE",
            value: 6
        })
    );
    assert_eq!(H::default(), H::Unspecified);
}

#[test]
fn max_and_min_aliases() {
    assert_eq!(ProgressStatus::MAX, ProgressStatus::Disconnected);
    assert_eq!(ProgressStatus::MAX.as_u32(), 6);
    assert_eq!(CancelRequest::MAX, CancelRequest::CancelAll);
    assert_eq!(CancelRequest::MAX.as_u32(), 2);
    assert_eq!(EventLevel::MAX, EventLevel::Error);
    assert_eq!(EventLevel::MAX.as_u32(), 3);
    assert_eq!(UpdateReason::MAX, UpdateReason::Removed);
    assert_eq!(UpdateReason::MAX.as_u32(), 2);
    assert_eq!(HandlerType::MIN, HandlerType::Unspecified);
    assert_eq!(HandlerType::MIN.as_u32(), 0);
    assert_eq!(HandlerType::MAX, HandlerType::Computer);
    assert_eq!(HandlerType::MAX.as_u32(), 5);
    // _MAX is a legal value and decodes (PROTOCOL.md #8).
    assert_eq!(ProgressStatus::try_from(6), Ok(ProgressStatus::MAX));
    assert_eq!(EventLevel::try_from(3), Ok(EventLevel::MAX));
    // The flag aliases: EF_VALID == EF_NONE == 0, CF_NOWAIT == CF_NONE == 0,
    // SCF_VALID == SCF_IGNORE_IF_ALREADY_SYNCING.
    assert_eq!(EventFlags::NONE.bits(), 0);
    assert_eq!(EventFlags::MASK, EventFlags::NONE.bits());
    assert_eq!(ControlFlags::empty().bits(), 0);
    assert_eq!(
        SyncControlFlags::MASK,
        SyncControlFlags::IGNORE_IF_ALREADY_SYNCING.bits()
    );
    assert_eq!(
        HandlerPolicies::BACKGROUND_SYNC_ONLY,
        HandlerPolicies::PREVENT_START_SYNC | HandlerPolicies::PREVENT_STOP_SYNC
    );
    assert_eq!(HandlerPolicies::BACKGROUND_SYNC_ONLY.bits(), 0x30);
}

// --- the syncmgr.h flag sets ---------------------------------------------------------------

/// `MASK` is `valid_mask`, the named flags are exactly its bits, and
/// `decode` takes every value inside the mask and refuses every bit outside
/// it.
fn check_flags(
    mask: u32,
    valid_mask: u32,
    named: &[(u32, u32)],
    all_bits: u32,
    decode: fn(u32) -> Result<u32, DecodeError>,
    type_name: &'static str,
) {
    assert_eq!(mask, valid_mask, "{type_name}: MASK");
    assert_eq!(
        all_bits, valid_mask,
        "{type_name}: the named flags are the mask"
    );
    for &(bits, expected) in named {
        assert_eq!(bits, expected, "{type_name}");
    }
    common::assert_strict_flags(type_name, valid_mask, decode);
}

#[test]
fn event_flags_mask() {
    check_flags(
        EventFlags::MASK,
        0,
        &[(EventFlags::NONE.bits(), 0)],
        EventFlags::all().bits(),
        |b| EventFlags::decode(b).map(|f| f.bits()),
        "SYNCMGR_EVENT_FLAGS",
    );
}

#[test]
fn sync_control_flags_mask() {
    check_flags(
        SyncControlFlags::MASK,
        0x1,
        &[(SyncControlFlags::IGNORE_IF_ALREADY_SYNCING.bits(), 0x1)],
        SyncControlFlags::all().bits(),
        |b| SyncControlFlags::decode(b).map(|f| f.bits()),
        "SYNCMGR_SYNC_CONTROL_FLAGS",
    );
}

#[test]
fn control_flags_mask() {
    check_flags(
        ControlFlags::MASK,
        0x3,
        &[
            (ControlFlags::WAIT.bits(), 0x1),
            (ControlFlags::NOUI.bits(), 0x2),
        ],
        ControlFlags::all().bits(),
        |b| ControlFlags::decode(b).map(|f| f.bits()),
        "SYNCMGR_CONTROL_FLAGS",
    );
}

#[test]
fn handler_capabilities_mask() {
    use HandlerCapabilities as F;
    check_flags(
        F::MASK,
        0xf3_0017,
        &[
            (F::PROVIDES_ICON.bits(), 0x1),
            (F::EVENT_STORE.bits(), 0x2),
            (F::CONFLICT_STORE.bits(), 0x4),
            (F::SUPPORTS_CONCURRENT_SESSIONS.bits(), 0x10),
            (F::CAN_BROWSE_CONTENT.bits(), 0x1_0000),
            (F::CAN_SHOW_SCHEDULE.bits(), 0x2_0000),
            (F::QUERY_BEFORE_ACTIVATE.bits(), 0x10_0000),
            (F::QUERY_BEFORE_DEACTIVATE.bits(), 0x20_0000),
            (F::QUERY_BEFORE_ENABLE.bits(), 0x40_0000),
            (F::QUERY_BEFORE_DISABLE.bits(), 0x80_0000),
        ],
        F::all().bits(),
        |b| F::decode(b).map(|f| f.bits()),
        "SYNCMGR_HANDLER_CAPABILITIES",
    );
}

#[test]
fn handler_policies_mask() {
    use HandlerPolicies as F;
    check_flags(
        F::MASK,
        0x1_3f3f,
        &[
            (F::PREVENT_ACTIVATE.bits(), 0x1),
            (F::PREVENT_DEACTIVATE.bits(), 0x2),
            (F::PREVENT_ENABLE.bits(), 0x4),
            (F::PREVENT_DISABLE.bits(), 0x8),
            (F::PREVENT_START_SYNC.bits(), 0x10),
            (F::PREVENT_STOP_SYNC.bits(), 0x20),
            (F::DISABLE_ENABLE.bits(), 0x100),
            (F::DISABLE_DISABLE.bits(), 0x200),
            (F::DISABLE_START_SYNC.bits(), 0x400),
            (F::DISABLE_STOP_SYNC.bits(), 0x800),
            (F::DISABLE_BROWSE.bits(), 0x1000),
            (F::DISABLE_SCHEDULE.bits(), 0x2000),
            (F::HIDDEN_BY_DEFAULT.bits(), 0x1_0000),
            (F::BACKGROUND_SYNC_ONLY.bits(), 0x30),
        ],
        F::all().bits(),
        |b| F::decode(b).map(|f| f.bits()),
        "SYNCMGR_HANDLER_POLICIES",
    );
}

#[test]
fn item_capabilities_mask() {
    use ItemCapabilities as F;
    check_flags(
        F::MASK,
        0x71_0017,
        &[
            (F::PROVIDES_ICON.bits(), 0x1),
            (F::EVENT_STORE.bits(), 0x2),
            (F::CONFLICT_STORE.bits(), 0x4),
            (F::CAN_DELETE.bits(), 0x10),
            (F::CAN_BROWSE_CONTENT.bits(), 0x1_0000),
            (F::QUERY_BEFORE_ENABLE.bits(), 0x10_0000),
            (F::QUERY_BEFORE_DISABLE.bits(), 0x20_0000),
            (F::QUERY_BEFORE_DELETE.bits(), 0x40_0000),
        ],
        F::all().bits(),
        |b| F::decode(b).map(|f| f.bits()),
        "SYNCMGR_ITEM_CAPABILITIES",
    );
}

#[test]
fn item_policies_mask() {
    use ItemPolicies as F;
    check_flags(
        F::MASK,
        0x1_03ff,
        &[
            (F::PREVENT_ENABLE.bits(), 0x1),
            (F::PREVENT_DISABLE.bits(), 0x2),
            (F::PREVENT_START_SYNC.bits(), 0x4),
            (F::PREVENT_STOP_SYNC.bits(), 0x8),
            (F::DISABLE_ENABLE.bits(), 0x10),
            (F::DISABLE_DISABLE.bits(), 0x20),
            (F::DISABLE_START_SYNC.bits(), 0x40),
            (F::DISABLE_STOP_SYNC.bits(), 0x80),
            (F::DISABLE_BROWSE.bits(), 0x100),
            (F::DISABLE_DELETE.bits(), 0x200),
            (F::HIDDEN_BY_DEFAULT.bits(), 0x1_0000),
        ],
        F::all().bits(),
        |b| F::decode(b).map(|f| f.bits()),
        "SYNCMGR_ITEM_POLICIES",
    );
}

#[test]
fn disable_browse_is_named_outside_the_sdk_masks_and_still_decodes() {
    // The SDK's _VALID_MASKs (PROTOCOL.md) leave out DISABLE_BROWSE; the
    // crate keeps them as SDK_VALID_MASK but accepts the named policy.
    assert_eq!(HandlerPolicies::SDK_VALID_MASK, 0x1_2f3f);
    assert_eq!(HandlerPolicies::SDK_VALID_MASK & 0x1000, 0);
    assert_eq!(
        HandlerPolicies::MASK,
        HandlerPolicies::SDK_VALID_MASK | 0x1000
    );
    assert_eq!(
        HandlerPolicies::decode(0x1000),
        Ok(HandlerPolicies::DISABLE_BROWSE)
    );
    assert_eq!(ItemPolicies::SDK_VALID_MASK, 0x1_02ff);
    assert_eq!(ItemPolicies::SDK_VALID_MASK & 0x100, 0);
    assert_eq!(ItemPolicies::MASK, ItemPolicies::SDK_VALID_MASK | 0x100);
    assert_eq!(
        ItemPolicies::decode(0x100),
        Ok(ItemPolicies::DISABLE_BROWSE)
    );
}

#[test]
fn flag_type_names() {
    assert_eq!(EventFlags::TYPE_NAME, "SYNCMGR_EVENT_FLAGS");
    assert_eq!(SyncControlFlags::TYPE_NAME, "SYNCMGR_SYNC_CONTROL_FLAGS");
    assert_eq!(ControlFlags::TYPE_NAME, "SYNCMGR_CONTROL_FLAGS");
    assert_eq!(
        HandlerCapabilities::TYPE_NAME,
        "SYNCMGR_HANDLER_CAPABILITIES"
    );
    assert_eq!(HandlerPolicies::TYPE_NAME, "SYNCMGR_HANDLER_POLICIES");
    assert_eq!(ItemCapabilities::TYPE_NAME, "SYNCMGR_ITEM_CAPABILITIES");
    assert_eq!(ItemPolicies::TYPE_NAME, "SYNCMGR_ITEM_POLICIES");
}
