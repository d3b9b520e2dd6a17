//! The address a request comes from, for the per-address rate limit and the request's log lines.
//!
//! It is the connection's peer, unless that peer is a trusted proxy (`serve --trusted-proxy CIDR`):
//! then it is the right-most address of `X-Forwarded-For` that is not itself a trusted proxy. Each
//! proxy appends the address it was connected from, so that entry was written by a proxy we trust,
//! while anything to its left came from the client and may be made up. Without trusted proxies,
//! `X-Forwarded-For` is ignored.
//!
//! A leaf: it imports no module of this crate.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use ipnet::IpNet;
use poem::Request;

const FORWARDED_FOR_HEADER: &str = "X-Forwarded-For";

/// One range of trusted proxies: `10.0.0.0/8`, `2001:db8::/32`, or one address (`10.1.2.3`, a `/32`;
/// `::1`, a `/128`). Host bits are dropped (`10.1.2.3/8` is `10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(IpNet);

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let range = match text.parse::<IpNet>() {
            Ok(range) => range,
            Err(_) => IpNet::from(text.parse::<IpAddr>().map_err(|_| {
                format!(
                    "`{text}` is not an IP address or a CIDR range (like 10.0.0.0/8 or fd00::/8)"
                )
            })?),
        };
        Ok(Self(range.trunc()))
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The trusted proxies (`serve --trusted-proxy`); none by default.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[TrustedProxy]>);

impl TrustedProxies {
    pub fn new(ranges: impl IntoIterator<Item = TrustedProxy>) -> Self {
        Self(ranges.into_iter().collect())
    }

    /// Whether `address` is in a trusted range (an IPv4-mapped IPv6 address as its IPv4 address).
    fn trust(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|range| range.0.contains(&address))
    }

    /// The client of a connection from `peer` whose `X-Forwarded-For` headers are `forwarded_for`, in
    /// the order received: `peer`, or, while the address in hand is a trusted proxy, the entry to its
    /// left. An entry that is not an address stops the walk at the proxy that wrote it.
    fn client(&self, peer: IpAddr, forwarded_for: &[Cow<'_, str>]) -> IpAddr {
        let mut client = peer.to_canonical();
        let mut entries = forwarded_for
            .iter()
            .rev()
            .flat_map(|header| header.rsplit(','));
        while self.trust(client) {
            match entries.next().and_then(forwarded_address) {
                Some(address) => client = address,
                None => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry's address: `203.0.113.7`, `2001:db8::7`, or either with a port
/// (`203.0.113.7:4711`, `[2001:db8::7]:4711`), as some proxies write it.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let address = entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|address| address.ip()))
        .ok()?;
    Some(address.to_canonical())
}

/// The request's client address, as text; kept in the request's data by [`resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientAddress(String);

impl ClientAddress {
    /// The client address of `request`: the one [`resolve`] found, else its connection's peer.
    pub(crate) fn of(request: &Request) -> Cow<'_, str> {
        match request.data::<Self>() {
            Some(address) => Cow::Borrowed(&address.0),
            None => Cow::Owned(Self::find(request, &TrustedProxies::default()).0),
        }
    }

    fn find(request: &Request, trusted: &TrustedProxies) -> Self {
        let remote = request.remote_addr();
        let Some(peer) = remote.as_socket_addr().map(SocketAddr::ip) else {
            return Self(remote.to_string());
        };
        if !trusted.trust(peer) {
            return Self(peer.to_canonical().to_string());
        }
        let forwarded_for: Vec<Cow<'_, str>> = request
            .headers()
            .get_all(FORWARDED_FOR_HEADER)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()))
            .collect();
        Self(trusted.client(peer, &forwarded_for).to_string())
    }
}

