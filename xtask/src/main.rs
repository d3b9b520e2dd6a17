//! Repository automation: `cargo xtask <task>`.
//!
//! - `test`: every check and test, the command the README and CI use. Checks that the inner rings name
//!   no framework, makes sure PostgreSQL answers (starting the local cluster when it can) so the
//!   end-to-end and contract suites run on both backends, runs every suite, and validates the committed
//!   OpenAPI document with `openapi-spec-validator`, then fuzzes the live server against it
//!   (`api-fuzz`).
//! - `openapi [--check]`: regenerates `api/openapi.json` from the code (or fails when it is stale).
//! - `migrate [-- ARGS]`: runs the database migrations (`sendline migrate`).
//! - `bench [--backend sqlite|postgres] [--quick] [--only api|sending] [--rounds N] [--compare REV]`:
//!   load benchmarks with wrk
//!   (see `bench.rs`), and the sending engine against an SMTP sink (`bench/sending.rs`).
//! - `api-fuzz`: schemathesis against the live server's OpenAPI document (see `api_fuzz.rs`).
//! - `holidays`: regenerates the holiday and time-zone country data of `domain/data` (docs/holidays.md).

mod api_fuzz;
mod bench;
mod lead_csv;
mod smtp_sink;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(rest),
        Some("openapi") => openapi(rest.iter().any(|arg| arg == "--check")),
        Some("bench") => bench::bench(rest),
        Some("api-fuzz") => api_fuzz::api_fuzz(),
        Some("holidays") => holidays(),
        Some("migrate") => run(Command::new(cargo())
            .args(["run", "--quiet", "--bin", "sendline", "--", "migrate"])
            .args(rest)),
        _ => {
            eprintln!(
                "usage: cargo xtask <test [-- cargo test args] | openapi [--check] | migrate [args] | bench [--backend sqlite|postgres] [--quick] [--only api|sending] [--rounds N] [--compare REV] | api-fuzz | holidays>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Crates the inner rings of the hexagon must not depend on (DESIGN.md: arrows point inward only).
const FRAMEWORKS: [&str; 8] = [
    "serde",
    "tokio",
    "poem",
    "poem-openapi",
    "sea-orm",
    "sea-query",
    "sqlx",
    "hyper",
];

/// Where the tests find PostgreSQL unless told otherwise: the local cluster of the dev and CI machines.
const LOCAL_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const POSTGRES_URL_VARIABLE: &str = "SENDLINE_TEST_POSTGRES_URL";

/// Runs every check and test.
fn test(extra: &[String]) -> Result<(), String> {
    for inner in ["domain", "application"] {
        check_no_framework(inner)?;
    }
    let mut tests = Command::new(cargo());
    tests.args(["test", "--workspace", "--locked"]).args(extra);
    match std::env::var(POSTGRES_URL_VARIABLE) {
        Ok(url) => println!("xtask: PostgreSQL suites run against {POSTGRES_URL_VARIABLE}={url}"),
        Err(_) if ensure_local_postgres() => {
            println!(
                "xtask: PostgreSQL suites run against the local cluster ({LOCAL_POSTGRES_URL})"
            );
            tests.env(POSTGRES_URL_VARIABLE, LOCAL_POSTGRES_URL);
        }
        Err(_) => println!(
            "xtask: no PostgreSQL answers on 127.0.0.1:5432 and none could be started; the suites run on \
             SQLite only (set {POSTGRES_URL_VARIABLE} to include PostgreSQL)"
        ),
    }
    run(&mut tests)?;
    validate_openapi_document()?;
    api_fuzz::api_fuzz()
}

/// Whether PostgreSQL answers locally, starting the Debian cluster when it does not yet.
fn ensure_local_postgres() -> bool {
    let ready = || {
        Command::new("pg_isready")
            .args(["-q", "-h", "127.0.0.1", "-p", "5432"])
            .status()
            .is_ok_and(|status| status.success())
    };
    if ready() {
        return true;
    }
    let Some(version) = std::fs::read_dir("/etc/postgresql")
        .ok()
        .and_then(|mut versions| versions.next())
        .and_then(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
    else {
        return false;
    };
    println!("xtask: starting PostgreSQL {version}");
    let started = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", "start"])
        .status()
        .is_ok_and(|status| status.success());
    for _ in 0..30 {
        if ready() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    started && ready()
}

/// Validates `api/openapi.json` with the reference validator (installed from PyPI when missing).
fn validate_openapi_document() -> Result<(), String> {
    let document = workspace_root().join("api/openapi.json");
    if !document.exists() {
        return Err(format!(
            "{} is missing: run cargo xtask openapi",
            document.display()
        ));
    }
    ensure_python_package("openapi_spec_validator", "openapi-spec-validator")?;
    run(Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&document))
}

/// Installs `package` from PyPI when Python cannot import `module`.
/// The release of the `holidays` package (PyPI) the committed holiday data comes from.
const HOLIDAYS_PACKAGE: &str = "holidays==0.109";

/// Regenerates `domain/data/holidays.tsv` and `domain/data/zone_countries.tsv`
/// (`xtask/holiday_data.py`) from the pinned `holidays` package, in a virtual environment of its own
/// under `target/`, and this machine's tzdata (docs/holidays.md).
fn holidays() -> Result<(), String> {
    let root = workspace_root();
    let venv = root.join("target/holidays-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        HOLIDAYS_PACKAGE,
    ]))?;
    run(Command::new(&python)
        .arg(root.join("xtask/holiday_data.py"))
        .arg("/usr/share/zoneinfo")
        .arg(root.join("domain/data")))
}

fn ensure_python_package(module: &str, package: &str) -> Result<(), String> {
    let present = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|status| status.success());
    if present {
        return Ok(());
    }
    println!("xtask: installing {package} from PyPI");
    run(Command::new("python3").args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        package,
    ]))
}

/// Writes the OpenAPI document the code generates to `api/openapi.json`, or with `check` fails when the
/// committed one differs.
fn openapi(check: bool) -> Result<(), String> {
    let output = Command::new(cargo())
        .args([
            "run", "--quiet", "--locked", "--bin", "sendline", "--", "openapi",
        ])
        .output()
        .map_err(|error| format!("could not run sendline openapi: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "sendline openapi failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let path = workspace_root().join("api/openapi.json");
    if check {
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != output.stdout {
            return Err(format!(
                "{} is stale: run cargo xtask openapi",
                path.display()
            ));
        }
        println!("xtask: {} is up to date", path.display());
        return Ok(());
    }
    std::fs::write(&path, &output.stdout)
        .map_err(|error| format!("could not write {}: {error}", path.display()))?;
    println!("xtask: wrote {}", path.display());
    Ok(())
}

/// Fails when `package`'s normal (non-dev) dependency tree holds a framework crate.
fn check_no_framework(package: &str) -> Result<(), String> {
    let output = Command::new(cargo())
        .args([
            "tree", "--locked", "-p", package, "-e", "normal", "--prefix", "none", "--format",
            "{p}",
        ])
        .output()
        .map_err(|error| format!("could not run cargo tree: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree -p {package} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    let offenders: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| FRAMEWORKS.contains(name))
        .collect();
    if offenders.is_empty() {
        println!("xtask: {package} depends on no framework crate");
        Ok(())
    } else {
        Err(format!("{package} must not depend on {offenders:?}"))
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn run(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|error| format!("could not run {command:?}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed with {status}"))
    }
}
