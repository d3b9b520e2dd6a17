//! Where webhook events are delivered.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::problem::{Invalid, ProblemCode};
use crate::text::{Lines, refuse_controls};

const FORMAT_MESSAGE: &str = "must be an absolute http or https URL";
const CREDENTIALS_MESSAGE: &str = "must not contain a user name or password";
const LOCAL_MESSAGE: &str = "must not point at a private, loopback, link-local or local address";
const SPECIAL_MESSAGE: &str = "must not point at a multicast or reserved address";

/// Which hosts a [`WebhookUrl`] may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookHostPolicy {
    /// Refuse `localhost` names and loopback, private, link-local, shared (carrier-grade NAT),
    /// unspecified, broadcast, multicast and reserved address literals, also when an IPv6 address
    /// carries such an IPv4 address. The setting for production.
    PublicOnly,
    /// Accept any host, for development and tests that deliver to a local receiver.
    AllowPrivate,
}

impl WebhookHostPolicy {
    /// Whether a delivery may connect to `address` (an answer of DNS for the URL's host, or its
    /// IP literal): under [`WebhookHostPolicy::PublicOnly`], not an address [`WebhookUrl::parse`]
    /// refuses as a literal (private, loopback, link-local, shared, unspecified, multicast,
    /// reserved, or an IPv6 address carrying such an IPv4 address).
    pub fn allows_address(self, address: IpAddr) -> bool {
        match self {
            WebhookHostPolicy::AllowPrivate => true,
            WebhookHostPolicy::PublicOnly => match address {
                IpAddr::V4(address) => refused_ipv4(address).is_none(),
                IpAddr::V6(address) => refused_ipv6(address).is_none(),
            },
        }
    }
}

/// An absolute `http` or `https` URL with a host and no credentials, at most 2048 characters.
///
/// Under [`WebhookHostPolicy::PublicOnly`], names `localhost` and `*.localhost` (with or without a
/// trailing dot) are refused, as are IP literals in 127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12,
/// 192.168.0.0/16, 169.254.0.0/16, 0.0.0.0/8, 100.64.0.0/10 and 255.255.255.255, and IPv6 `::1`,
/// `::`, fe80::/10, fec0::/10 (deprecated site-local), fc00::/7 and 64:ff9b:1::/48 (local-use
/// NAT64): "private, loopback, link-local or local". Multicast and reserved addresses are refused
/// too: IPv4 224.0.0.0/4 and 240.0.0.0/4, IPv6 ff00::/8. An IPv6 address that carries an IPv4
/// address (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`, IPv4-translated `::ffff:0:0:0/96`,
/// NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is refused when the IPv4 address is. Odd IPv4 spellings
/// (`2130706433`, `0x7f.1`, `0177.0.0.1`) are normalised by the URL parser first, so they are
/// refused too.
///
/// DNS names are not resolved at parse time: a public-looking name may still resolve, now or
/// later (DNS rebinding), to a private address, so the delivery code must check the address it
/// actually connects to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// The longest accepted URL, in characters, as given and as serialised.
    pub const MAX_CHARS: usize = 2048;

    /// Parses a webhook URL, trimming surrounding white space.
    ///
    /// Refusals: [`ProblemCode::TooLong`] over 2048 characters; [`ProblemCode::InvalidFormat`]
    /// when it is not an absolute `http`/`https` URL with a host, or when it holds a control
    /// character (the URL parser would silently drop a tab or line break, even inside the host);
    /// [`ProblemCode::NotAllowed`] when it carries a user name or password, or when `policy` is
    /// [`WebhookHostPolicy::PublicOnly`] and the host is local, private, multicast or reserved.
    pub fn parse(raw: &str, policy: WebhookHostPolicy) -> Result<Self, Invalid> {
        let too_long = || {
            Invalid::new(
                ProblemCode::TooLong,
                format!("must be at most {} characters", Self::MAX_CHARS),
            )
        };
        let invalid_format = || Invalid::new(ProblemCode::InvalidFormat, FORMAT_MESSAGE);

        let trimmed = raw.trim();
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(too_long());
        }
        let url = Url::parse(trimmed).map_err(|_| invalid_format())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid_format());
        }
        let Some(host) = url.host() else {
            return Err(invalid_format());
        };
        if url.as_str().chars().count() > Self::MAX_CHARS {
            return Err(too_long());
        }
        refuse_controls(trimmed, Lines::One)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new(ProblemCode::NotAllowed, CREDENTIALS_MESSAGE));
        }
        if policy == WebhookHostPolicy::PublicOnly
            && let Some(refused) = refused_host(&host)
        {
            return Err(Invalid::new(ProblemCode::NotAllowed, refused.message()));
        }
        Ok(Self(url))
    }

    /// The URL as the URL parser serialises it (lowercase scheme and host, `/` path at least…).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL, for the delivery code.
    pub fn url(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// Why a host is no place for webhooks under [`WebhookHostPolicy::PublicOnly`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// Private, loopback, link-local, shared, unspecified, broadcast, or a `localhost` name.
    Local,
    /// Multicast or reserved for future use: no web server answers there.
    Special,
}