/// Finds `request`'s client address, keeps it in its data and records it as the `client` field of
/// the current (request) span.
pub(crate) fn resolve(request: &mut Request, trusted: &TrustedProxies) {
    let address = ClientAddress::find(request, trusted);
    tracing::Span::current().record("client", tracing::field::display(&address.0));
    request.set_data(address);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(ranges: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            ranges
                .iter()
                .map(|range| range.parse().expect("a valid range")),
        )
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn client(trusted: &TrustedProxies, peer: &str, forwarded_for: &[&str]) -> String {
        let headers: Vec<Cow<'_, str>> = forwarded_for.iter().map(|&h| Cow::Borrowed(h)).collect();
        trusted.client(ip(peer), &headers).to_string()
    }

    #[test]
    fn ranges_parse_for_ipv4_and_ipv6_and_a_bare_address_is_one_host() {
        for (text, range) in [
            ("10.0.0.0/8", "10.0.0.0/8"),
            (" 192.168.1.0/24 ", "192.168.1.0/24"),
            ("10.1.2.3/8", "10.0.0.0/8"),
            ("127.0.0.1", "127.0.0.1/32"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("fd00::/8", "fd00::/8"),
            ("2001:db8::1/32", "2001:db8::/32"),
            ("::1", "::1/128"),
        ] {
            let parsed: TrustedProxy = text.parse().expect(text);
            assert_eq!(parsed.to_string(), range, "{text}");
        }
    }

    #[test]
    fn what_is_not_a_range_is_refused_with_a_message_that_names_it() {
        for text in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "example.com",
            "10.0.0.0/8,10.1.0.0/16",
        ] {
            let refused = text.parse::<TrustedProxy>().expect_err(text);
            assert!(refused.contains(&format!("`{}`", text.trim())), "{refused}");
        }
    }

    #[test]
    fn an_ipv4_mapped_address_is_in_its_ipv4_range() {
        let proxies = trusted(&["10.0.0.0/8"]);
        assert!(proxies.trust(ip("10.9.8.7")));
        assert!(proxies.trust(ip("::ffff:10.9.8.7")));
        assert!(!proxies.trust(ip("11.0.0.1")));
    }

    #[test]
    fn without_trusted_proxies_or_from_an_untrusted_peer_x_forwarded_for_is_ignored() {
        let header = ["203.0.113.7"];
        assert_eq!(client(&trusted(&[]), "10.0.0.2", &header), "10.0.0.2");
        let proxies = trusted(&["10.0.0.0/8"]);
        assert_eq!(client(&proxies, "198.51.100.1", &header), "198.51.100.1");
        assert_eq!(
            client(&proxies, "::ffff:198.51.100.1", &header),
            "198.51.100.1"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_entry() {
        let proxies = trusted(&["10.0.0.0/8", "fd00::/8"]);
        // A spoofed left-most entry is not the client.
        assert_eq!(
            client(&proxies, "10.0.0.2", &["1.1.1.1, 203.0.113.7"]),
            "203.0.113.7"
        );
        // Trusted proxies in the chain are skipped.
        assert_eq!(
            client(
                &proxies,
                "10.0.0.2",
                &["1.1.1.1,203.0.113.7, 10.0.0.9 ,fd00::3"]
            ),
            "203.0.113.7"
        );
        // Several headers are one list, in the order received.
        assert_eq!(
            client(
                &proxies,
                "10.0.0.2",
                &["1.1.1.1", "203.0.113.7", "10.0.0.9"]
            ),
            "203.0.113.7"
        );
        assert_eq!(client(&proxies, "fd00::2", &["2001:db8::7"]), "2001:db8::7");
        // With a port, as some proxies write it.
        assert_eq!(
            client(&proxies, "10.0.0.2", &["203.0.113.7:4711"]),
            "203.0.113.7"
        );
        assert_eq!(
            client(&proxies, "10.0.0.2", &["[2001:db8::7]:4711"]),
            "2001:db8::7"
        );
    }

    #[test]
    fn when_the_chain_runs_out_or_breaks_the_client_is_the_last_address_it_vouches_for() {
        let proxies = trusted(&["10.0.0.0/8"]);
        // No header: the proxy itself (a load balancer's own probe).
        assert_eq!(client(&proxies, "10.0.0.2", &[]), "10.0.0.2");
        // Every entry trusted: the left-most, the farthest one known.
        assert_eq!(
            client(&proxies, "10.0.0.2", &["10.0.0.5, 10.0.0.9"]),
            "10.0.0.5"
        );
        // Not an address: the trusted proxy that wrote it.
        for broken in ["unknown", "", "203.0.113.7 junk", "1.1.1.1,"] {
            assert_eq!(
                client(&proxies, "10.0.0.2", &["203.0.113.9", broken, "10.0.0.9"]),
                "10.0.0.9",
                "{broken:?}"
            );
        }
    }
}
