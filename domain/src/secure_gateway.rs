//! Secure email gateways (SENDING.md section 2, "Who is skipped"): which mail exchangers belong to
//! which gateway provider, and whether a campaign skips a lead whose domain's MX hosts are these.
//!
//! A gateway is recognised by the host names of the domain's MX records, which point into the
//! provider's own DNS zone. The suffixes below are the providers' published inbound hosts
//! (docs/decisions.md, "Secure email gateways", says where each comes from); a host matches a suffix
//! only on a label boundary (`mx1.pphosted.com` matches `pphosted.com`, `evilpphosted.com` does not).

use crate::settings::{SegCheckMode, SegProvider, Settings};

/// The MX host suffixes of each provider. `microsoft_atp` has none: Defender for Office 365 is a
/// per-user licence on Exchange Online, whose MX (`*.mail.protection.outlook.com`,
/// `*.mx.microsoft`) every Microsoft 365 tenant has, protected or not — nothing in DNS tells them
/// apart, and skipping every Microsoft 365 domain would skip most business mail.
const GATEWAY_SUFFIXES: &[(SegProvider, &[&str])] = &[
    // Proofpoint Enterprise (mx0a-…pphosted.com) and Proofpoint Essentials (mx1-us1.ppe-hosted.com).
    (SegProvider::Proofpoint, &["pphosted.com", "ppe-hosted.com"]),
    // Regional inbound clusters: us-/eu-/au-/ca-smtp-inbound-1.mimecast.com, za-…mimecast.co.za,
    // je-…mimecast-offshore.com.
    (
        SegProvider::Mimecast,
        &["mimecast.com", "mimecast.co.za", "mimecast-offshore.com"],
    ),
    // Barracuda Email Security Service: d…a.ess.barracudanetworks.com (and ess.eu.…).
    (SegProvider::Barracuda, &["barracudanetworks.com"]),
    // Cisco Secure Email Cloud Gateway (hosted IronPort): mx1.hc…iphmx.com.
    (SegProvider::Cisco, &["iphmx.com"]),
    // Forcepoint Email Security Cloud: cluster….mailcontrol.com.
    (SegProvider::Forcepoint, &["mailcontrol.com"]),
    // Sophos Central Email: mx-01-….prod.hydra.sophos.com.
    (SegProvider::Sophos, &["hydra.sophos.com"]),
    // Trend Micro Email Security: in.tmes.trendmicro.com, in.tmes.trendmicro.eu, and the regional
    // tmes-…trendmicro.com hosts.
    (
        SegProvider::TrendMicro,
        &["trendmicro.com", "trendmicro.eu"],
    ),
    // Symantec (Broadcom) Email Security.cloud, formerly MessageLabs: cluster….messagelabs.com.
    (SegProvider::Symantec, &["messagelabs.com"]),
    // McAfee SaaS Email Protection, formerly MX Logic: d…a….mxlogic.net.
    (SegProvider::Mcafee, &["mxlogic.net"]),
    (SegProvider::MicrosoftAtp, &[]),
    // Google Postini: ….psmtp.com (and postini.com).
    (SegProvider::GooglePostini, &["psmtp.com", "postini.com"]),
];

/// The gateway provider whose inbound host `exchanger` is (an MX record's target, any case, with
/// or without its final dot), if any.
pub fn gateway_of(exchanger: &str) -> Option<SegProvider> {
    let host = exchanger.trim_end_matches('.').to_ascii_lowercase();
    GATEWAY_SUFFIXES
        .iter()
        .find(|(_, suffixes)| suffixes.iter().any(|suffix| is_within(&host, suffix)))
        .map(|(provider, _)| *provider)
}

/// Whether `host` (lower case) is `zone` or a name under it: a suffix on a label boundary.
fn is_within(host: &str, zone: &str) -> bool {
    host.strip_suffix(zone)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

/// Which leads a campaign skips for their gateway (`segCheckMode` with `segSkipProviders`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayRule {
    /// `disabled`: nobody is skipped, and no MX is looked up.
    SendToAll,
    /// `skip_all`: a lead behind any known gateway is skipped.
    SkipAll,
    /// `skip_providers`: a lead behind one of these gateways is skipped.
    SkipProviders(Vec<SegProvider>),
}

impl GatewayRule {
    /// The rule a campaign's settings state.
    pub fn of(settings: &Settings) -> GatewayRule {
        match settings.seg_check_mode() {
            SegCheckMode::Disabled => GatewayRule::SendToAll,
            SegCheckMode::SkipAll => GatewayRule::SkipAll,
            SegCheckMode::SkipProviders => {
                GatewayRule::SkipProviders(settings.seg_skip_providers().to_vec())
            }
        }
    }

    /// Whether the rule needs the lead's MX hosts at all.
    pub fn needs_exchangers(&self) -> bool {
        *self != GatewayRule::SendToAll
    }

