//! Where webhooks may go: never to this network's insides. A URL is refused when its host
//! is, or resolves to, a loopback, private, link-local (cloud metadata), shared,
//! multicast or otherwise special address, unless the operator allowed that range
//! (`--webhook-allow-range`). The check runs at registration and again at every send, on
//! the addresses the sender then connects to, since DNS can change in between.

use crate::{Error, Result};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::Url;

/// The longest URL an endpoint may have.
pub const MAX_URL_LEN: usize = 2048;

/// The operator's policy of destinations.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    allowed: Vec<IpNet>,
}

impl Destinations {
    /// Refuses internal addresses except those in `allowed`.
    pub fn new(allowed: Vec<IpNet>) -> Self {
        Destinations { allowed }
    }

    /// Whether a connection to `ip` is allowed.
    pub fn permits(&self, ip: IpAddr) -> bool {
        !internal(ip) || self.allowed.iter().any(|range| range.contains(&ip))
    }

    /// `url` parsed, if it is one an endpoint may have: http(s), a host, no credentials.
    pub fn parse(url: &str) -> Result<Url> {
        let refuse = |why: &str| Err(Error::BadUserInput(format!("`url` {why}")));
        if url.len() > MAX_URL_LEN {
            return refuse(&format!("is longer than {MAX_URL_LEN} characters"));
        }
        let Ok(parsed) = Url::parse(url.trim()) else {
            return refuse("is not a URL (https://hooks.example.com/okrs)");
        };
        if !matches!(parsed.scheme(), "http" | "https") {
            return refuse("must be http or https");
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return refuse("has no host");
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return refuse("must not carry credentials: sign with the secret instead");
        }
        Ok(parsed)
    }

    /// `url` as an endpoint keeps it, if it is one (see [`Destinations::parse`]) and its
    /// host resolves to permitted addresses only, now.
    pub async fn vet_url(&self, url: &str) -> Result<String> {
        let parsed = Destinations::parse(url)?;
        self.check(&parsed).await?;
        Ok(parsed.to_string())
    }

    /// Resolves `url`'s host and refuses it when any address it has is not permitted.
    pub async fn check(&self, url: &Url) -> Result<Vec<SocketAddr>> {
        let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses: Vec<SocketAddr> = match tokio::net::lookup_host((host, port)).await {
            Ok(found) => found.collect(),
            Err(error) => {
                return Err(Error::BadUserInput(format!("the host of `url` does not resolve: {error}")));
            }
        };
        self.vet(host, addresses)
    }

    /// `addresses` of `host`, if every one is permitted.
    pub fn vet(&self, host: &str, addresses: Vec<SocketAddr>) -> Result<Vec<SocketAddr>> {
        if addresses.is_empty() {
            return Err(Error::BadUserInput(format!("the host {host} has no address")));
        }
        match addresses.iter().find(|a| !self.permits(a.ip())) {
            Some(refused) => Err(Error::WebhookUrlForbidden(format!(
                "{host} is {}, an internal address: webhooks go to public addresses only",
                refused.ip()
            ))),
            None => Ok(addresses),
        }
    }
}

/// Addresses that reach this machine, its network or its cloud's metadata service.
fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => internal_v4(v4),
            None => internal_v6(v6),
        },
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), benchmarking, reserved.
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
        // IETF protocol assignments (192.0.0.0/24).
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local (fc00::/7, where cloud metadata lives too) and link-local (fe80::/10).
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // NAT64 (64:ff9b::/96) reaches IPv4 addresses, internal ones included.
        || (first == 0x64 && ip.segments()[1] == 0xff9b)
        // Documentation (2001:db8::/32).
        || (first == 0x2001 && ip.segments()[1] == 0xdb8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        let policy = Destinations::default();
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "224.0.0.1",
        ] {
            assert!(!policy.permits(ip(refused)), "{refused} must be refused");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "8.8.8.8"] {
            assert!(policy.permits(ip(public)), "{public} must pass");
        }
    }

    #[test]
    fn an_allowed_range_opens_only_itself() {
        let policy = Destinations::new(vec!["127.0.0.0/8".parse().expect("a range")]);
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(!policy.permits(ip("::1")));
        assert!(!policy.permits(ip("169.254.169.254")));
    }

    #[test]
    fn only_http_urls_with_a_host_and_no_credentials() {
        assert!(Destinations::parse("https://hooks.example.com/okrs").is_ok());
        for refused in ["ftp://example.com/", "file:///etc/passwd", "https://user:pw@example.com/", "not a url"] {
            let error = Destinations::parse(refused).err().map(|e| e.code());
            assert_eq!(error, Some("BAD_USER_INPUT"), "{refused}");
        }
    }

    #[test]
    fn a_name_with_one_internal_address_among_public_ones_is_refused() {
        let policy = Destinations::default();
        let addresses = vec!["1.1.1.1:443".parse().expect("a"), "10.0.0.5:443".parse().expect("b")];
        let error = policy.vet("mixed.example", addresses).err().map(|e| e.code());
        assert_eq!(error, Some("WEBHOOK_URL_FORBIDDEN"));
    }
}
