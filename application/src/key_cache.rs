//! Live API keys remembered for a short while, so a busy client's requests do not each pay a key
//! lookup. A revocation through this instance evicts at once; another instance's revocation is seen
//! here within the time-to-live at most (docs/decisions.md, "Account, workspaces and keys").

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::id::WorkspaceId;
use domain::identity::{ApiKey, KeyHash};

/// How many keys are remembered at most; past that, the cache starts over (keys are few per instance,
/// so this only bounds memory against a flood of distinct valid keys).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
pub struct KeyCache {
    time_to_live: Duration,
    entries: Mutex<HashMap<KeyHash, (ApiKey, Instant)>>,
}

impl KeyCache {
    /// Remembers live keys for `time_to_live`; `Duration::ZERO` remembers nothing.
    pub fn new(time_to_live: Duration) -> Self {
        Self {
            time_to_live,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// A cache that remembers nothing: every request looks its key up.
    pub fn disabled() -> Self {
        Self::new(Duration::ZERO)
    }

    /// The live key with this hash, if it was looked up less than the time-to-live ago.
    pub fn get(&self, hash: &KeyHash) -> Option<ApiKey> {
        if self.time_to_live.is_zero() {
            return None;
        }
        let mut entries = self.entries();
        match entries.get(hash) {
            Some((key, looked_up)) if looked_up.elapsed() < self.time_to_live => Some(key.clone()),
            Some(_) => {
                entries.remove(hash);
                None
            }
            None => None,
        }
    }

    /// Remembers a key just looked up and found live.
    pub fn remember(&self, key: &ApiKey) {
        if self.time_to_live.is_zero() || key.is_revoked() {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.hash, (key.clone(), Instant::now()));
    }

    /// Forgets the workspace's keys: called when one of them is revoked.
    pub fn forget_workspace(&self, workspace: WorkspaceId) {
        self.entries()
            .retain(|_, (key, _)| key.workspace_id != Some(workspace));
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<KeyHash, (ApiKey, Instant)>> {
        // A panic while holding the lock cannot leave a half-written map entry: keep using it.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use domain::id::{ObjectId, UserId};
    use domain::identity::{ApiKeyKind, ApiKeySecret};

    use super::*;

    fn key(workspace: u32, byte: u8) -> ApiKey {
        ApiKey::issue(
            ObjectId::from_parts(1, [0; 5], u32::from(byte)),
            &ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [byte; 24]),
            UserId::from(ObjectId::from_parts(2, [0; 5], 1)),
            Some(WorkspaceId::from(ObjectId::from_parts(
                3, [0; 5], workspace,
            ))),
            Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
        )
    }

    #[test]
    fn a_zero_time_to_live_remembers_nothing() {
        let cache = KeyCache::disabled();
        let live = key(1, 1);
        cache.remember(&live);
        assert_eq!(cache.get(&live.hash), None);
    }

    #[test]
    fn a_key_is_forgotten_once_its_time_to_live_has_passed() {
        let cache = KeyCache::new(Duration::from_millis(1));
        let live = key(1, 1);
        cache.remember(&live);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(cache.get(&live.hash), None);
    }

    #[test]
    fn forgetting_a_workspace_drops_its_keys_and_keeps_the_others() {
        let cache = KeyCache::new(Duration::from_secs(3600));
        let (first, other) = (key(1, 1), key(2, 2));
        cache.remember(&first);
        cache.remember(&other);
        assert_eq!(cache.get(&first.hash), Some(first.clone()));
        cache.forget_workspace(first.workspace_id.expect("a workspace key"));
        assert_eq!(cache.get(&first.hash), None);
        assert_eq!(cache.get(&other.hash), Some(other));
    }

    #[test]
    fn a_revoked_key_is_never_remembered() {
        let cache = KeyCache::new(Duration::from_secs(3600));
        let mut revoked = key(1, 1);
        revoked.revoked_at = Some(revoked.created_at);
        cache.remember(&revoked);
        assert_eq!(cache.get(&revoked.hash), None);
    }
}
