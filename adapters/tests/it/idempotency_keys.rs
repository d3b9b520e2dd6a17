//! `IdempotencyKeys`.

use std::sync::Arc;

use application::ports::{
    IdempotencyKeys, IdempotencyScope, KeyClaim, KeyCompletion, RecordedResponse,
    RequestFingerprint,
};
use chrono::{DateTime, Utc};

use crate::support::*;

fn scope(name: &str) -> IdempotencyScope {
    IdempotencyScope::new(name.to_owned())
}

fn fingerprint(name: &str) -> RequestFingerprint {
    RequestFingerprint::new(name.to_owned())
}

fn created(body: &str) -> RecordedResponse {
    RecordedResponse {
        status: 201,
        content_type: "application/json; charset=utf-8".to_owned(),
        body: body.as_bytes().to_vec(),
    }
}

/// A claim at `now_ms` leased for 60 s and kept for a day.
async fn claim(
    keys: &dyn IdempotencyKeys,
    scope: &IdempotencyScope,
    fingerprint: &RequestFingerprint,
    now_ms: i64,
) -> anyhow::Result<KeyClaim> {
    Ok(keys
        .claim(
            scope,
            "key-1",
            fingerprint,
            at(now_ms),
            lease_until(now_ms),
            at(now_ms + 86_400_000),
        )
        .await?)
}

fn lease_until(claimed_at_ms: i64) -> DateTime<Utc> {
    at(claimed_at_ms + 60_000)
}

