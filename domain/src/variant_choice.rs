//! Which variant of an email step a new send gets (SENDING.md section 3, "Variants"): the least-sent
//! of the variants still offered. All are offered, unless `variantOptimization` is enabled and the
//! step has been tried enough: then the variants behind the best by the campaign's metric stop
//! getting new sends, keeping at least `keepMinimumVariants`.
//!
//! "Tried enough" is every variant of the step with `minimumSendsPerVariant` sends, and
//! `minimumDays` passed since the latest of their first sends (every variant has had that long).
//! The test runs at every choice, so a variant that was cut comes back if the leaders' rate falls
//! below its own.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, Utc};

use crate::settings::{OptimizationMetric, VariantOptimization};

/// What a variant of one step has done so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantRecord<'a> {
    pub letter: &'a str,
    /// Its sends (claims that were not deferred).
    pub sent: u64,
    pub first_sent_at: Option<DateTime<Utc>>,
    /// Its sends that were opened, clicked, or whose lead replied.
    pub opened: u64,
    pub clicked: u64,
    pub replied: u64,
}

impl VariantRecord<'_> {
    /// How many of its sends the metric counts.
    fn successes(&self, metric: OptimizationMetric) -> u64 {
        match metric {
            OptimizationMetric::ReplyRate => self.replied,
            OptimizationMetric::OpenRate => self.opened,
            OptimizationMetric::ClickRate => self.clicked,
        }
    }

    /// Compares the two rates `successes / sent` exactly (no division; a variant without sends
    /// rates 0).
    fn compare_rate(&self, other: &Self, metric: OptimizationMetric) -> Ordering {
        let mine = u128::from(self.successes(metric)) * u128::from(other.sent.max(1));
        let theirs = u128::from(other.successes(metric)) * u128::from(self.sent.max(1));
        mine.cmp(&theirs)
    }
}

/// The variant the next send of a step gets, `records` in the step's order (`None` when the step
/// has no variant). Ties go to the earlier letter.
pub fn choose_variant<'a>(
    records: &[VariantRecord<'a>],
    optimization: &VariantOptimization,
    now: DateTime<Utc>,
) -> Option<&'a str> {
    let offered = offered_variants(records, optimization, now);
    offered
        .iter()
        .min_by_key(|(index, record)| (record.sent, *index))
        .map(|(_, record)| record.letter)
}

/// The variants still offered, each with its position in the step.
fn offered_variants<'r, 'a>(
    records: &'r [VariantRecord<'a>],
    optimization: &VariantOptimization,
    now: DateTime<Utc>,
) -> Vec<(usize, &'r VariantRecord<'a>)> {
    let all: Vec<_> = records.iter().enumerate().collect();
    if !optimization.enabled() || records.len() < 2 || !tried_enough(records, optimization, now) {
        return all;
    }
    let metric = optimization.optimization_metric();
    let mut ranked = all;
    // Best first; the earlier letter first among equals.
    ranked
        .sort_by(|(a_index, a), (b_index, b)| b.compare_rate(a, metric).then(a_index.cmp(b_index)));
    let best = ranked[0].1;
    let keep = usize::try_from(optimization.keep_minimum_variants()).unwrap_or(usize::MAX);
    ranked
        .into_iter()
        .enumerate()
        .take_while(|(rank, (_, record))| {
            *rank < keep || record.compare_rate(best, metric) == Ordering::Equal
        })
        .map(|(_, offered)| offered)
        .collect()
}

/// Every variant has its minimum sends, and the minimum days have passed since the last of them
/// first sent.
fn tried_enough(
    records: &[VariantRecord<'_>],
    optimization: &VariantOptimization,
    now: DateTime<Utc>,
) -> bool {
    let minimum_sends = u64::from(optimization.minimum_sends_per_variant());
    if records.iter().any(|record| record.sent < minimum_sends) {
        return false;
    }
    let latest_first_send = records
        .iter()
        .filter_map(|record| record.first_sent_at)
        .max();
    latest_first_send
        .is_some_and(|first| now >= first + Duration::days(i64::from(optimization.minimum_days())))
}

#[cfg(test)]
mod tests;
