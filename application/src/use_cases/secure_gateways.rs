//! Whether a campaign skips a lead for its secure email gateway (SENDING.md section 2, "Who is
//! skipped"): the campaign's rule (domain) over the lead's domain's MX hosts ([`MxLookup`]).
//!
//! Leads of one company share a domain, so each domain's answer is remembered for a while (an hour;
//! a failed lookup five minutes, so a broken domain's name servers are not asked for every lead while
//! a passing outage is soon retried). The memory is bounded: past [`MAX_DOMAINS`] it starts over.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use domain::secure_gateway::GatewayRule;
use domain::settings::SegProvider;

use crate::ports::MxLookup;

/// How long a domain's exchangers are remembered.
pub const ANSWER_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// How long a failed lookup counts as "no exchangers" before the domain is asked again.
pub const FAILURE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// How many domains are remembered at most.
const MAX_DOMAINS: usize = 10_000;

/// The gateway check with its remembered MX answers; clones share them.
#[derive(Clone)]
pub struct SecureGateways {
    lookup: Arc<dyn MxLookup>,
    answer_lifetime: Duration,
    failure_lifetime: Duration,
    remembered: Arc<Mutex<HashMap<String, Remembered>>>,
}

struct Remembered {
    exchangers: Vec<String>,
    until: Instant,
}

impl std::fmt::Debug for SecureGateways {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureGateways")
            .field("answer_lifetime", &self.answer_lifetime)
            .field("failure_lifetime", &self.failure_lifetime)
            .finish_non_exhaustive()
    }
}

impl SecureGateways {
    /// Looks domains up through `lookup`, remembering answers for [`ANSWER_LIFETIME`] and failures
    /// for [`FAILURE_LIFETIME`].
    pub fn new(lookup: Arc<dyn MxLookup>) -> Self {
        Self::remembering(lookup, ANSWER_LIFETIME, FAILURE_LIFETIME)
    }

    /// Looks domains up through `lookup`, remembering answers and failures this long.
    pub fn remembering(
        lookup: Arc<dyn MxLookup>,
        answer_lifetime: Duration,
        failure_lifetime: Duration,
    ) -> Self {
        Self {
            lookup,
            answer_lifetime,
            failure_lifetime,
            remembered: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The gateway for which `rule` skips a lead whose address is at `domain`, if any. Looks the
    /// domain's MX up only when the rule needs it; a failed lookup is no gateway.
    pub async fn skipped_gateway(&self, rule: &GatewayRule, domain: &str) -> Option<SegProvider> {
        if !rule.needs_exchangers() {
            return None;
        }
        rule.skipped_gateway(&self.exchangers(&domain.to_ascii_lowercase()).await)
    }

    /// `domain`'s exchangers, remembered or looked up; none when the lookup failed.
    async fn exchangers(&self, domain: &str) -> Vec<String> {
        let now = Instant::now();
        if let Some(remembered) = self.entries().get(domain)
            && remembered.until > now
        {
            return remembered.exchangers.clone();
        }
        // Not under the lock: the lookup is network I/O. Two leads of one domain at once may both
        // ask; the later answer is kept.
        let (exchangers, lifetime) = match self.lookup.exchangers(domain).await {
            Ok(exchangers) => (exchangers, self.answer_lifetime),
            Err(_) => (Vec::new(), self.failure_lifetime),
        };
        let mut entries = self.entries();
        if entries.len() >= MAX_DOMAINS {
            entries.retain(|_, remembered| remembered.until > now);
            if entries.len() >= MAX_DOMAINS {
                entries.clear();
            }
        }
        entries.insert(
            domain.to_owned(),
            Remembered {
                exchangers: exchangers.clone(),
                until: now + lifetime,
            },
        );
        exchangers
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Remembered>> {
        // A panic while holding the lock cannot leave a half-written entry: keep using the map.
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockMxLookup, MxLookupFailed};

    fn answering(calls: usize, answer: Result<Vec<String>, MxLookupFailed>) -> MockMxLookup {
        let mut lookup = MockMxLookup::new();
        lookup
            .expect_exchangers()
            .times(calls)
            .returning(move |_| answer.clone());
        lookup
    }

    fn proofpoint() -> Result<Vec<String>, MxLookupFailed> {
        Ok(vec!["mx1.pphosted.com".to_owned()])
    }

    #[tokio::test]
    async fn a_campaign_that_does_not_check_gateways_looks_nothing_up() {
        let gateways = SecureGateways::new(Arc::new(answering(0, proofpoint())));
        let skipped = gateways
            .skipped_gateway(&GatewayRule::SendToAll, "protected.test")
            .await;
        assert_eq!(skipped, None);
    }

    #[tokio::test]
    async fn a_lead_behind_a_skipped_gateway_is_skipped_and_others_are_not() {
        let gateways = SecureGateways::new(Arc::new(answering(1, proofpoint())));
        let only_mimecast = GatewayRule::SkipProviders(vec![SegProvider::Mimecast]);
        assert_eq!(
            gateways
                .skipped_gateway(&GatewayRule::SkipAll, "protected.test")
                .await,
            Some(SegProvider::Proofpoint)
        );
        assert_eq!(
            gateways
                .skipped_gateway(&only_mimecast, "protected.test")
                .await,
            None
        );
    }

    #[tokio::test]
    async fn a_failed_lookup_is_no_gateway() {
        let failure = Err(MxLookupFailed("timed out".to_owned()));
        let gateways = SecureGateways::new(Arc::new(answering(1, failure)));
        let skipped = gateways
            .skipped_gateway(&GatewayRule::SkipAll, "protected.test")
            .await;
        assert_eq!(skipped, None);
    }

    #[tokio::test]
    async fn leads_of_one_domain_share_one_lookup_in_any_case() {
        // `times(1)`: a second lookup of the domain fails the test.
        let gateways = SecureGateways::new(Arc::new(answering(1, proofpoint())));
        for domain in ["protected.test", "Protected.TEST", "protected.test"] {
            let skipped = gateways
                .skipped_gateway(&GatewayRule::SkipAll, domain)
                .await;
            assert_eq!(skipped, Some(SegProvider::Proofpoint), "{domain}");
        }
    }

    #[tokio::test]
    async fn an_answer_past_its_lifetime_is_looked_up_again() {
        let lookup = Arc::new(answering(2, proofpoint()));
        let gateways = SecureGateways::remembering(lookup, Duration::ZERO, Duration::ZERO);
        for _ in 0..2 {
            gateways
                .skipped_gateway(&GatewayRule::SkipAll, "protected.test")
                .await;
        }
    }
}
