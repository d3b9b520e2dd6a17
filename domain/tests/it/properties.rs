//! Property tests: cheap invariants over generated input.

use domain::sequence::StepKind;
use proptest::prelude::*;

use crate::support::*;

/// A valid main sequence: an email first, then any mix in which waits never touch and the last is an email.
fn valid_sequence() -> impl Strategy<Value = Vec<(bool, u8)>> {
    prop::collection::vec((any::<bool>(), 1u8..=30), 0..12).prop_map(|shape| {
        let mut steps = vec![(true, 0)];
        for (is_wait, days) in shape {
            let previous_was_wait = steps.last().is_some_and(|(email, _)| !email);
            if is_wait && !previous_was_wait {
                steps.push((false, days));
            } else {
                steps.push((true, 0));
            }
        }
        if steps.last().is_some_and(|(email, _)| !email) {
            steps.push((true, 0));
        }
        steps
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_valid_sequence_round_trips_its_order_and_names(shape in valid_sequence(), seed in any::<u64>()) {
        let steps: Vec<_> = shape
            .iter()
            .enumerate()
            .map(|(index, &(is_email, days))| {
                let step = if index == 0 {
                    email("Hi {{firstName}}", "Body 0")
                } else if is_email {
                    reply(&format!("Body {index}"))
                } else {
                    wait_days(i64::from(days))
                };
                with_order(step, index as i64)
            })
            .collect();
        // Shuffle the request array; orders must put the steps back.
        let mut shuffled = steps.clone();
        let mut state = seed;
        for index in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let other = (state >> 33) as usize % (index + 1);
            shuffled.swap(index, other);
        }
        let parsed = valid(&with_sequence(shuffled));
        let parsed_steps = parsed.sequence().steps();
        prop_assert_eq!(parsed_steps.len(), shape.len());
        let mut emails = 0;
        for (step, &(is_email, days)) in parsed_steps.iter().zip(&shape) {
            match step.kind() {
                StepKind::Email(_) => {
                    prop_assert!(is_email);
                    let expected = if emails == 0 { "Initial Email".to_owned() } else { format!("Follow-up {emails}") };
                    prop_assert_eq!(step.name(), expected.as_str());
                    emails += 1;
                }
                StepKind::Wait(wait) => {
                    prop_assert!(!is_email);
                    prop_assert_eq!(wait.days(), u32::from(days));
                    let expected = if days == 1 { "Wait 1 day".to_owned() } else { format!("Wait {days} days") };
                    prop_assert_eq!(step.name(), expected.as_str());
                }
            }
        }
    }

    #[test]
    fn parsing_never_panics_on_arbitrary_text_fields(name in ".{0,250}", subject in ".{0,20}", body in ".{0,60}", tz in ".{0,20}", start in ".{0,6}") {
        let mut request = with_sequence(vec![email(&subject, &body)]);
        request.name = Some(name);
        request.schedule = Some(domain::request::ScheduleRequest { timezone: Some(tz), start_time: Some(start), ..Default::default() });
        let _ = parse(&request);
    }
}
