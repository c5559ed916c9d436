//! Settings of the HTTP service «CRM_СквознаяАналитикаИнтеграция».

use super::Secret;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LOGIN: &str = "httpService";
pub const DEFAULT_PUBLICATION: &str = "crm_httpAnalytics";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8085";
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1_000_000;
/// Loopback: the reverse proxy on the same machine (the nginx example).
pub const DEFAULT_TRUSTED_PROXIES: [&str; 2] = ["127.0.0.0/8", "::1"];
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
/// 128 MiB: about a hundred megabyte-long leads being received at once.
pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 128 << 20;
/// The exchange log's total size: room for about 100,000 ordinary entries.
pub const DEFAULT_EXCHANGE_LOG_MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceSettings {
    pub listen: String,
    /// «Внешний адрес для Roistat»: how Roistat reaches this service from the internet, usually
    /// through a reverse proxy with TLS (`https://crm.example.ru`); every URL shown for Roistat
    /// starts with it. Empty: the listen address, which Roistat can reach only if it is public.
    pub external_address: String,
    pub publication: String,
    pub login: String,
    pub password: Secret,
    /// Request line + headers, and the body, each at most this many bytes.
    pub max_request_bytes: usize,
    /// No login at all: only when switched on explicitly.
    pub anonymous: bool,
    /// «Не выгружать заказы, созданные до»: mirrors Roistat's minimum order date.
    pub export_min_created: Option<jiff::civil::Date>,
    /// «Использовать сквозную аналитику»: service fields exist.
    pub analytics_enabled: bool,
    /// The service runs inside the window; off keeps the port free.
    pub enabled: bool,
    /// «Доверенные прокси»: addresses or networks (`10.0.0.0/8`) whose `X-Forwarded-For` /
    /// `X-Real-IP` name the client.
    pub trusted_proxies: Vec<String>,
    /// Open connections at most, in total and from one client address (a trusted proxy counts
    /// only in the total).
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    /// Bytes of requests being received, across all connections, at most.
    pub max_buffered_bytes: usize,
    /// The exchange log keeps at most this many bytes of entries; the oldest go first.
    pub exchange_log_max_bytes: u64,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            listen: DEFAULT_LISTEN.into(),
            external_address: String::new(),
            publication: DEFAULT_PUBLICATION.into(),
            login: DEFAULT_LOGIN.into(),
            password: Secret::default(),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            anonymous: false,
            export_min_created: None,
            analytics_enabled: true,
            enabled: true,
            trusted_proxies: DEFAULT_TRUSTED_PROXIES.iter().map(|p| p.to_string()).collect(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            max_buffered_bytes: DEFAULT_MAX_BUFFERED_BYTES,
            exchange_log_max_bytes: DEFAULT_EXCHANGE_LOG_MAX_BYTES,
        }
    }
}

impl ServiceSettings {
    /// The path Roistat calls: `/{publication}/hs/analytics`.
    pub fn path(&self) -> String {
        format!("/{}/hs/analytics", self.publication.trim_matches('/'))
    }

    /// The base Roistat calls: the external address, or `http://` and the listen address.
    pub fn roistat_base(&self) -> String {
        match self.external_address.trim().trim_end_matches('/') {
            "" => format!("http://{}", self.listen.trim()),
            external => external.to_string(),
        }
    }

    /// The URL to paste into Roistat's «Своя CRM».
    pub fn roistat_url(&self) -> String {
        format!("{}{}", self.roistat_base(), self.path())
    }

    /// Why Roistat cannot reach [`Self::roistat_base`], in words for the admin; `None` when it can
    /// (as far as the address tells).
    pub fn roistat_reach_problem(&self) -> Option<String> {
        let base = self.roistat_base();
        let Some(rest) = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://")) else {
            return Some(format!("Внешний адрес «{base}» должен начинаться с https:// (или http://)"));
        };
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host
                .rsplit_once(':')
                .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
                .map_or(host, |(h, _)| h),
        };
        if host.is_empty() {
            return Some(format!("Во внешнем адресе «{base}» нет имени сервера"));
        }
        let local = host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| match ip {
                std::net::IpAddr::V4(v4) => {
                    v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified()
                }
                std::net::IpAddr::V6(v6) => {
                    v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00
                }
            });
        local.then(|| {
            format!(
                "Roistat не достучится до «{host}»: это адрес внутри вашей сети. Опубликуйте сервис через \
                 обратный прокси (nginx с TLS) на внешнем имени и укажите его во «Внешний адрес для Roistat», \
                 например https://crm.example.ru"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_stored_before_the_caps_load_with_defaults() {
        let old = r#"{"listen":"0.0.0.0:9000","publication":"p","login":"l","password":"x","max_request_bytes":5000}"#;
        let s: ServiceSettings = serde_json::from_str(old).unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert_eq!(s.trusted_proxies, ["127.0.0.0/8", "::1"]);
        assert_eq!(s.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(s.max_connections_per_address, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
        assert_eq!(s.max_buffered_bytes, DEFAULT_MAX_BUFFERED_BYTES);
        assert_eq!(s.external_address, "");
    }

    #[test]
    fn the_url_for_roistat_starts_with_the_external_address_and_a_local_one_is_named() {
        let local = ServiceSettings::default();
        assert_eq!(local.roistat_url(), "http://127.0.0.1:8085/crm_httpAnalytics/hs/analytics");
        assert!(local.roistat_reach_problem().is_some_and(|p| p.contains("127.0.0.1") && p.contains("прокси")));
        let public =
            ServiceSettings { external_address: "https://crm.example.ru/".into(), ..ServiceSettings::default() };
        assert_eq!(public.roistat_url(), "https://crm.example.ru/crm_httpAnalytics/hs/analytics");
        assert_eq!(public.roistat_reach_problem(), None);
        for inside in ["http://192.168.1.5:8085", "https://10.0.0.7", "http://[::1]:8085", "http://localhost"] {
            let s = ServiceSettings { external_address: inside.into(), ..ServiceSettings::default() };
            assert!(s.roistat_reach_problem().is_some(), "{inside}");
        }
        let bad = ServiceSettings { external_address: "crm.example.ru".into(), ..ServiceSettings::default() };
        assert!(bad.roistat_reach_problem().is_some_and(|p| p.contains("https://")));
    }
}
