//! Repository automation: `cargo xtask <task>`.
//!
//! - `test`: checks that the inner rings name no framework, then runs every test of the workspace: the
//!   command the README and CI use.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask test [-- <cargo test args>]");
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

/// Runs every test of the workspace.
fn test(extra: &[String]) -> Result<(), String> {
    for inner in ["domain", "application"] {
        check_no_framework(inner)?;
    }
    run(Command::new(cargo())
        .args(["test", "--workspace", "--locked"])
        .args(extra))
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
