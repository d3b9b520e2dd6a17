//! The demo workspace's key in a file of its own, beside the database it belongs to.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use application::ports::{DemoKeyStore, RepositoryError};
use async_trait::async_trait;
use domain::identity::ApiKeySecret;

use crate::private_files::{
    beside_sqlite_database, is_postgres_url, read_if_present, write_private,
};

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
        if is_postgres_url(url) {
            return Ok(Some(Self::at(POSTGRES_DEMO_KEY_FILE)));
        }
        Ok(beside_sqlite_database(url, SUFFIX)?.map(Self::at))
    }

    /// The file at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl DemoKeyStore for DemoKeyFile {
    async fn load(&self) -> Result<Option<String>, RepositoryError> {
        let path = self.path.clone();
        Ok(tokio::task::spawn_blocking(move || read_if_present(&path))
            .await
            .context("reading the demo key")??)
    }

    async fn save(&self, key: &ApiKeySecret) -> Result<(), RepositoryError> {
        let path = self.path.clone();
        let key = key.expose().to_owned();
        Ok(
            tokio::task::spawn_blocking(move || write_private(&path, &key))
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
