//! [`explore`]: every cancel point of a handler, then a seeded random walk,
//! within a budget; the first failing scenario, made minimal.

use std::time::{Duration, Instant};

use crate::sync::Arc;
use crate::{HResult, ItemKey, Rule, SyncHandler, Violation};

use super::host::{Fault, Run, Scenario, TestHost};
use super::transcript::{Answer, Call, Transcript};

/// How much exploring to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// At most this many runs in all.
    pub runs: usize,
    /// Stop starting new runs after this long.
    pub time: Duration,
    /// Random-walk runs after the systematic ones (within `runs`).
    pub random_runs: usize,
    /// The random walk's seed: the same seed explores the same scenarios.
    pub seed: u64,
}

impl Default for Budget {
    /// 2,000 runs, 60 s, 200 of them random, seed 1.
    fn default() -> Self {
        Self {
            runs: 2_000,
            time: Duration::from_secs(60),
            random_runs: 200,
            seed: 1,
        }
    }
}

/// A scenario under which the handler broke a rule.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Failure {
    /// The scenario, as small as the search could make it.
    pub scenario: Scenario,
    /// The first rule broken.
    pub rule: Rule,
    /// The violation as the host recorded it.
    pub violation: Violation,
    /// The run's transcript.
    pub transcript: Transcript,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} under {:?}: {}",
            self.rule, self.scenario.faults, self.violation
        )
    }
}

/// What an exploration did and found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Exploration {
    /// Runs made.
    pub runs: usize,
    /// Time taken.
    pub elapsed: Duration,
    /// True when every systematic scenario ran (the budget did not cut the
    /// search short).
    pub exhaustive: bool,
    /// The first failure, if any.
    pub failure: Option<Failure>,
}

/// Run the handler `make` builds (a fresh one per run) through every cancel
/// point — each item × each of its reports × {cancel the item, skip the
/// item}, and each report × {cancel all, a failed report, the callback
/// replaced from inside it} — then a seeded
/// random walk of two- and three-fault scenarios, until the budget is
/// spent or a run breaks a rule. The first failure is shrunk: faults are
/// dropped while it still fails.
///
/// The cancel points come from a clean run first (its transcript names the
/// items and how many reports each gets); a failing clean run is reported
/// as a failure with an empty scenario.
pub fn explore(
    host: &TestHost,
    make: impl Fn() -> Arc<dyn SyncHandler>,
    budget: &Budget,
) -> Exploration {
    let kinds = Kinds {
        skips: true,
        failures: true,
        replaces: true,
    };
    explore_runs(|scenario| host.run(make(), scenario), kinds, budget)
}

/// Which faults a generation's exploration uses besides cancels.
#[derive(Clone, Copy)]
pub(crate) struct Kinds {
    /// The generation has skips.
    pub(crate) skips: bool,
    /// Failed reports are the host's (a failure the handler must survive),
    /// not the subject's own (Windows Sync: a failing callback is the
    /// application breaking a rule).
    pub(crate) failures: bool,
    /// The host can replace the callback mid-sync (SyncMgr).
    pub(crate) replaces: bool,
}

/// [`explore`] over any generation: `run` runs a fresh handler under a
/// scenario; `kinds` says which faults apply.
pub(crate) fn explore_runs(
    run: impl Fn(&Scenario) -> Run,
    kinds: Kinds,
    budget: &Budget,
) -> Exploration {
    let started = Instant::now();
    let mut runs = 0;
    let attempt = |scenario: &Scenario, runs: &mut usize| -> Option<Failure> {
        *runs += 1;
        failure_of(scenario, run(scenario))
    };
    let done = |runs: usize, exhaustive: bool, failure: Option<Failure>| Exploration {
        runs,
        elapsed: started.elapsed(),
        exhaustive,
        failure,
    };

    let clean = Scenario::clean();
    let base = run(&clean);
    runs += 1;
    let points = cancel_points(&base.transcript, kinds);
    if let Some(failure) = failure_of(&clean, base) {
        return done(runs, false, Some(failure));
    }
    let within = |runs: usize| runs < budget.runs && started.elapsed() < budget.time;

    for scenario in systematic(&points) {
        if !within(runs) {
            return done(runs, false, None);
        }
        if let Some(failure) = attempt(&scenario, &mut runs) {
            return done(runs, false, Some(failure));
        }
    }

    let mut random = Rng(budget.seed.max(1));
    for _ in 0..budget.random_runs {
        if !within(runs) {
            break;
        }
        let scenario = random_scenario(&mut random, &points);
        if let Some(failure) = attempt(&scenario, &mut runs) {
            let failure = shrink(failure, |s| attempt(s, &mut runs));
            return done(runs, true, Some(failure));
        }
    }
    done(runs, true, None)
}

