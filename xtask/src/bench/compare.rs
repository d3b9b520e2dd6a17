//! `cargo xtask bench --compare REV`: this tree's release server against another revision's, on one
//! machine, alternated so that a change's effect is measured rather than the host's mood.
//!
//! REV is exported with `git archive` and built in `target/bench/compare/` (its own target
//! directory, kept between runs). Each build fills a database of its own with its own `bench-fill`
//! (each revision has its own schema; a newer one cannot be opened by an older server), of the run's
//! size without leads. Then each round starts each build's server in turn on its database — ABBA:
//! the order swaps every round — warms it with 2 s of creates, and runs the ceilings and the core
//! scenarios (create, get by id, list 25), counting the server's CPU per request. The report is each
//! build's medians and this tree's figure over REV's, round by round and as a geometric mean.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::summary::{self, ScenarioSummary, Spread};
use super::{
    API_CEILINGS, Backend, CONNECTIONS, Measured, SECRET_KEY_HEX, Scripts, Size, THREADS,
    fresh_database, json_string, machine, now_utc, read_fill, settle_after_fill, start_api_server,
    wait_until_healthy, wrk,
};
use crate::{cargo, run, workspace_root};

/// Rounds at least (two of each order), and at most.
pub(super) const MIN_ROUNDS: usize = 4;
pub(super) const MAX_ROUNDS: usize = 20;
/// Seconds of creates that warm a freshly started server before a round's measured runs.
const WARM_UP_SECONDS: u32 = 2;

/// Builds REV's `sendline` (release) and answers the path of a copy named after its commit.
pub(super) fn build_revision(revision: &str) -> Result<PathBuf, String> {
    let root = workspace_root();
    let output = Command::new("git")
        .current_dir(&root)
        .args(["rev-parse", "--verify", &format!("{revision}^{{commit}}")])
        .output()
        .map_err(|error| format!("could not run git: {error}"))?;
    if !output.status.success() {
        return Err(format!("--compare {revision:?}: no such revision"));
    }
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let short = commit.get(..12).unwrap_or(&commit).to_owned();
    let base = root.join("target/bench/compare");
    let source = base.join(format!("src-{short}"));
    let binary = base.join(format!("sendline-{short}"));
    if binary.exists() {
        println!(
            "xtask: {revision} ({short}) was built before: {}",
            binary.display()
        );
        return Ok(binary);
    }
    if !source.exists() {
        std::fs::create_dir_all(&source)
            .map_err(|error| format!("{}: {error}", source.display()))?;
        run(Command::new("sh").current_dir(&root).args([
            "-c",
            &format!(
                "git archive --format=tar {commit} | tar -x -C '{}'",
                source.display()
            ),
        ]))?;
    }
    println!(
        "xtask: building {revision} ({short}) in {}",
        source.display()
    );
    run(Command::new(cargo())
        .current_dir(&source)
        .args(["build", "--release", "--locked", "--bin", "sendline"])
        .env("CARGO_TARGET_DIR", base.join("target")))?;
    std::fs::copy(base.join("target/release/sendline"), &binary)
        .map_err(|error| format!("{}: {error}", binary.display()))?;
    Ok(binary)
}

/// One build in the comparison: its name, its server binary, and what its fill made.
struct Contender<'a> {
    name: &'a str,
    binary: &'a Path,
    database_url: String,
    scripts: Scripts,
    rounds: Vec<Vec<Measured>>,
}