impl Refused {
    fn message(self) -> &'static str {
        match self {
            Refused::Local => LOCAL_MESSAGE,
            Refused::Special => SPECIAL_MESSAGE,
        }
    }
}

fn refused_host(host: &Host<&str>) -> Option<Refused> {
    match host {
        Host::Domain(domain) => {
            let name = domain.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Some(Refused::Local);
            }
            // The URL parser turns IP literals of http(s) URLs into `Host::Ipv4`/`Host::Ipv6`;
            // checking a domain that still parses as one is belt and braces.
            if let Ok(address) = name.parse::<Ipv4Addr>() {
                return refused_ipv4(address);
            }
            name.parse::<Ipv6Addr>().ok().and_then(refused_ipv6)
        }
        Host::Ipv4(address) => refused_ipv4(*address),
        Host::Ipv6(address) => refused_ipv6(*address),
    }
}

fn refused_ipv4(address: Ipv4Addr) -> Option<Refused> {
    let [first, second, _, _] = address.octets();
    let local = first == 0 // 0.0.0.0/8, "this network"
        || first == 10 // 10.0.0.0/8, private
        || first == 127 // 127.0.0.0/8, loopback
        || (first == 100 && (64..=127).contains(&second)) // 100.64.0.0/10, shared (CGNAT)
        || (first == 169 && second == 254) // 169.254.0.0/16, link-local (cloud metadata)
        || (first == 172 && (16..=31).contains(&second)) // 172.16.0.0/12, private
        || (first == 192 && second == 168) // 192.168.0.0/16, private
        || address == Ipv4Addr::BROADCAST;
    if local {
        Some(Refused::Local)
    } else if first >= 224 {
        // 224.0.0.0/4 multicast and 240.0.0.0/4 reserved (broadcast, its last address, is above).
        Some(Refused::Special)
    } else {
        None
    }
}

fn refused_ipv6(address: Ipv6Addr) -> Option<Refused> {
    let segments = address.segments();
    let first_segment = segments[0];
    let local = address.is_loopback()
        || address.is_unspecified()
        || (first_segment & 0xffc0) == 0xfe80 // fe80::/10, link-local
        || (first_segment & 0xffc0) == 0xfec0 // fec0::/10, deprecated site-local
        || (first_segment & 0xfe00) == 0xfc00 // fc00::/7, unique local
        || segments[..3] == [0x64, 0xff9b, 0x1]; // 64:ff9b:1::/48, local-use NAT64
    if local {
        Some(Refused::Local)
    } else if (first_segment & 0xff00) == 0xff00 {
        Some(Refused::Special) // ff00::/8, multicast
    } else {
        embedded_ipv4(address).and_then(refused_ipv4)
    }
}

