//! The MX lookup behind the secure-email-gateway check (SENDING.md section 2, "Who is skipped"):
//! which hosts receive a domain's mail, through the system resolver.

use async_trait::async_trait;

/// Why a domain's mail exchangers are not known. The engine treats it as "no gateway" (the spec: a
/// failed lookup is no gateway).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MX lookup failed: {0}")]
pub struct MxLookupFailed(pub String);

/// A domain's mail exchangers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MxLookup: Send + Sync {
    /// The host names of `domain`'s MX records, lower case, without the final dot, most preferred
    /// first. A domain that does not exist, or has no MX record, answers an empty list; a timeout,
    /// a refused or failed query, or an unusable answer is [`MxLookupFailed`]. MUST NOT hold a
    /// database transaction open: the caller looks up between its claim and its send.
    async fn exchangers(&self, domain: &str) -> Result<Vec<String>, MxLookupFailed>;
}
