//! Channel and source of attraction from UTM tags.

use super::{Attraction, Utm};

/// `utm_medium`/`utm_source` → channel as Roistat names marker level 1.
pub fn attribute(utm: &Utm) -> Attraction {
    let source = utm.source.trim().to_lowercase();
    let medium = utm.medium.trim().to_lowercase();
    let paid = matches!(medium.as_str(), "cpc" | "ppc" | "cpm" | "paid" | "cpa");
    let channel = if source.is_empty() && medium.is_empty() {
        String::new()
    } else if medium == "organic" || medium == "seo" {
        "seo".to_string()
    } else if paid && (source.contains("yandex") || source == "direct") {
        "direct".to_string()
    } else if paid && (source.contains("google") || source == "adwords") {
        "google".to_string()
    } else if source == "vk" || source.contains("vkontakte") || medium == "social" && source.is_empty() {
        "vk".to_string()
    } else if !source.is_empty() {
        sanitize(&source)
    } else {
        sanitize(&medium)
    };
    let source_level =
        if channel == "direct" || channel == "google" { sanitize(utm.campaign.trim()) } else { sanitize(&source) };
    Attraction { channel, source: source_level, campaign: sanitize(utm.campaign.trim()) }
}

/// Marker-safe: spaces and the level separators become `-`.
fn sanitize(text: &str) -> String {
    text.chars().map(|c| if c.is_whitespace() || c == '/' || c == '_' || c.is_control() { '-' } else { c }).collect()
}

/// The marker a manager gets from «Добавить Roistat маркер»: `seo_yandex`, `vk_post_autumn` with
/// the campaign as the third level (unless the source already is the campaign, as for paid search).
pub fn marker_text_from_attraction(attraction: &Attraction) -> Option<String> {
    let campaign = Some(&attraction.campaign).filter(|c| c.trim() != attraction.source.trim());
    let parts: Vec<String> = [Some(&attraction.channel), Some(&attraction.source), campaign]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .map(|s| sanitize(s.trim()))
        .collect();
    if parts.is_empty() { None } else { Some(parts.join("_")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utm(s: &str, m: &str, c: &str) -> Utm {
        Utm { source: s.into(), medium: m.into(), campaign: c.into(), ..Utm::default() }
    }

    #[test]
    fn channels() {
        assert_eq!(attribute(&utm("yandex", "cpc", "brand")).channel, "direct");
        assert_eq!(attribute(&utm("yandex", "cpc", "brand")).source, "brand");
        assert_eq!(attribute(&utm("google", "organic", "")).channel, "seo");
        assert_eq!(attribute(&utm("google", "organic", "")).source, "google");
        assert_eq!(attribute(&utm("vk", "post", "")).channel, "vk");
        assert_eq!(attribute(&utm("", "", "")).channel, "");
    }

    #[test]
    fn marker_from_attraction() {
        let a = Attraction { channel: "seo".into(), source: "yandex".into(), campaign: String::new() };
        assert_eq!(marker_text_from_attraction(&a).as_deref(), Some("seo_yandex"));
        assert_eq!(marker_text_from_attraction(&Attraction::default()), None);
        let a = Attraction { channel: "vk".into(), source: "post".into(), campaign: "autumn sale".into() };
        assert_eq!(marker_text_from_attraction(&a).as_deref(), Some("vk_post_autumn-sale"));
        let paid = attribute(&utm("yandex", "cpc", "brand"));
        assert_eq!(marker_text_from_attraction(&paid).as_deref(), Some("direct_brand"), "no level twice");
    }
}