    /// The gateway for which a lead whose domain's MX hosts are `exchangers` is skipped, if any.
    /// Any one exchanger of a skipped gateway is enough: mail to the domain may go through it. No
    /// exchangers (a failed lookup, or no MX) means no gateway.
    pub fn skipped_gateway<S: AsRef<str>>(&self, exchangers: &[S]) -> Option<SegProvider> {
        exchangers
            .iter()
            .filter_map(|exchanger| gateway_of(exchanger.as_ref()))
            .find(|provider| match self {
                GatewayRule::SendToAll => false,
                GatewayRule::SkipAll => true,
                GatewayRule::SkipProviders(listed) => listed.contains(provider),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_is_in_the_gateway_table_once() {
        let listed: Vec<SegProvider> = GATEWAY_SUFFIXES.iter().map(|(p, _)| *p).collect();
        assert_eq!(listed, SegProvider::ALL);
    }

    #[test]
    fn published_inbound_hosts_name_their_provider() {
        let cases = [
            ("mx0a-00123401.pphosted.com", Some(SegProvider::Proofpoint)),
            ("mx1-us1.ppe-hosted.com", Some(SegProvider::Proofpoint)),
            (
                "us-smtp-inbound-1.mimecast.com",
                Some(SegProvider::Mimecast),
            ),
            (
                "za-smtp-inbound-1.mimecast.co.za",
                Some(SegProvider::Mimecast),
            ),
            (
                "je-smtp-inbound-1.mimecast-offshore.com",
                Some(SegProvider::Mimecast),
            ),
            (
                "d123456a.ess.barracudanetworks.com",
                Some(SegProvider::Barracuda),
            ),
            ("mx1.hc1234-56.iphmx.com", Some(SegProvider::Cisco)),
            ("cluster1.eu.mailcontrol.com", Some(SegProvider::Forcepoint)),
            (
                "mx-01-eu-west-1.prod.hydra.sophos.com",
                Some(SegProvider::Sophos),
            ),
            ("in.tmes.trendmicro.com", Some(SegProvider::TrendMicro)),
            ("in.tmes.trendmicro.eu", Some(SegProvider::TrendMicro)),
            ("cluster1.eu.messagelabs.com", Some(SegProvider::Symantec)),
            ("d123a1.mxlogic.net", Some(SegProvider::Mcafee)),
            (
                "example.com.s8a1.psmtp.com",
                Some(SegProvider::GooglePostini),
            ),
            // Any case, and the final dot of a fully qualified name.
            ("MX1.PPHOSTED.COM.", Some(SegProvider::Proofpoint)),
            // The zone itself.
            ("pphosted.com", Some(SegProvider::Proofpoint)),
            // Ordinary mail hosting is no gateway, Microsoft 365 included (see GATEWAY_SUFFIXES).
            ("example-com.mail.protection.outlook.com", None),
            ("aspmx.l.google.com", None),
            ("mx.example.com", None),
            ("", None),
        ];
        for (exchanger, provider) in cases {
            assert_eq!(gateway_of(exchanger), provider, "{exchanger}");
        }
    }

    #[test]
    fn a_suffix_matches_only_on_a_label_boundary() {
        for exchanger in [
            "evilpphosted.com",
            "mx.notmimecast.com",
            "pphosted.com.attacker.example",
            "mimecast.com-mail.example",
            "sophos.com",
            "mx.phydra.sophos.com",
        ] {
            assert_eq!(gateway_of(exchanger), None, "{exchanger}");
        }
    }

    #[test]
    fn the_campaign_mode_says_which_gateways_are_skipped() {
        let proofpoint = ["mx1.pphosted.com"];
        let mimecast = ["eu-smtp-inbound-1.mimecast.com"];
        let plain = ["mx.plain.test"];
        let only_proofpoint = GatewayRule::SkipProviders(vec![SegProvider::Proofpoint]);
        let cases: [(&GatewayRule, &[&str], Option<SegProvider>); 9] = [
            (&GatewayRule::SendToAll, &proofpoint, None),
            (
                &GatewayRule::SkipAll,
                &proofpoint,
                Some(SegProvider::Proofpoint),
            ),
            (
                &GatewayRule::SkipAll,
                &mimecast,
                Some(SegProvider::Mimecast),
            ),
            (&GatewayRule::SkipAll, &plain, None),
            (&GatewayRule::SkipAll, &[], None),
            (&only_proofpoint, &proofpoint, Some(SegProvider::Proofpoint)),
            (&only_proofpoint, &mimecast, None),
            // One gateway exchanger among ordinary ones is enough.
            (
                &only_proofpoint,
                &["mx.plain.test", "mx2.pphosted.com"],
                Some(SegProvider::Proofpoint),
            ),
            (&only_proofpoint, &[], None),
        ];
        for (rule, exchangers, skipped) in cases {
            assert_eq!(
                rule.skipped_gateway(exchangers),
                skipped,
                "{rule:?} {exchangers:?}"
            );
        }
        assert!(!GatewayRule::SendToAll.needs_exchangers());
        assert!(GatewayRule::SkipAll.needs_exchangers());
        assert!(only_proofpoint.needs_exchangers());
    }
}
