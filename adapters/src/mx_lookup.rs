//! The `MxLookup` port over DNS (SENDING.md section 2: MX through the system resolver), with
//! hickory's async stub resolver.

use std::net::SocketAddr;
use std::time::Duration;

use application::ports::{MxLookup, MxLookupFailed};
use async_trait::async_trait;
use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;

use crate::dns_resolvers::{resolver_asking, system_resolver};

/// How long one query to one name server may take when the system configuration does not say.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

/// MX lookups through a DNS resolver.
#[derive(Clone)]
pub struct HickoryMxLookup {
    /// `Err`: no resolver could be built (unreadable `/etc/resolv.conf`): every lookup fails with
    /// this reason, which the engine takes for "no gateway".
    resolver: Result<TokioResolver, String>,
}

impl std::fmt::Debug for HickoryMxLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryMxLookup").finish_non_exhaustive()
    }
}

impl HickoryMxLookup {
    /// The system's resolver: the name servers and options of `/etc/resolv.conf`. When it cannot
    /// be read, a warning is logged and every lookup fails ("no gateway": nobody is skipped).
    pub fn system() -> Self {
        let resolver = system_resolver();
        if let Err(reason) = &resolver {
            tracing::warn!(%reason, "MX lookups will fail: no lead is skipped for a secure email gateway");
        }
        Self { resolver }
    }

    /// A resolver that asks only the name server at `address`, within [`QUERY_TIMEOUT`]: for tests
    /// against a local DNS server.
    pub fn with_name_server(address: SocketAddr) -> Self {
        Self {
            resolver: resolver_asking(address, QUERY_TIMEOUT),
        }
    }
}

#[async_trait]
impl MxLookup for HickoryMxLookup {
    async fn exchangers(&self, domain: &str) -> Result<Vec<String>, MxLookupFailed> {
        let resolver = self
            .resolver
            .as_ref()
            .map_err(|reason| MxLookupFailed(reason.clone()))?;
        // Fully qualified: the resolver's search domains never apply to a recipient's domain.
        let name = format!("{}.", domain.trim_end_matches('.'));
        let lookup = match resolver.mx_lookup(name.as_str()).await {
            Ok(lookup) => lookup,
            // NXDOMAIN, or no MX record: the domain has no exchangers (no gateway).
            Err(error) if error.is_no_records_found() => return Ok(Vec::new()),
            Err(error) => return Err(MxLookupFailed(format!("{domain}: {error}"))),
        };
        let mut records: Vec<(u16, String)> = lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::MX(mx) => Some((
                    mx.preference,
                    mx.exchange
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase(),
                )),
                _ => None,
            })
            // A null MX (RFC 7505, exchange ".") says the domain takes no mail: no exchanger.
            .filter(|(_, exchanger)| !exchanger.is_empty())
            .collect();
        records.sort();
        Ok(records
            .into_iter()
            .map(|(_, exchanger)| exchanger)
            .collect())
    }
}
