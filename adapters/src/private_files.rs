//! Small files the server keeps beside a SQLite database (the demo key, the secret key): where they
//! go, and how they are written so that only their owner can ever read them.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context as _;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;

use crate::database::connect::is_sqlite_memory;

/// Whether `url` names a PostgreSQL database.
pub(crate) fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The file beside the SQLite database at `url`: its name plus `suffix` (`sendline.db` →
/// `sendline.db.demo-key`); `None` for an in-memory database, which nothing outlives.
pub(crate) fn beside_sqlite_database(url: &str, suffix: &str) -> anyhow::Result<Option<PathBuf>> {
    anyhow::ensure!(
        url.starts_with("sqlite:"),
        "unsupported database URL: expected sqlite:… or postgres://…"
    );
    if is_sqlite_memory(url) {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str(url).context("parsing the SQLite URL")?;
    let mut path = options.get_filename().as_os_str().to_owned();
    path.push(suffix);
    Ok(Some(PathBuf::from(path)))
}

/// The file's text, or `None` when there is no file.
pub(crate) fn read_if_present(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes `line` (and a line break) to a file of its own beside `path` (mode 0600 from its creation),
/// then renames it over `path`: a reader sees the old text or the new one, and nobody else may read
/// either.
pub(crate) fn write_private(path: &Path, line: &str) -> anyhow::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(line.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed.with_context(|| format!("cannot write {}", path.display()))
}