/// Alternates `builds` over `rounds` rounds (ABBA) and reports this tree (the first) over the other.
pub(super) fn compare(
    backend: Backend,
    builds: [(&str, &Path); 2],
    rounds: usize,
    size: Size,
    out: &Path,
) -> Result<(), String> {
    let seed = workspace_root().join("api/tests/fixtures/seed_create_campaign.json");
    let mut contenders = Vec::new();
    for (index, (name, binary)) in builds.into_iter().enumerate() {
        let database_url = fresh_database(backend, out, &format!("compare_{index}"))?;
        println!(
            "xtask: filling {name}'s {} database: {} mailboxes, {} campaigns",
            backend.name(),
            size.mailboxes,
            size.campaigns
        );
        let fill = out.join(format!("compare_fill_{index}.txt"));
        run(Command::new(binary)
            .args(["bench-fill", "--database-url", &database_url])
            .args(["--mailboxes", &size.mailboxes.to_string()])
            .args(["--campaigns", &size.campaigns.to_string()])
            .arg("--output")
            .arg(&fill)
            .env("SENDLINE_SECRET_KEY", SECRET_KEY_HEX))?;
        settle_after_fill(backend, &database_url)?;
        let (key, ids_file) = read_fill(&fill, &out.join(format!("compare_ids_{index}.txt")))?;
        let scripts_directory = out.join(format!("compare_{index}"));
        std::fs::create_dir_all(&scripts_directory)
            .map_err(|error| format!("{}: {error}", scripts_directory.display()))?;
        // No selectAll runs here: the enrolment script is written for the same workspace, unused.
        let unused_enrolment = (key.clone(), ids_file.clone());
        let scripts = Scripts::write(
            &scripts_directory,
            &key,
            &seed,
            &ids_file,
            &unused_enrolment,
            1,
        )?;
        contenders.push(Contender {
            name,
            binary,
            database_url,
            scripts,
            rounds: Vec::new(),
        });
    }

    for round in 0..rounds {
        let order: [usize; 2] = if round.is_multiple_of(2) {
            [0, 1]
        } else {
            [1, 0]
        };
        for index in order {
            let contender = &mut contenders[index];
            println!("xtask: round {} of {rounds}: {}", round + 1, contender.name);
            let measured = one_round(contender, size.seconds)?;
            contender.rounds.push(measured);
        }
    }
    report(backend, &contenders, size, out)
}

/// The ceilings and the core scenarios on a freshly started server of `contender`.
fn one_round(contender: &Contender<'_>, seconds: u32) -> Result<Vec<Measured>, String> {
    let mut server = start_api_server(contender.binary, &contender.database_url)?;
    let measured = (|| {
        wait_until_healthy(&mut server)?;
        let many = (THREADS, CONNECTIONS);
        let pid = Some(server.id());
        let scripts = &contender.scripts;
        wrk(
            "warm-up",
            Some(&scripts.create),
            "/",
            many,
            WARM_UP_SECONDS,
            None,
        )?;
        [
            ("healthz (ceiling)", None, "/healthz"),
            ("echo create body (ceiling)", Some(&scripts.echo), "/"),
            ("create", Some(&scripts.create), "/"),
            ("get by id", Some(&scripts.get), "/"),
            ("list 25", Some(&scripts.list), "/"),
        ]
        .into_iter()
        .map(|(scenario, script, path)| wrk(scenario, script, path, many, seconds, pid))
        .collect::<Result<Vec<_>, _>>()
    })();
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();
    measured
}

/// The geometric mean of `values` (all positive), or `None`.
fn geometric_mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|value| *value <= 0.0) {
        return None;
    }
    let logs: f64 = values.iter().map(|value| value.ln()).sum();
    Some((logs / values.len() as f64).exp())
}

/// This tree's figure over the other's, round by round (the rounds pair up in order).
fn per_round(
    ours: &ScenarioSummary,
    theirs: &ScenarioSummary,
    of: fn(&Measured) -> Option<f64>,
) -> Vec<f64> {
    ours.rounds
        .iter()
        .zip(&theirs.rounds)
        .filter_map(|(ours, theirs)| Some(of(ours)? / of(theirs)?))
        .filter(|ratio| ratio.is_finite())
        .collect()
}