/// The reports each item got in a clean run, and the number of reports in
/// all.
struct Points {
    items: Vec<(ItemKey, usize)>,
    reports: usize,
    kinds: Kinds,
}

fn cancel_points(transcript: &Transcript, kinds: Kinds) -> Points {
    let items: Vec<ItemKey> = transcript
        .host_calls()
        .find_map(|e| match (&e.call, &e.answer) {
            (Call::EnumItems, Answer::Items { items }) => {
                Some(items.iter().map(|&i| ItemKey::from(i)).collect())
            }
            (Call::SyncCenterSynchronize { items }, _) => Some(
                items
                    .iter()
                    .filter_map(|i| crate::sync_center::SyncCenterItemId::new(i.clone()).ok())
                    .map(ItemKey::Text)
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    let items: Vec<(ItemKey, usize)> = items
        .into_iter()
        .map(|item| {
            let reports = transcript.reports_of(&item);
            (item, reports)
        })
        .collect();
    let reports = transcript
        .handler_calls()
        .filter(|e| {
            matches!(
                e.call,
                Call::Progress { .. } | Call::ReportProgress { .. } | Call::OnProgress { .. }
            )
        })
        .count();
    Points {
        items,
        reports,
        kinds,
    }
}

/// Every single-fault scenario, smallest item and report first.
fn systematic(points: &Points) -> impl Iterator<Item = Scenario> + '_ {
    let skips = points.kinds.skips;
    let failures = points.kinds.failures;
    let replaces = points.kinds.replaces;
    let per_item = points.items.iter().flat_map(move |(item, reports)| {
        (1..=*reports).flat_map(move |at_report| {
            let cancel = Fault::CancelItem {
                item: item.clone(),
                at_report,
            };
            let skip = skips.then(|| Fault::Skip {
                item: item.clone(),
                at_report,
            });
            std::iter::once(cancel).chain(skip)
        })
    });
    let global = (1..=points.reports).flat_map(move |at_report| {
        let fail = failures.then_some(Fault::FailReport {
            at_report,
            code: HResult::E_FAIL,
        });
        let replace = replaces.then_some(Fault::ReplaceCallback { at_report });
        std::iter::once(Fault::CancelAll { at_report })
            .chain(fail)
            .chain(replace)
    });
    per_item
        .chain(global)
        .map(|fault| Scenario::clean().with(fault))
}

/// xorshift64*: deterministic for a seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        // `n` is a small count: the modulo bias is irrelevant here.
        usize::try_from(self.next() % u64::try_from(n).unwrap_or(u64::MAX)).unwrap_or(0)
    }
}

fn random_scenario(rng: &mut Rng, points: &Points) -> Scenario {
    let mut scenario = Scenario::clean();
    let count = 2 + rng.below(2);
    for _ in 0..count {
        let reports = points.reports.max(1);
        let fault = match (rng.below(4), points.items.is_empty()) {
            (0, false) | (1, false) => {
                let (item, item_reports) = points.items[rng.below(points.items.len())].clone();
                let at_report = 1 + rng.below(item_reports.max(1) + 1);
                if rng.below(2) == 0 || !points.kinds.skips {
                    Fault::CancelItem { item, at_report }
                } else {
                    Fault::Skip { item, at_report }
                }
            }
            _ if !points.kinds.failures => Fault::CancelAll {
                at_report: 1 + rng.below(reports + 1),
            },
            (2, _) => Fault::CancelAll {
                at_report: 1 + rng.below(reports + 1),
            },
            _ => Fault::FailReport {
                at_report: 1 + rng.below(reports + 1),
                code: if rng.below(2) == 0 {
                    HResult::E_FAIL
                } else {
                    HResult::E_UNEXPECTED
                },
            },
        };
        scenario.faults.push(fault);
    }
    scenario
}

fn failure_of(scenario: &Scenario, run: Run) -> Option<Failure> {
    let violation = run.first_violation()?.clone();
    Some(Failure {
        scenario: scenario.clone(),
        rule: violation.rule,
        violation,
        transcript: run.transcript,
    })
}

/// Drop faults one at a time while the scenario still fails.
fn shrink(mut failure: Failure, mut attempt: impl FnMut(&Scenario) -> Option<Failure>) -> Failure {
    let mut index = 0;
    while index < failure.scenario.faults.len() && failure.scenario.faults.len() > 1 {
        let mut smaller = failure.scenario.clone();
        smaller.faults.remove(index);
        match attempt(&smaller) {
            Some(smaller_failure) => failure = smaller_failure,
            None => index += 1,
        }
    }
    failure
}
