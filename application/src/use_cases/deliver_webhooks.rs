//! `DeliverWebhooks` (SENDING.md section 7): claims the outbox's due deliveries and tries each one:
//! the host resolved and every address checked against the private ranges (unless private hosts
//! are allowed), the POST made to the checked address, signed with both signatures; a non-2xx
//! answer (3xx included), a timeout, a refused connection or a refused address is retried with
//! exponential backoff and jitter up to the destination's `retryAttempts`, with the same `id`
//! and body. Every try is recorded.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::values::{WebhookHostPolicy, WebhookUrl};
use domain::webhook_signature::WebhookSignatures;
use futures_util::future::join_all;
use url::Host;

use crate::ports::{
    AfterTry, Clock, CredentialCipher, DeliverySecret, DueDelivery, RandomChoice, RepositoryError,
    Resolver, TryOutcome, WebhookOutbox, WebhookRequest, WebhookTransport,
};

/// Deliveries claimed per round.
pub const DELIVERIES_PER_ROUND: usize = 64;
/// The wait before the first retry; each further retry waits twice as long (plus jitter).
pub const FIRST_RETRY_AFTER: Duration = Duration::from_secs(10);
/// The longest wait between two tries.
const LONGEST_WAIT: Duration = Duration::from_secs(6 * 3600);
/// How long a claim holds a delivery beyond its timeout: a process that dies while trying gives
/// it back after that.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub delivered: usize,
    pub retrying: usize,
    pub given_up: usize,
}

/// Where a try goes and how it is signed.
#[derive(Debug, Clone)]
pub struct TryTarget<'a> {
    pub id: &'a str,
    pub event: &'a str,
    pub body: &'a str,
    pub url: &'a str,
    pub secret: &'a str,
    pub timeout: Duration,
}

/// The use case.
#[derive(Clone)]
pub struct DeliverWebhooks {
    pub outbox: Arc<dyn WebhookOutbox>,
    pub transport: Arc<dyn WebhookTransport>,
    pub resolver: Arc<dyn Resolver>,
    pub cipher: Arc<dyn CredentialCipher>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn RandomChoice>,
    /// `--allow-private-webhooks`.
    pub hosts: WebhookHostPolicy,
}

impl std::fmt::Debug for DeliverWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverWebhooks")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

impl DeliverWebhooks {
    /// Claims the deliveries due now and tries each (concurrently), recording every try.
    pub async fn round(&self) -> Result<DeliveryReport, RepositoryError> {
        let now = self.clock.now();
        // The longest timeout is 30 s: a lease of a minute outlives every try of the round.
        let lease = Duration::from_secs(30) + LEASE_MARGIN;
        let lease_until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let due = self
            .outbox
            .claim_due(now, lease_until, DELIVERIES_PER_ROUND)
            .await?;
        let mut report = DeliveryReport {
            claimed: due.len(),
            ..DeliveryReport::default()
        };
        let tried = join_all(due.iter().map(|delivery| self.try_delivery(delivery))).await;
        for (delivery, (outcome, after)) in due.iter().zip(tried) {
            self.outbox
                .record_try(&delivery.id, delivery.tries, &outcome, after)
                .await?;
            match after {
                AfterTry::Delivered => report.delivered += 1,
                AfterTry::RetryAt(_) => report.retrying += 1,
                AfterTry::GaveUp => report.given_up += 1,
            }
        }
        Ok(report)
    }

    async fn try_delivery(&self, delivery: &DueDelivery) -> (TryOutcome, AfterTry) {
        let secret = match &delivery.secret {
            DeliverySecret::Plain(secret) => Ok(secret.as_str().to_owned()),
            DeliverySecret::Sealed(sealed) => self
                .cipher
                .open(sealed)
                .map(|credential| credential.expose().to_owned())
                .map_err(|unreadable| unreadable.to_string()),
        };
        let outcome = match secret {
            Ok(secret) => {
                self.try_once(&TryTarget {
                    id: &delivery.id,
                    event: &delivery.event,
                    body: &delivery.body,
                    url: &delivery.url,
                    secret: &secret,
                    timeout: delivery.timeout,
                })
                .await
            }
            Err(reason) => TryOutcome {
                at: self.clock.now(),
                status: None,
                duration: Duration::ZERO,
                error: Some(reason),
            },
        };
        let after = if outcome.delivered() {
            AfterTry::Delivered
        } else if delivery.tries >= delivery.retry_attempts {
            AfterTry::GaveUp
        } else {
            AfterTry::RetryAt(self.retry_time(outcome.at, delivery.tries + 1))
        };
        (outcome, after)
    }