#[tokio::test]
async fn a_key_is_claimed_once_and_shows_in_flight_to_every_later_claim() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let keys = database.idempotency_keys();
        let (scope, request) = (scope("a"), fingerprint("request-1"));
        assert_eq!(claim(&*keys, &scope, &request, 0).await?, KeyClaim::Claimed);
        for other in ["request-1", "request-2"] {
            assert_eq!(
                claim(&*keys, &scope, &fingerprint(other), 10).await?,
                KeyClaim::InFlight {
                    fingerprint: request.clone()
                }
            );
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_completed_key_answers_its_recorded_response_until_it_expires() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let keys = database.idempotency_keys();
        let (scope, request) = (scope("a"), fingerprint("request-1"));
        claim(&*keys, &scope, &request, 0).await?;
        keys.complete(&completion(&scope, 0, r#"{"id":1}"#)).await?;
        let completed = KeyClaim::Completed {
            fingerprint: request.clone(),
            response: created(r#"{"id":1}"#),
        };
        // Long past the lease, the answer is still what is kept.
        assert_eq!(claim(&*keys, &scope, &request, 3_600_000).await?, completed);
        assert_eq!(
            claim(&*keys, &scope, &fingerprint("request-2"), 3_600_000).await?,
            completed
        );
        // From its expiry on, the key is free again.
        assert_eq!(
            claim(&*keys, &scope, &fingerprint("request-2"), 86_400_000).await?,
            KeyClaim::Claimed
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_released_key_is_free_for_any_request() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let keys = database.idempotency_keys();
        let scope = scope("a");
        claim(&*keys, &scope, &fingerprint("request-1"), 0).await?;
        keys.release(&scope, "key-1", lease_until(0)).await?;
        assert_eq!(
            claim(&*keys, &scope, &fingerprint("request-2"), 10).await?,
            KeyClaim::Claimed
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn an_abandoned_claim_is_taken_over_only_by_the_same_request_after_its_lease()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let keys = database.idempotency_keys();
        let (scope, request) = (scope("a"), fingerprint("request-1"));
        claim(&*keys, &scope, &request, 0).await?;
        let in_flight = KeyClaim::InFlight {
            fingerprint: request.clone(),
        };
        assert_eq!(claim(&*keys, &scope, &request, 59_999).await?, in_flight);
        assert_eq!(
            claim(&*keys, &scope, &fingerprint("request-2"), 60_000).await?,
            in_flight
        );
        assert_eq!(
            claim(&*keys, &scope, &request, 60_000).await?,
            KeyClaim::Claimed
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn only_the_claim_holding_the_key_completes_or_releases_it() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let keys = database.idempotency_keys();
        let (scope, request) = (scope("a"), fingerprint("request-1"));
        claim(&*keys, &scope, &request, 0).await?;
        // The retry that took the key over after the lease holds it now.
        claim(&*keys, &scope, &request, 60_000).await?;
        keys.complete(&completion(&scope, 0, "late")).await?;
        keys.release(&scope, "key-1", lease_until(0)).await?;
        let in_flight = KeyClaim::InFlight {
            fingerprint: request.clone(),
        };
        assert_eq!(claim(&*keys, &scope, &request, 60_001).await?, in_flight);
        keys.complete(&completion(&scope, 60_000, "retry")).await?;
        // A completed key is no longer anyone's to release.
        keys.release(&scope, "key-1", lease_until(60_000)).await?;
        assert_eq!(
            claim(&*keys, &scope, &request, 60_002).await?,
            KeyClaim::Completed {
                fingerprint: request,
                response: created("retry"),
            }
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn one_scopes_key_is_invisible_to_another_scope() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let keys = database.idempotency_keys();
        let request = fingerprint("request-1");
        claim(&*keys, &scope("a"), &request, 0).await?;
        keys.complete(&completion(&scope("a"), 0, "a")).await?;
        assert_eq!(
            claim(&*keys, &scope("b"), &request, 10).await?,
            KeyClaim::Claimed
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn forgetting_expired_keys_deletes_only_those_expired_by_now() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let keys = database.idempotency_keys();
        let request = fingerprint("request-1");
        for (name, claimed_at_ms) in [("old", 0), ("new", 1_000)] {
            claim(&*keys, &scope(name), &request, claimed_at_ms).await?;
        }
        assert_eq!(keys.forget_expired(at(86_400_000)).await?, 1);
        assert_eq!(
            claim(&*keys, &scope("old"), &fingerprint("request-2"), 2_000).await?,
            KeyClaim::Claimed
        );
        assert_eq!(
            claim(&*keys, &scope("new"), &fingerprint("request-2"), 2_000).await?,
            KeyClaim::InFlight {
                fingerprint: request
            }
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn concurrent_claims_of_one_key_give_it_to_exactly_one() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let keys = database.idempotency_keys();
        let claims: Vec<_> = (0..16)
            .map(|_| {
                let keys = Arc::clone(&keys);
                tokio::spawn(async move {
                    claim(&*keys, &scope("a"), &fingerprint("request-1"), 0).await
                })
            })
            .collect();
        let mut claimed = 0;
        for outcome in claims {
            if outcome.await?? == KeyClaim::Claimed {
                claimed += 1;
            }
        }
        assert_eq!(claimed, 1);
        Ok(())
    })
    .await
}

fn completion(scope: &IdempotencyScope, claimed_at_ms: i64, body: &str) -> KeyCompletion {
    KeyCompletion {
        scope: scope.clone(),
        key: "key-1".to_owned(),
        fingerprint: fingerprint("request-1"),
        lease_until: lease_until(claimed_at_ms),
        expires_at: at(claimed_at_ms + 86_400_000),
        response: created(body),
    }
}

#[tokio::test]
async fn a_campaign_insert_answering_a_key_completes_it_in_the_same_write() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let keys = database.idempotency_keys();
        let scope = scope("a");
        claim(&*keys, &scope, &fingerprint("request-1"), 0).await?;
        let campaign = campaign(tenant, &minimal_request("Answered"), vec![], None);
        database
            .campaigns()
            .insert_answering(&campaign, &completion(&scope, 0, "the campaign"))
            .await?;
        assert!(
            find_campaign(&database, tenant.workspace, campaign.id())
                .await?
                .is_some()
        );
        assert_eq!(
            claim(&*keys, &scope, &fingerprint("request-1"), 10).await?,
            completion(&scope, 0, "the campaign").into_claim()
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_refused_campaign_insert_leaves_its_key_pending() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let foreign = store_mailbox(
            &database,
            mailbox(stranger, "theirs@acme.test", "gmail", &[]),
        )
        .await?;
        let keys = database.idempotency_keys();
        let scope = scope("a");
        claim(&*keys, &scope, &fingerprint("request-1"), 0).await?;
        let campaign = campaign(owner, &minimal_request("Poacher"), vec![foreign], None);
        let refused = database
            .campaigns()
            .insert_answering(&campaign, &completion(&scope, 0, "never"))
            .await;
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(
            claim(&*keys, &scope, &fingerprint("request-1"), 10).await?,
            KeyClaim::InFlight {
                fingerprint: fingerprint("request-1")
            }
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_campaign_insert_of_a_claim_taken_over_leaves_the_new_claims_key_pending()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let keys = database.idempotency_keys();
        let scope = scope("a");
        claim(&*keys, &scope, &fingerprint("request-1"), 0).await?;
        claim(&*keys, &scope, &fingerprint("request-1"), 60_000).await?;
        let campaign = campaign(tenant, &minimal_request("Late"), vec![], None);
        database
            .campaigns()
            .insert_answering(&campaign, &completion(&scope, 0, "late"))
            .await?;
        assert_eq!(
            claim(&*keys, &scope, &fingerprint("request-1"), 60_001).await?,
            KeyClaim::InFlight {
                fingerprint: fingerprint("request-1")
            }
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn concurrent_campaign_inserts_each_complete_their_own_key() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let keys = database.idempotency_keys();
        let scopes: Vec<IdempotencyScope> = (0..12).map(|n| scope(&format!("s{n}"))).collect();
        for scope in &scopes {
            claim(&*keys, scope, &fingerprint("request-1"), 0).await?;
        }
        let inserts: Vec<_> = scopes
            .iter()
            .map(|scope| {
                let campaigns = database.campaigns();
                let campaign = campaign(tenant, &minimal_request("Batched"), vec![], None);
                let completion = completion(scope, 0, scope.as_str());
                tokio::spawn(
                    async move { campaigns.insert_answering(&campaign, &completion).await },
                )
            })
            .collect();
        for insert in inserts {
            insert.await??;
        }
        for scope in &scopes {
            assert_eq!(
                claim(&*keys, scope, &fingerprint("request-1"), 10).await?,
                completion(scope, 0, scope.as_str()).into_claim()
            );
        }
        Ok(())
    })
    .await
}

/// What a claim finds once `self` is stored.
trait IntoClaim {
    fn into_claim(self) -> KeyClaim;
}

impl IntoClaim for KeyCompletion {
    fn into_claim(self) -> KeyClaim {
        KeyClaim::Completed {
            fingerprint: self.fingerprint,
            response: self.response,
        }
    }
}
