//! The caller's IP address behind reverse proxies (README, "Security defaults"): `X-Forwarded-For`
//! is read only when the socket peer is one of `[http] trusted_proxies`, and then the right-most
//! hop that is not a trusted proxy is the client. Rate limits bucket IPv6 addresses by their /64,
//! since one host commonly holds a whole /64.

use http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// The client's address: the socket peer, unless the peer is a trusted proxy.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer.map(canonical)?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop).map(canonical) {
            Some(ip) if is_trusted(&ip) => nearest = ip,
            Some(ip) => return Some(ip),
            // Not an address: whatever is left of it came from the client; the nearest trusted
            // hop is all that can be vouched for.
            None => return Some(nearest),
        }
    }
    Some(nearest)
}

/// One hop of `X-Forwarded-For`: an address, with the port some proxies append
/// (`203.0.113.7:4711`, `[2001:db8::1]:4711`) left off.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = hop.parse::<std::net::SocketAddr>() {
        return Some(addr.ip());
    }
    // A bracketed IPv6 address without a port.
    hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// IPv4-mapped IPv6 addresses are their IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The rate-limit bucket of an address: IPv4 as is, IPv6 by its /64.
pub fn bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Parses `[http] trusted_proxies`, naming the entry that is not a CIDR or an address.
pub fn parse_trusted(entries: &[String]) -> Result<Vec<IpNet>, String> {
    entries
        .iter()
        .map(|e| {
            e.parse::<IpNet>()
                .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("http.trusted_proxies: `{e}` is not a CIDR or an IP address"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hop_with_a_port_is_its_address() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = Some("10.0.0.1".parse().unwrap());
        for (hop, ip) in [
            ("203.0.113.7:4711", "203.0.113.7"),
            ("[2001:db8::1]:4711", "2001:db8::1"),
            ("[2001:db8::2]", "2001:db8::2"),
        ] {
            assert_eq!(
                client_ip(peer, &xff(&[hop]), &trusted),
                Some(ip.parse().unwrap()),
                "{hop}"
            );
        }
        // Still no guessing: what is not an address is not the client.
        assert_eq!(client_ip(peer, &xff(&["203.0.113.7:port"]), &trusted), peer);
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn forwarded_for_is_ignored_without_trusted_proxies() {
        let h = xff(&["203.0.113.9"]);
        assert_eq!(client_ip(ip("198.51.100.1"), &h, &[]), ip("198.51.100.1"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = parse_trusted(&["10.0.0.0/8".into(), "192.0.2.7".into()]).unwrap();
        // The client forged the first entry; the proxies appended the real ones.
        let h = xff(&["1.1.1.1, 203.0.113.9", "10.1.2.3"]);
        assert_eq!(client_ip(ip("192.0.2.7"), &h, &trusted), ip("203.0.113.9"));
        // A peer that is not a trusted proxy is the client, whatever it claims.
        assert_eq!(
            client_ip(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
        // Only trusted hops: the left-most of them.
        let h = xff(&["10.9.9.9"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.9.9.9"));
        // Garbage stops the walk at the nearest trusted hop.
        let h = xff(&["nonsense, 10.5.5.5"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.5.5.5"));
    }

    #[test]
    fn ipv6_is_bucketed_by_its_64_and_mapped_ipv4_is_ipv4() {
        let a = bucket("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = bucket("2001:db8:1:2:bbbb::2".parse().unwrap());
        let c = bucket("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            client_ip(ip("::ffff:192.0.2.1"), &HeaderMap::new(), &[]),
            ip("192.0.2.1")
        );
        assert!(parse_trusted(&["not-a-net".into()])
            .unwrap_err()
            .contains("not-a-net"));
    }
}
