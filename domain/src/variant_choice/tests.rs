use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::problem::{JsonPointer, Problems};
use crate::request::VariantOptimizationRequest;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-10T14:00:00Z")
        .expect("a test instant")
        .with_timezone(&Utc)
}

fn optimization(enabled: bool, metric: &str, keep: i64) -> VariantOptimization {
    let mut problems = Problems::new();
    let request = VariantOptimizationRequest {
        enabled: Some(enabled),
        minimum_sends_per_variant: Some(10),
        minimum_days: Some(3),
        optimization_metric: Some(metric.to_owned()),
        keep_minimum_variants: Some(keep),
    };
    let parsed = VariantOptimization::parse(Some(&request), &JsonPointer::root(), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    parsed.expect("valid settings")
}

/// A variant with `sent` sends, first sent `days_ago`, and `replied` replies (opens twice that,
/// clicks half).
fn record(letter: &str, sent: u64, days_ago: i64, replied: u64) -> VariantRecord<'_> {
    VariantRecord {
        letter,
        sent,
        first_sent_at: Some(now() - Duration::days(days_ago)),
        opened: replied * 2,
        clicked: replied / 2,
        replied,
    }
}

#[test]
fn variants_are_spread_evenly_the_least_sent_first() {
    let off = optimization(false, "replyRate", 1);
    let records = [
        record("A", 3, 5, 0),
        record("B", 2, 5, 0),
        record("C", 2, 5, 0),
    ];
    assert_eq!(choose_variant(&records, &off, now()), Some("B"));
    let fresh = [record("A", 0, 0, 0), record("B", 0, 0, 0)];
    assert_eq!(choose_variant(&fresh, &off, now()), Some("A"));
    assert_eq!(choose_variant(&[], &off, now()), None);
}

#[test]
fn variant_optimization_stops_the_variants_behind_the_best_once_tried_enough() {
    let on = optimization(true, "replyRate", 1);
    // B replies 4 in 20, A 1 in 10: A is behind and stops, though it has sent less.
    let records = [record("A", 10, 5, 1), record("B", 20, 5, 4)];
    assert_eq!(choose_variant(&records, &on, now()), Some("B"));
    // Off, the least-sent goes first as ever.
    let off = optimization(false, "replyRate", 1);
    assert_eq!(choose_variant(&records, &off, now()), Some("A"));
}

#[test]
fn variant_optimization_waits_for_the_minimum_sends_and_days_of_every_variant() {
    let on = optimization(true, "replyRate", 1);
    // A has 9 sends of the 10 needed: spread evenly still.
    let too_few = [record("A", 9, 5, 0), record("B", 20, 5, 4)];
    assert_eq!(choose_variant(&too_few, &on, now()), Some("A"));
    // A first sent 2 days ago, 3 are needed.
    let too_recent = [record("A", 10, 2, 0), record("B", 20, 5, 4)];
    assert_eq!(choose_variant(&too_recent, &on, now()), Some("A"));
    // Exactly 3 days: tried enough.
    let just = [record("A", 10, 3, 0), record("B", 20, 5, 4)];
    assert_eq!(choose_variant(&just, &on, now()), Some("B"));
}

#[test]
fn variant_optimization_keeps_the_minimum_variants_and_every_variant_tied_with_the_best() {
    let keep_two = optimization(true, "replyRate", 2);
    // C is best; B is second: both offered, B the least sent of them.
    let records = [
        record("A", 10, 5, 0),
        record("B", 10, 5, 1),
        record("C", 20, 5, 6),
    ];
    assert_eq!(choose_variant(&records, &keep_two, now()), Some("B"));
    // A tie with the best is not "behind": both stay with keep 1.
    let keep_one = optimization(true, "replyRate", 1);
    let tied = [
        record("A", 10, 5, 2),
        record("B", 20, 5, 4),
        record("C", 10, 5, 0),
    ];
    assert_eq!(choose_variant(&tied, &keep_one, now()), Some("A"));
}

#[test]
fn variant_optimization_ranks_by_the_campaigns_metric() {
    // A: 10 sends, 4 opens, 1 click, 2 replies. B: 10 sends, 6 opens, 2 clicks, 1 reply.
    let a = VariantRecord {
        letter: "A",
        sent: 10,
        first_sent_at: Some(now() - Duration::days(5)),
        opened: 4,
        clicked: 1,
        replied: 2,
    };
    let b = VariantRecord {
        letter: "B",
        sent: 11,
        first_sent_at: Some(now() - Duration::days(5)),
        opened: 7,
        clicked: 2,
        replied: 1,
    };
    let records = [a, b];
    for (metric, winner) in [("replyRate", "A"), ("openRate", "B"), ("clickRate", "B")] {
        let on = optimization(true, metric, 1);
        assert_eq!(
            choose_variant(&records, &on, now()),
            Some(winner),
            "{metric}"
        );
    }
}