    /// One signed POST of `target`, after its host's addresses were checked; never retried here.
    pub async fn try_once(&self, target: &TryTarget<'_>) -> TryOutcome {
        let at = self.clock.now();
        let refused = |error: String| TryOutcome {
            at,
            status: None,
            duration: Duration::ZERO,
            error: Some(error),
        };
        let url = match WebhookUrl::parse(target.url, WebhookHostPolicy::AllowPrivate) {
            Ok(url) => url,
            Err(invalid) => return refused(format!("the URL {}", invalid.message)),
        };
        let address = match self.checked_address(&url).await {
            Ok(address) => address,
            Err(error) => return refused(error),
        };
        let timestamp = at.timestamp();
        let signatures =
            WebhookSignatures::sign(target.secret, target.id, timestamp, target.body.as_bytes());
        let headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-webhook-event".to_owned(), target.event.to_owned()),
            ("x-webhook-signature".to_owned(), signatures.sendkit),
            ("webhook-id".to_owned(), target.id.to_owned()),
            ("webhook-timestamp".to_owned(), timestamp.to_string()),
            ("webhook-signature".to_owned(), signatures.standard),
        ];
        let answer = self
            .transport
            .post(WebhookRequest {
                url,
                address,
                headers,
                body: target.body.to_owned(),
                timeout: target.timeout,
            })
            .await;
        let (status, error) = match answer.status {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (Some(status), Some(format!("answered {status}"))),
            Err(error) => (None, Some(error)),
        };
        TryOutcome {
            at,
            status,
            duration: answer.duration,
            error,
        }
    }

    /// The address to connect to: the URL's IP literal, or the first address of its host's; each
    /// one checked against the host policy (one private address refuses the host: the next lookup
    /// might pick it).
    async fn checked_address(&self, url: &WebhookUrl) -> Result<SocketAddr, String> {
        let parsed = url.url();
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| "the URL has no port".to_owned())?;
        let addresses: Vec<IpAddr> = match parsed.host() {
            Some(Host::Ipv4(address)) => vec![IpAddr::V4(address)],
            Some(Host::Ipv6(address)) => vec![IpAddr::V6(address)],
            Some(Host::Domain(name)) => self
                .resolver
                .addresses(name)
                .await
                .map_err(|failed| format!("cannot resolve {name}: {failed}"))?,
            None => return Err("the URL has no host".to_owned()),
        };
        if let Some(refused) = addresses
            .iter()
            .find(|address| !self.hosts.allows_address(**address))
        {
            return Err(format!(
                "refused: {} resolves to {refused}, a private, loopback, link-local or reserved \
                 address (--allow-private-webhooks allows it)",
                parsed.host_str().unwrap_or_default()
            ));
        }
        addresses
            .first()
            .map(|address| SocketAddr::new(*address, port))
            .ok_or_else(|| "no address".to_owned())
    }

    /// When try `made + 1` is due after try `made` ended at `at`: 10 s doubled per try made
    /// before, at most 6 h, plus up to half of it again at random.
    fn retry_time(&self, at: DateTime<Utc>, made: u32) -> DateTime<Utc> {
        retry_time(at, made, |bound| self.random.below(bound))
    }
}

/// [`DeliverWebhooks::retry_time`] with its jitter drawn by `below(n)` (a number in `0..n`).
pub fn retry_time(
    at: DateTime<Utc>,
    made: u32,
    below: impl FnOnce(usize) -> usize,
) -> DateTime<Utc> {
    let doubling = made.saturating_sub(1).min(20);
    let wait = FIRST_RETRY_AFTER
        .saturating_mul(1 << doubling)
        .min(LONGEST_WAIT);
    let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    let half = usize::try_from(wait_ms / 2).unwrap_or(usize::MAX);
    let jitter = u64::try_from(below(half.saturating_add(1))).unwrap_or(0);
    let total = i64::try_from(wait_ms.saturating_add(jitter)).unwrap_or(i64::MAX);
    at + chrono::Duration::milliseconds(total)
}

#[cfg(test)]
mod tests;