fn report(
    backend: Backend,
    contenders: &[Contender<'_>],
    size: Size,
    out: &Path,
) -> Result<(), String> {
    let [ours, theirs] = contenders else {
        return Err("a comparison needs two builds".to_owned());
    };
    let ours_summaries = summary::summarize(&ours.rounds, &API_CEILINGS);
    let theirs_summaries = summary::summarize(&theirs.rounds, &API_CEILINGS);
    let mut table = format!(
        "| scenario | {0} req/s | {1} req/s | req/s {0} / {1}, by round | geometric mean | CPU µs/req {0} | CPU µs/req {1} | CPU {0} / {1} (geometric mean) |\n|---|---:|---:|---|---:|---:|---:|---:|\n",
        ours.name, theirs.name
    );
    let mut json_rows = Vec::new();
    for (mine, other) in ours_summaries.iter().zip(&theirs_summaries) {
        let rates = per_round(mine, other, |measured| Some(measured.per_second()));
        let cpu = per_round(mine, other, |measured| measured.cpu_us_per_request);
        let rate_mean = geometric_mean(&rates);
        let cpu_mean = geometric_mean(&cpu);
        let cpu_text =
            |spread: Option<Spread>| spread.map_or_else(|| "-".to_owned(), |spread| spread.text(0));
        let mean_text =
            |mean: Option<f64>| mean.map_or_else(|| "-".to_owned(), |mean| format!("{mean:.3}"));
        let rounds_text: Vec<String> = rates.iter().map(|ratio| format!("{ratio:.2}")).collect();
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            mine.scenario,
            mine.rate.text(0),
            other.rate.text(0),
            rounds_text.join(" "),
            mean_text(rate_mean),
            cpu_text(mine.cpu_us_per_request),
            cpu_text(other.cpu_us_per_request),
            mean_text(cpu_mean),
        ));
        let optional = |value: Option<f64>| {
            value.map_or_else(|| "null".to_owned(), |value| format!("{value:.4}"))
        };
        json_rows.push(format!(
            "{{\"scenario\": {}, \"rateRatios\": [{}], \"rateRatioGeometricMean\": {}, \"cpuRatios\": [{}], \"cpuRatioGeometricMean\": {}}}",
            json_string(mine.scenario),
            rates.iter().map(|ratio| format!("{ratio:.4}")).collect::<Vec<_>>().join(", "),
            optional(rate_mean),
            cpu.iter().map(|ratio| format!("{ratio:.4}")).collect::<Vec<_>>().join(", "),
            optional(cpu_mean),
        ));
    }
    let when = now_utc();
    let machine = machine();
    println!(
        "\n{} comparison ({when}; {machine}): {} rounds, ABBA, {} s per scenario, {} mailboxes and {} campaigns per database\n\n{table}",
        backend.name(),
        ours.rounds.len(),
        size.seconds,
        size.mailboxes,
        size.campaigns
    );
    let json = format!(
        "{{\"backend\": {}, \"at\": {}, \"machine\": {}, \"builds\": [{}, {}], \"rounds\": {}, \"secondsPerScenario\": {}, \"comparison\": [\n  {}\n], \"ours\": {}, \"theirs\": {}}}\n",
        json_string(backend.name()),
        json_string(&when),
        json_string(&machine),
        json_string(ours.name),
        json_string(theirs.name),
        ours.rounds.len(),
        size.seconds,
        json_rows.join(",\n  "),
        summary::json(&ours_summaries),
        summary::json(&theirs_summaries),
    );
    let path = out.join("compare.json");
    std::fs::write(&path, json).map_err(|error| format!("{}: {error}", path.display()))?;
    println!("xtask: wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::geometric_mean;

    #[test]
    fn the_geometric_mean_of_ratios_treats_a_gain_and_the_same_loss_as_even() {
        let mean = geometric_mean(&[2.0, 0.5]).map(|mean| (mean * 1e9).round() / 1e9);
        assert_eq!(mean, Some(1.0));
        assert_eq!(geometric_mean(&[]), None);
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
    }
}
