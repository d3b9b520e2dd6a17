//! Rounds of scenarios summed up: each scenario's median and spread over the rounds, and its rate as
//! a ratio to each ceiling measured in the SAME round (a host that slows down between rounds slows
//! the ceiling and the scenario together, so the ratio keeps what the code costs).

use super::{Measured, json_string, stalled_text};

/// The median and the range of one figure over the rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// `None` without values. The median of an even count is the mean of the middle two.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut values: Vec<f64> = values
            .into_iter()
            .filter(|value| value.is_finite())
            .collect();
        values.sort_by(f64::total_cmp);
        let (first, last) = (*values.first()?, *values.last()?);
        let middle = values.len() / 2;
        let median = if values.len().is_multiple_of(2) {
            (values[middle - 1] + values[middle]) / 2.0
        } else {
            values[middle]
        };
        Some(Spread {
            median,
            min: first,
            max: last,
        })
    }

    /// `median (min–max)` with `decimals` digits.
    pub fn text(&self, decimals: usize) -> String {
        format!(
            "{:.decimals$} ({:.decimals$}–{:.decimals$})",
            self.median, self.min, self.max
        )
    }

    pub fn json(&self) -> String {
        format!(
            "{{\"median\": {:.4}, \"min\": {:.4}, \"max\": {:.4}}}",
            self.median, self.min, self.max
        )
    }
}

/// A ceiling: its label in the table and its scenario's position in every round.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ceiling {
    pub label: &'static str,
    pub position: usize,
}

/// One scenario over every round.
#[derive(Debug, Clone)]
pub(super) struct ScenarioSummary {
    pub scenario: &'static str,
    pub rounds: Vec<Measured>,
    pub rate: Spread,
    pub p50_ms: Spread,
    pub p99_ms: Spread,
    /// Each ceiling's label and this scenario's rate over it, round by round.
    pub ratios: Vec<(&'static str, Spread)>,
    /// The server's CPU time per request, when it was measured.
    pub cpu_us_per_request: Option<Spread>,
}

impl ScenarioSummary {
    /// The ratio to the ceiling labelled `label`.
    pub fn ratio(&self, label: &str) -> Option<Spread> {
        self.ratios
            .iter()
            .find(|(each, _)| *each == label)
            .map(|(_, spread)| *spread)
    }
}

/// Every scenario of `rounds` (each round the same scenarios in the same order), summed up.
pub(super) fn summarize(rounds: &[Vec<Measured>], ceilings: &[Ceiling]) -> Vec<ScenarioSummary> {
    let Some(first) = rounds.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|position| {
            let each: Vec<Measured> = rounds
                .iter()
                .filter_map(|round| round.get(position).cloned())
                .collect();
            let figure = |of: fn(&Measured) -> f64| Spread::of(each.iter().map(of));
            let ratios = ceilings
                .iter()
                .filter_map(|ceiling| {
                    let per_round = rounds.iter().filter_map(|round| {
                        let rate = round.get(position)?.per_second();
                        let ceiling = round.get(ceiling.position)?.per_second();
                        (ceiling > 0.0).then(|| rate / ceiling)
                    });
                    Some((ceiling.label, Spread::of(per_round)?))
                })
                .collect();
            ScenarioSummary {
                scenario: first[position].scenario,
                rate: figure(Measured::per_second).unwrap_or(ZERO),
                p50_ms: figure(|measured| measured.p50_ms).unwrap_or(ZERO),
                p99_ms: figure(|measured| measured.p99_ms).unwrap_or(ZERO),
                ratios,
                cpu_us_per_request: Spread::of(
                    each.iter()
                        .filter_map(|measured| measured.cpu_us_per_request),
                ),
                rounds: each,
            }
        })
        .collect()
}

const ZERO: Spread = Spread {
    median: 0.0,
    min: 0.0,
    max: 0.0,
};

