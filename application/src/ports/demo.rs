//! Where `serve --demo` keeps its workspace key between starts.

use async_trait::async_trait;
use domain::identity::ApiKeySecret;

use super::RepositoryError;

/// The demo workspace's key, kept outside the database (which stores only its hash) so that a
/// restarted `serve --demo` can print the same key again and saved scripts keep working.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DemoKeyStore: Send + Sync {
    /// The text saved by an earlier start, as saved; `None` when nothing was saved yet (that is not an
    /// error). The caller judges whether it is a key at all.
    async fn load(&self) -> Result<Option<String>, RepositoryError>;

    /// Replaces what is saved with `key`. What is saved MUST be readable by the server's user only
    /// (mode 0600 on Unix), and a reader MUST see either the old key or the new one, never a part.
    async fn save(&self, key: &ApiKeySecret) -> Result<(), RepositoryError>;
}