/// The IPv4 address that an IPv6 address carries under a standard transition scheme, which a
/// gateway on the way may turn into a connection to that IPv4 address.
fn embedded_ipv4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let segments = address.segments();
    let [.., a, b, c, d] = address.octets();
    let low_32_bits = Ipv4Addr::new(a, b, c, d);
    match segments {
        // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (deprecated IPv4-compatible).
        [0, 0, 0, 0, 0, 0xffff | 0, _, _] => Some(low_32_bits),
        // ::ffff:0:a.b.c.d (IPv4-translated, RFC 2765).
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some(low_32_bits),
        // 64:ff9b::a.b.c.d (NAT64 well-known prefix, RFC 6052).
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low_32_bits),
        // 2002:AABB:CCDD::/48 (6to4, RFC 3056): the IPv4 address follows the prefix.
        [0x2002, high, low, ..] => {
            let [a, b] = high.to_be_bytes();
            let [c, d] = low.to_be_bytes();
            Some(Ipv4Addr::new(a, b, c, d))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use WebhookHostPolicy::{AllowPrivate, PublicOnly};

    fn assert_refused(raw: &str, policy: WebhookHostPolicy, code: ProblemCode, message: &str) {
        let error = WebhookUrl::parse(raw, policy).expect_err(raw);
        assert_eq!(error.code, code, "{raw}");
        assert_eq!(error.message, message, "{raw}");
    }

    #[test]
    fn webhook_delivery_refuses_resolved_private_addresses_unless_private_ones_are_allowed() {
        let refused = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ];
        for raw in refused {
            let address: IpAddr = raw.parse().expect(raw);
            assert!(!PublicOnly.allows_address(address), "{raw}");
            assert!(AllowPrivate.allows_address(address), "{raw}");
        }
        for raw in ["8.8.8.8", "93.184.216.34", "2001:4860:4860::8888"] {
            let address: IpAddr = raw.parse().expect(raw);
            assert!(PublicOnly.allows_address(address), "{raw}");
        }
    }

    fn assert_refused_as_local(raw: &str) {
        assert_refused(raw, PublicOnly, ProblemCode::NotAllowed, LOCAL_MESSAGE);
        assert!(WebhookUrl::parse(raw, AllowPrivate).is_ok(), "{raw}");
    }

    fn assert_refused_as_special(raw: &str) {
        assert_refused(raw, PublicOnly, ProblemCode::NotAllowed, SPECIAL_MESSAGE);
        assert!(WebhookUrl::parse(raw, AllowPrivate).is_ok(), "{raw}");
    }

    #[test]
    fn webhook_url_accepts_public_http_and_https_urls() {
        let cases = [
            (
                "https://hooks.example.com/sendkit",
                "https://hooks.example.com/sendkit",
            ),
            ("http://hooks.example.com", "http://hooks.example.com/"),
            (
                "HTTPS://Hooks.Example.COM:8443/a?b=c#d",
                "https://hooks.example.com:8443/a?b=c#d",
            ),
            ("  https://example.com/hook  ", "https://example.com/hook"),
            (
                "https://bücher.example/hook",
                "https://xn--bcher-kva.example/hook",
            ),
            ("https://8.8.8.8/hook", "https://8.8.8.8/hook"),
            (
                "https://[2001:4860:4860::8888]/hook",
                "https://[2001:4860:4860::8888]/hook",
            ),
            (
                "https://localhost.example.com/",
                "https://localhost.example.com/",
            ),
            ("https://notlocalhost.com/", "https://notlocalhost.com/"),
        ];
        for (raw, expected) in cases {
            let parsed = WebhookUrl::parse(raw, PublicOnly).expect(raw);
            assert_eq!(parsed.as_str(), expected, "{raw}");
            assert_eq!(parsed.to_string(), expected, "{raw}");
            assert_eq!(parsed.url().as_str(), expected, "{raw}");
        }
    }

    #[test]
    fn webhook_url_rejects_relative_and_non_http_urls() {
        let cases = [
            "",
            "   ",
            "not a url",
            "example.com/hook",
            "/relative/path",
            "//example.com/hook",
            "ftp://example.com/hook",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "mailto:jane@example.com",
            "ws://example.com/socket",
            "data:text/plain,hello",
            "http://",
            "https://exa mple.com/",
            "http://[::1/",
        ];
        for raw in cases {
            assert_refused(raw, PublicOnly, ProblemCode::InvalidFormat, FORMAT_MESSAGE);
            assert_refused(
                raw,
                AllowPrivate,
                ProblemCode::InvalidFormat,
                FORMAT_MESSAGE,
            );
        }
    }

    #[test]
    fn webhook_url_rejects_user_names_and_passwords() {
        for raw in [
            "https://user:secret@example.com/hook",
            "https://user@example.com/hook",
            "https://:secret@example.com/hook",
        ] {
            assert_refused(
                raw,
                PublicOnly,
                ProblemCode::NotAllowed,
                CREDENTIALS_MESSAGE,
            );
            assert_refused(
                raw,
                AllowPrivate,
                ProblemCode::NotAllowed,
                CREDENTIALS_MESSAGE,
            );
        }
    }

    #[test]
    fn webhook_url_of_2048_chars_is_accepted_and_2049_rejected() {
        let prefix = "https://example.com/";
        let ok = format!("{prefix}{}", "a".repeat(2048 - prefix.len()));
        let too_long = format!("{prefix}{}", "a".repeat(2049 - prefix.len()));
        assert_eq!(
            WebhookUrl::parse(&ok, PublicOnly).expect("2048").as_str(),
            ok
        );
        assert_refused(
            &too_long,
            PublicOnly,
            ProblemCode::TooLong,
            "must be at most 2048 characters",
        );
    }

    #[test]
    fn webhook_url_length_limit_applies_to_the_serialised_form() {
        // 2030 characters as given, but each space becomes `%20` when serialised.
        let raw = format!("https://example.com/{}", "a b".repeat(670));
        assert!(raw.chars().count() <= WebhookUrl::MAX_CHARS);
        assert_refused(
            &raw,
            PublicOnly,
            ProblemCode::TooLong,
            "must be at most 2048 characters",
        );
    }

    #[test]
    fn webhook_url_refuses_localhost_names() {
        for raw in [
            "http://localhost/hook",
            "http://LOCALHOST:8080/hook",
            "http://localhost./hook",
            "http://api.localhost/hook",
            "http://Api.LocalHost./hook",
            "http://a.b.localhost:3000/",
            "http://ｌｏｃａｌｈｏｓｔ/hook",
        ] {
            assert_refused_as_local(raw);
        }
    }

    #[test]
    fn webhook_url_refuses_loopback_ipv4_spellings() {
        for raw in [
            "http://127.0.0.1/hook",
            "http://127.255.255.254/hook",
            "http://127.1/hook",
            "http://2130706433/hook",
            "http://0x7f.1/hook",
            "http://0x7f000001/hook",
            "http://0177.0.0.1/hook",
            "http://127.0.0.1./hook",
            "http://１２７.０.０.１/hook",
        ] {
            assert_refused_as_local(raw);
        }
    }

    #[test]
    fn webhook_url_refuses_private_shared_link_local_and_unspecified_ipv4() {
        for raw in [
            "http://10.0.0.0/",
            "http://10.255.255.255/",
            "http://172.16.0.0/",
            "http://172.31.255.255/",
            "http://192.168.0.0/",
            "http://192.168.255.255/",
            "http://169.254.0.0/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0.0.0.0/",
            "http://0/",
            "http://0.255.255.255/",
            "http://100.64.0.0/",
            "http://100.127.255.255/",
            "http://255.255.255.255/",
        ] {
            assert_refused_as_local(raw);
        }
    }

    #[test]
    fn webhook_url_accepts_ipv4_just_outside_the_refused_ranges() {
        for raw in [
            "http://1.0.0.0/",
            "http://9.255.255.255/",
            "http://11.0.0.0/",
            "http://126.255.255.255/",
            "http://128.0.0.0/",
            "http://172.15.255.255/",
            "http://172.32.0.0/",
            "http://192.167.255.255/",
            "http://192.169.0.0/",
            "http://169.253.255.255/",
            "http://169.255.0.0/",
            "http://100.63.255.255/",
            "http://100.128.0.0/",
        ] {
            assert!(WebhookUrl::parse(raw, PublicOnly).is_ok(), "{raw}");
        }
    }

    #[test]
    fn webhook_url_refuses_local_ipv6_literals() {
        for raw in [
            "http://[::1]/hook",
            "http://[0:0:0:0:0:0:0:1]:8080/hook",
            "http://[::]/hook",
            "http://[fe80::1]/hook",
            "http://[febf:ffff::1]/hook",
            "http://[fec0::1]/hook",
            "http://[fc00::1]/hook",
            "http://[fd12:3456:789a::1]/hook",
            "http://[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/hook",
        ] {
            assert_refused_as_local(raw);
        }
    }

    #[test]
    fn webhook_url_refuses_ipv4_mapped_ipv6_of_local_ipv4() {
        for raw in [
            "http://[::ffff:127.0.0.1]/hook",
            "http://[::ffff:7f00:1]/hook",
            "http://[::ffff:10.0.0.1]/hook",
            "http://[::ffff:192.168.1.1]/hook",
            "http://[::ffff:169.254.169.254]/hook",
            "http://[::ffff:100.64.0.1]/hook",
            "http://[::127.0.0.1]/hook",
        ] {
            assert_refused_as_local(raw);
        }
    }

    #[test]
    fn webhook_url_accepts_public_ipv6_just_outside_the_refused_ranges() {
        for raw in [
            "http://[fe7f:ffff::1]/",
            "http://[fbff::1]/",
            "http://[fe00::1]/",
            "http://[::ffff:8.8.8.8]/",
            "http://[2606:4700:4700::1111]/",
        ] {
            assert!(WebhookUrl::parse(raw, PublicOnly).is_ok(), "{raw}");
        }
    }

    #[test]
    fn webhook_url_refuses_multicast_and_reserved_ipv4() {
        for raw in [
            "http://224.0.0.0/",
            "http://224.0.0.251/",
            "http://239.255.255.255/",
            "http://240.0.0.0/",
            "http://250.1.2.3/",
            "http://255.255.255.254/",
        ] {
            assert_refused_as_special(raw);
        }
        assert!(WebhookUrl::parse("http://223.255.255.255/", PublicOnly).is_ok());
        // The broadcast address keeps the message it had before multicast was refused.
        assert_refused_as_local("http://255.255.255.255/");
    }

    #[test]
    fn webhook_url_refuses_ipv6_multicast() {
        for raw in [
            "http://[ff00::]/",
            "http://[ff02::1]/hook",
            "http://[ff05::1:3]/",
            "http://[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/",
        ] {
            assert_refused_as_special(raw);
        }
    }

    #[test]
    fn webhook_url_refuses_ipv6_that_carries_a_refused_ipv4() {
        for raw in [
            // IPv4-translated (::ffff:0:0:0/96).
            "http://[::ffff:0:7f00:1]/",
            "http://[::ffff:0:10.0.0.1]/",
            // NAT64, well-known prefix (64:ff9b::/96), and the local-use prefix as a whole.
            "http://[64:ff9b::7f00:1]/",
            "http://[64:ff9b::192.168.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
            "http://[64:ff9b:1::8.8.8.8]/",
            // 6to4 (2002::/16) of loopback, private, link-local and shared addresses.
            "http://[2002:7f00:1::]/",
            "http://[2002:a00:1::1]/",
            "http://[2002:c0a8:101:1::1]/",
            "http://[2002:a9fe:a9fe::]/",
            "http://[2002:6440:1::]/",
        ] {
            assert_refused_as_local(raw);
        }
        for raw in [
            "http://[::ffff:224.0.0.1]/",
            "http://[::ffff:0:240.0.0.1]/",
            "http://[64:ff9b::e000:1]/",
            "http://[2002:e000:1::]/",
        ] {
            assert_refused_as_special(raw);
        }
    }

    #[test]
    fn webhook_url_accepts_ipv6_that_carries_a_public_ipv4() {
        for raw in [
            "http://[::ffff:0:8.8.8.8]/",
            "http://[64:ff9b::8.8.8.8]/",
            "http://[64:ff9b::1:7f00:1]/",
            "http://[64:ff9a::7f00:1]/",
            "http://[2002:808:808::1]/",
            "http://[2003:7f00:1::]/",
        ] {
            assert!(WebhookUrl::parse(raw, PublicOnly).is_ok(), "{raw}");
        }
    }

    #[test]
    fn webhook_url_refuses_control_characters_the_parser_would_drop() {
        for raw in [
            "http://exa\tmple.com/",
            "http://exa\nmple.com/",
            "http://example.com/ho\r\nok",
            "\u{0}http://example.com/",
            "http://example.com/\u{7f}",
            "http://example.com/a\u{85}b",
        ] {
            for policy in [PublicOnly, AllowPrivate] {
                assert_refused(
                    raw,
                    policy,
                    ProblemCode::InvalidFormat,
                    "must not contain control characters",
                );
            }
        }
    }

    #[test]
    fn webhook_url_allow_private_skips_only_the_address_check() {
        for raw in [
            "http://localhost:3000/hook",
            "http://127.0.0.1:3000/hook",
            "http://[::1]:3000/hook",
            "http://192.168.1.10/hook",
        ] {
            assert!(WebhookUrl::parse(raw, AllowPrivate).is_ok(), "{raw}");
        }
        assert_refused(
            "ftp://localhost/",
            AllowPrivate,
            ProblemCode::InvalidFormat,
            FORMAT_MESSAGE,
        );
        assert_refused(
            "http://user:pw@localhost/",
            AllowPrivate,
            ProblemCode::NotAllowed,
            CREDENTIALS_MESSAGE,
        );
    }
}