/// The markdown table of `summaries`: medians with their range over the rounds, the ratios to the
/// ceilings of the same rounds, the server's CPU per request.
pub(super) fn table(summaries: &[ScenarioSummary], ceilings: &[Ceiling]) -> String {
    let ratio_heads: String = ceilings
        .iter()
        .map(|ceiling| format!(" vs {} |", ceiling.label))
        .collect();
    let ratio_rules = "---:|".repeat(ceilings.len());
    let mut table = format!(
        "| scenario | req/s | p50 ms | p99 ms | max ms | non-2xx |{ratio_heads} CPU µs/req | I/O stalled |\n|---|---:|---:|---:|---:|---:|{ratio_rules}---:|---:|\n"
    );
    for summary in summaries {
        let ratios: String = ceilings
            .iter()
            .map(|ceiling| {
                summary.ratio(ceiling.label).map_or_else(
                    || " - |".to_owned(),
                    |ratio| format!(" {} |", ratio.text(2)),
                )
            })
            .collect();
        let max_ms = summary
            .rounds
            .iter()
            .map(|measured| measured.max_ms)
            .fold(0.0, f64::max);
        let failures: u64 = summary
            .rounds
            .iter()
            .map(|measured| measured.non_2xx + measured.socket_errors)
            .sum();
        let stalled = summary
            .rounds
            .iter()
            .filter_map(|measured| measured.io_stalled_percent)
            .fold(None, |most: Option<f64>, each| {
                Some(most.map_or(each, |most| most.max(each)))
            });
        table.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} | {max_ms:.1} | {failures} |{ratios} {} | {} |\n",
            summary.scenario,
            summary.rate.text(0),
            summary.p50_ms.median,
            summary.p99_ms.median,
            summary
                .cpu_us_per_request
                .map_or_else(|| "-".to_owned(), |cpu| format!("{:.0}", cpu.median)),
            stalled_text(stalled),
        ));
    }
    table
}

/// `summaries` as a JSON array: per scenario its medians, spreads, ratios and every round.
pub(super) fn json(summaries: &[ScenarioSummary]) -> String {
    let items: Vec<String> = summaries
        .iter()
        .map(|summary| {
            let ratios: Vec<String> = summary
                .ratios
                .iter()
                .map(|(label, spread)| format!("{}: {}", json_string(label), spread.json()))
                .collect();
            let rounds: Vec<String> = summary.rounds.iter().map(Measured::json).collect();
            format!(
                "{{\"scenario\": {}, \"requestsPerSecond\": {}, \"p50Ms\": {}, \"p99Ms\": {}, \"ratios\": {{{}}}, \"cpuMicrosPerRequest\": {}, \"rounds\": [{}]}}",
                json_string(summary.scenario),
                summary.rate.json(),
                summary.p50_ms.json(),
                summary.p99_ms.json(),
                ratios.join(", "),
                summary
                    .cpu_us_per_request
                    .map_or_else(|| "null".to_owned(), |cpu| cpu.json()),
                rounds.join(", ")
            )
        })
        .collect();
    format!("[\n  {}\n]", items.join(",\n  "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(scenario: &'static str, requests: u64) -> Measured {
        Measured {
            scenario,
            requests,
            seconds: 1.0,
            p50_ms: 1.0,
            p99_ms: requests as f64 / 1000.0,
            max_ms: 9.0,
            non_2xx: 0,
            socket_errors: 0,
            io_stalled_percent: None,
            cpu_us_per_request: Some(100.0),
        }
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value_and_of_an_even_count_the_middle_twos_mean() {
        let spread =
            Spread::of([3.0, 1.0, 2.0]).map(|spread| (spread.median, spread.min, spread.max));
        assert_eq!(spread, Some((2.0, 1.0, 3.0)));
        let spread = Spread::of([4.0, 1.0, 2.0, 3.0]).map(|spread| spread.median);
        assert_eq!(spread, Some(2.5));
        assert_eq!(Spread::of([]), None);
    }

    #[test]
    fn a_ratio_divides_by_the_ceiling_of_the_same_round() {
        // Round 1: a fast host (ceiling 10,000, scenario 2,500); round 2: a slow one (5,000, 1,500).
        let rounds = vec![
            vec![measured("healthz", 10_000), measured("get", 2_500)],
            vec![measured("healthz", 5_000), measured("get", 1_500)],
        ];
        let ceilings = [Ceiling {
            label: "healthz",
            position: 0,
        }];
        let summaries = summarize(&rounds, &ceilings);
        let ratio = summaries[1]
            .ratio("healthz")
            .map(|spread| (spread.min, spread.max));
        assert_eq!(ratio, Some((0.25, 0.3)));
        assert_eq!(summaries[1].rate.median, 2_000.0);
    }
}
