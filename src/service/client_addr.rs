//! Who the client is when the service sits behind a reverse proxy: «Доверенные прокси».
//!
//! Behind nginx every connection comes from 127.0.0.1, so the peer address says nothing about who
//! sent a request. A trusted proxy says it in `X-Forwarded-For` (each hop appends the address it
//! saw) or `X-Real-IP`. The client is the right-most address in that list that is not itself a
//! trusted proxy: everything left of it was written by the client and may be forged. Headers from
//! anyone else are ignored, or any client could name itself anybody.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// One trusted address or network (`10.0.0.0/8`, `::1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("«{0}» — не адрес и не сеть: укажите доверенный прокси в виде 127.0.0.1, 10.0.0.0/8 или ::1")]
pub struct BadProxy(pub String);

/// The trusted proxies, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Net>);

impl TrustedProxies {
    /// Parses the setting's entries; the first bad one is the error.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, BadProxy> {
        entries.iter().filter(|e| !e.trim().is_empty()).map(|e| parse_net(e)).collect::<Result<_, _>>().map(Self)
    }

    /// Parses what can be parsed: the settings screen refuses bad entries, but a store edited by
    /// other means must not stop the service.
    pub fn parse_lenient(entries: &[String]) -> TrustedProxies {
        TrustedProxies(entries.iter().filter_map(|e| parse_net(e).ok()).collect())
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client's address for a request that came from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        if !forwarded.is_empty() {
            let mut client = peer;
            for hop in forwarded.iter().rev() {
                // Garbage in the list: the last hop we could read is as far as we can trust it.
                let Some(ip) = parse_hop(hop) else { break };
                client = ip;
                if !self.contains(ip) {
                    break;
                }
            }
            return client;
        }
        headers.get("x-real-ip").and_then(|v| v.to_str().ok()).and_then(|v| parse_hop(v.trim())).unwrap_or(peer)
    }
}

fn parse_net(text: &str) -> Result<Net, BadProxy> {
    let text = text.trim();
    let bad = || BadProxy(text.to_string());
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (text, None),
    };
    let addr: IpAddr = addr.trim().parse().map_err(|_| bad())?;
    let addr = addr.to_canonical();
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        None => max,
    };
    Ok(Net { addr, prefix })
}

/// One entry of `X-Forwarded-For`: an address, maybe with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(text: &str) -> Option<IpAddr> {
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| text.trim_start_matches('[').trim_end_matches(']').parse().ok())?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn networks_parse_and_match() {
        let p = proxies(&["127.0.0.0/8", "::1", "10.1.0.0/16", "0.0.0.0/0"]);
        assert!(p.contains(ip("127.4.5.6")));
        assert!(p.contains(ip("::1")));
        assert!(p.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped peers are IPv4");
        assert!(!proxies(&["10.1.0.0/16"]).contains(ip("10.2.0.1")));
        assert!(proxies(&["10.1.0.0/16"]).contains(ip("10.1.200.1")));
        assert!(proxies(&["0.0.0.0/0"]).contains(ip("203.0.113.1")));
        assert!(!proxies(&["0.0.0.0/0"]).contains(ip("2001:db8::1")));
        for bad in ["localhost", "10.0.0.0/33", "::1/129", "1.2.3", "10.0.0.0/x"] {
            assert!(TrustedProxies::parse(&[bad.to_string()]).is_err(), "{bad}");
        }
        assert_eq!(TrustedProxies::parse_lenient(&["junk".into(), "::1".into()]), proxies(&["::1"]));
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let p = proxies(&["127.0.0.0/8", "10.0.0.0/8"]);
        let local = ip("127.0.0.1");
        // The client forged the first entry; nginx appended the address it saw; a second proxy too.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.0.0.5")]);
        assert_eq!(p.client(local, &h), ip("203.0.113.7"));
        // Several header lines are one list.
        let h = headers(&[("x-forwarded-for", "1.1.1.1"), ("x-forwarded-for", "203.0.113.7:5555")]);
        assert_eq!(p.client(local, &h), ip("203.0.113.7"));
        // All hops trusted: the left-most one.
        let h = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.5")]);
        assert_eq!(p.client(local, &h), ip("10.0.0.9"));
        // Garbage stops the walk at the last readable hop.
        let h = headers(&[("x-forwarded-for", "203.0.113.7, nonsense, 10.0.0.5")]);
        assert_eq!(p.client(local, &h), ip("10.0.0.5"));
        // X-Real-IP when there is no X-Forwarded-For.
        let h = headers(&[("x-real-ip", "[2001:db8::7]")]);
        assert_eq!(p.client(local, &h), ip("2001:db8::7"));
        // No headers: the peer.
        assert_eq!(p.client(local, &HeaderMap::new()), local);
    }

    #[test]
    fn headers_from_untrusted_peers_are_ignored() {
        let p = proxies(&["127.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "203.0.113.7"), ("x-real-ip", "203.0.113.8")]);
        assert_eq!(p.client(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        assert_eq!(TrustedProxies::default().client(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }
}
