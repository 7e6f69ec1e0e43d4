//! Did the balloon assist? An assisted run can reach a steady state in which the balloon does
//! nothing: a beat too short to fill it (shock at 240 bpm), a drive pressure or pneumatic
//! delay that never lets it fill before deflation, timing offsets that leave no inflation
//! window, a trigger watchdog that stops pumping. Its metrics are then those of the baseline,
//! and calling the run assisted would be a silently wrong result.
//!
//! The measure: over the summary beats, the share of the beats the ratio asks for (every k-th
//! at 1:k) in which the balloon reached its delivered volume (the console's "balloon full",
//! i.e. the beats with a `balloon_inflation_time_ms`), and the console alarms of the run.

use crate::model::EventKind;
use crate::run::RunResult;

/// Delivered share below which the balloon is said not to assist.
pub const MIN_DELIVERED_FRACTION: f64 = 0.5;

/// What the balloon delivered in an assisted run.
#[derive(Debug, Clone, PartialEq)]
pub struct AssistReport {
    /// Beats of the summary in which the balloon reached its delivered volume, over the beats
    /// its ratio asks for (1 = assisted as set, 0 = did nothing).
    pub delivered_fraction: f64,
    /// Console alarms raised during the run.
    pub alarms: u64,
    /// Each kind of alarm raised with its count, e.g. `alarm_trigger_lost ×7`.
    pub alarm_kinds: Vec<(&'static str, u64)>,
}

impl AssistReport {
    /// The report of an assisted run.
    pub fn of(run: &RunResult) -> Self {
        let summary: Vec<_> = run
            .beats
            .iter()
            .filter(|b| b.beat >= run.beats_to_steady_state)
            .collect();
        let delivered = summary
            .iter()
            .filter(|b| b.metrics.balloon_inflation_time_ms.is_some())
            .count() as f64;
        let asked = (summary.len() as f64 / run.assist_period.max(1) as f64).max(1.0);
        let mut alarm_kinds: Vec<(&'static str, u64)> = Vec::new();
        for a in &run.alarms {
            let name = EventKind::name(a.kind);
            match alarm_kinds.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => alarm_kinds.push((name, 1)),
            }
        }
        Self {
            delivered_fraction: (delivered / asked).min(1.0),
            alarms: run.alarms.len() as u64,
            alarm_kinds,
        }
    }

    /// The balloon reached its volume in fewer than half the beats its ratio asks for.
    pub fn failed_to_assist(&self) -> bool {
        self.delivered_fraction < MIN_DELIVERED_FRACTION
    }

    /// `alarm_trigger_lost ×7, alarm_gas_leak ×1` (empty without alarms).
    pub fn alarm_text(&self) -> String {
        self.alarm_kinds
            .iter()
            .map(|(n, c)| format!("{n} ×{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// One sentence for a warning or a status message; None when the balloon assisted as set
    /// and raised no alarm.
    pub fn problem(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.failed_to_assist() {
            parts.push(format!(
                "the balloon reached its volume in {:.0} % of the beats its ratio asks for: no real assist",
                100.0 * self.delivered_fraction
            ));
        }
        if self.alarms > 0 {
            parts.push(format!("console alarms: {}", self.alarm_text()));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}
