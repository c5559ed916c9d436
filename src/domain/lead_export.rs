//! The part of a lead that Roistat's `export` reads, borrowed from the stored record: the export of
//! a hundred thousand orders decodes only these fields and copies no text it does not write.

use super::{ClientId, Lead, LeadId, Money, Responsible};
use jiff::Timestamp;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LeadExport<'a> {
    pub id: LeadId,
    pub number: u64,
    pub created: Timestamp,
    /// The last change: `date_update` in the export.
    pub updated: Timestamp,
    #[serde(borrow)]
    pub title: Cow<'a, str>,
    pub status_id: Option<u64>,
    pub price: Money,
    pub cost: Money,
    #[serde(borrow)]
    pub marker: Option<Cow<'a, str>>,
    pub client_id: Option<ClientId>,
    pub responsible: Option<Responsible>,
    #[serde(borrow)]
    pub roistat_manager_id: Option<Cow<'a, str>>,
    /// Extra-field values by developer name, in the stored (sorted) order.
    #[serde(borrow, deserialize_with = "pairs")]
    pub extra: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    #[serde(borrow)]
    pub utm: UtmExport<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UtmExport<'a> {
    #[serde(borrow)]
    pub source: Cow<'a, str>,
    #[serde(borrow)]
    pub medium: Cow<'a, str>,
    #[serde(borrow)]
    pub campaign: Cow<'a, str>,
}

impl<'a> LeadExport<'a> {
    /// The same view of a lead in memory.
    pub fn of(lead: &'a Lead) -> LeadExport<'a> {
        LeadExport {
            id: lead.id,
            number: lead.number,
            created: lead.created,
            updated: lead.updated,
            title: Cow::Borrowed(&lead.title),
            status_id: lead.status_id,
            price: lead.price,
            cost: lead.cost,
            marker: lead.marker.as_ref().map(|m| Cow::Borrowed(m.as_str())),
            client_id: lead.client_id,
            responsible: lead.responsible,
            roistat_manager_id: lead.roistat_manager_id.as_deref().map(Cow::Borrowed),
            extra: lead.extra.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str()))).collect(),
            utm: UtmExport {
                source: Cow::Borrowed(&lead.utm.source),
                medium: Cow::Borrowed(&lead.utm.medium),
                campaign: Cow::Borrowed(&lead.utm.campaign),
            },
        }
    }

    pub fn extra_value(&self, key: &str) -> Option<&str> {
        self.extra.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref())
    }
}

type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// A JSON object read as a list of pairs: no map to build for a few fields.
fn pairs<'de: 'a, 'a, D: Deserializer<'de>>(deserializer: D) -> Result<Pairs<'a>, D::Error> {
    struct PairsVisitor;
    impl<'de> Visitor<'de> for PairsVisitor {
        type Value = Pairs<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of strings")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(4));
            while let Some((key, value)) = map.next_entry::<Borrowed<'de>, Borrowed<'de>>()? {
                out.push((key.0, value.0));
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(PairsVisitor)
}

/// A string borrowed from the input when it has no escapes (serde's own `Cow` impl always copies).
struct Borrowed<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Borrowed<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Borrowed<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Borrowed(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Borrowed(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Borrowed(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Marker, Role};

    #[test]
    fn reads_the_stored_record_and_agrees_with_the_lead() {
        let mut lead = Lead {
            id: 5,
            number: 17,
            title: "Заявка \"с кавычками\"".into(),
            text: "длинный текст, который экспорт не читает".into(),
            status_id: Some(2),
            price: Money(12_345),
            cost: Money(-1),
            marker: Some(Marker::parse("seo_yandex").unwrap()),
            client_id: Some(9),
            responsible: Some(Responsible::Role(Role::Manager)),
            roistat_manager_id: Some("m1".into()),
            ..Lead::default()
        };
        lead.extra.insert("delivery".into(), "Курьер".into());
        lead.extra.insert("utm_source".into(), "yandex\\direct".into());
        lead.utm.medium = "cpc".into();
        let json = serde_json::to_vec(&lead).unwrap();
        let view: LeadExport = serde_json::from_slice(&json).unwrap();
        let mem = LeadExport::of(&lead);
        for v in [&view, &mem] {
            assert_eq!((v.id, v.number, v.status_id, v.client_id), (5, 17, Some(2), Some(9)));
            assert_eq!(v.updated, lead.updated);
            assert_eq!(v.title, "Заявка \"с кавычками\"");
            assert_eq!((v.price, v.cost), (Money(12_345), Money(-1)));
            assert_eq!(v.marker.as_deref(), Some("seo_yandex"));
            assert_eq!(v.responsible, Some(Responsible::Role(Role::Manager)));
            assert_eq!(v.roistat_manager_id.as_deref(), Some("m1"));
            assert_eq!(v.extra_value("delivery"), Some("Курьер"));
            assert_eq!(v.extra_value("utm_source"), Some("yandex\\direct"));
            assert_eq!(v.utm.medium, "cpc");
        }
        assert!(matches!(view.extra[0].1, Cow::Borrowed(_)), "text without escapes is not copied");
    }
}
