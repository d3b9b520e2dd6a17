//! The demo workspace's key in a file of its own, beside the database it belongs to.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context as _;
use application::ports::{DemoKeyStore, RepositoryError};
use async_trait::async_trait;
use domain::identity::ApiKeySecret;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;

use crate::database::connect::is_sqlite_memory;

/// What is appended to a SQLite file's name: `sendline.db` keeps its key in `sendline.db.demo-key`.
const SUFFIX: &str = ".demo-key";
/// Where the key of a PostgreSQL database is kept: this file in the working directory.
pub const POSTGRES_DEMO_KEY_FILE: &str = "sendline.demo-key";

/// `serve --demo`'s key, one line of text, in a file only its owner may read or write (mode 0600).
#[derive(Debug, Clone)]
pub struct DemoKeyFile {
    path: PathBuf,
}

impl DemoKeyFile {
    /// The file for the database at `url`: beside a SQLite file (its name plus `.demo-key`),
    /// [`POSTGRES_DEMO_KEY_FILE`] in the working directory for PostgreSQL, and none for an in-memory
    /// database (its key could not outlive it).
    pub fn for_database(url: &str) -> anyhow::Result<Option<Self>> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Some(Self::at(POSTGRES_DEMO_KEY_FILE)));
        }
        anyhow::ensure!(
            url.starts_with("sqlite:"),
            "unsupported database URL: expected sqlite:… or postgres://…"
        );
        if is_sqlite_memory(url) {
            return Ok(None);
        }
        let options = SqliteConnectOptions::from_str(url).context("parsing the SQLite URL")?;
        let mut path = options.get_filename().as_os_str().to_owned();
        path.push(SUFFIX);
        Ok(Some(Self::at(path)))
    }

    /// The file at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(path: &Path) -> anyhow::Result<Option<String>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes a file of its own beside `path` (mode 0600 from its creation), then renames it over
    /// `path`: a reader sees the old key or the new one, and the key is never readable by others.
    fn write(path: &Path, key: &str) -> anyhow::Result<()> {
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let _ = std::fs::remove_file(&temporary);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&temporary).and_then(|mut file| {
            file.write_all(key.as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()
        });
        let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
        if renamed.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        renamed.with_context(|| format!("cannot write {}", path.display()))
    }
}

#[async_trait]
impl DemoKeyStore for DemoKeyFile {
    async fn load(&self) -> Result<Option<String>, RepositoryError> {
        let path = self.path.clone();
        Ok(tokio::task::spawn_blocking(move || Self::read(&path))
            .await
            .context("reading the demo key")??)
    }

    async fn save(&self, key: &ApiKeySecret) -> Result<(), RepositoryError> {
        let path = self.path.clone();
        let key = key.expose().to_owned();
        Ok(
            tokio::task::spawn_blocking(move || Self::write(&path, &key))
                .await
                .context("writing the demo key")??,
        )
    }
}

#[cfg(test)]
mod tests {
    use domain::identity::ApiKeyKind;

    use super::*;

    #[test]
    fn the_key_of_a_sqlite_file_is_kept_beside_it_and_of_postgres_in_the_working_directory() {
        let path = |url: &str| {
            DemoKeyFile::for_database(url)
                .expect("a supported URL")
                .map(|file| file.path().to_path_buf())
        };
        assert_eq!(
            path("sqlite://sendline.db?mode=rwc"),
            Some(PathBuf::from("sendline.db.demo-key"))
        );
        assert_eq!(
            path("sqlite:///var/lib/sendline/data.db"),
            Some(PathBuf::from("/var/lib/sendline/data.db.demo-key"))
        );
        assert_eq!(
            path("postgres://app:secret@db/sendline"),
            Some(PathBuf::from("sendline.demo-key"))
        );
        assert_eq!(path("sqlite::memory:"), None);
        assert!(DemoKeyFile::for_database("mysql://db").is_err());
    }

    #[tokio::test]
    async fn a_saved_key_is_loaded_back_and_only_its_owner_may_read_it() {
        let path = std::env::temp_dir().join(format!(
            "sendline-demo-key-{}-{}",
            std::process::id(),
            line!()
        ));
        let file = DemoKeyFile::at(&path);
        assert_eq!(file.load().await.expect("nothing saved is no error"), None);
        for byte in [1, 2] {
            let key = ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [byte; 24]);
            file.save(&key).await.expect("saved");
            let loaded = file.load().await.expect("loaded");
            assert_eq!(loaded.as_deref().map(str::trim), Some(key.expose()));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .expect("the file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_file(&path);
    }
}
