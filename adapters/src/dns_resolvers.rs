//! hickory resolvers for the adapters that ask DNS: the MX lookup and the webhook tries' address
//! checks. Built once here so both read the system configuration, or a test's name server, alike.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;

/// The system's resolver: the name servers and options of `/etc/resolv.conf`. `Err` (why) when it
/// cannot be read: the caller's lookups then fail with that reason.
pub(crate) fn system_resolver() -> Result<TokioResolver, String> {
    TokioResolver::builder_tokio()
        .and_then(|builder| builder.build())
        .map_err(|error| format!("no system resolver: {error}"))
}

/// A resolver that asks only the name server at `address` (UDP, then TCP for a truncated answer),
/// once per query, each within `timeout`: for tests against a local DNS server.
pub(crate) fn resolver_asking(
    address: SocketAddr,
    timeout: Duration,
) -> Result<TokioResolver, String> {
    let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
        .into_iter()
        .map(|mut connection| {
            connection.port = address.port();
            connection
        })
        .collect();
    let config = ResolverConfig::from_name_servers(vec![NameServerConfig::new(
        address.ip(),
        true,
        connections,
    )]);
    let mut options = ResolverOpts::default();
    options.timeout = timeout;
    options.attempts = 1;
    TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(options)
        .build()
        .map_err(|error| format!("no resolver for {address}: {error}"))
}
