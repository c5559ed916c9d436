//! `action=lead`: a proxy lead becomes a Lead with its client; answered only once it is durable.

use super::super::intake::Accepted;
use super::super::query::{Params, cut};
use super::super::{Answer, Failure, Service};
use super::{json_str, parse_time};
use crate::domain::Contact;
use crate::domain::RoistatLead;
use crate::domain::{ExtraField, Lead, MARKER_FIELD, MISSING_FIELDS_WARNING, Marker, Origin, Outcome, attribute};
use crate::store::{Intake, Store, StoreError};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Parameters that are part of the protocol; anything else is kept in `unmapped`.
const KNOWN: &[&str] = &[
    "action",
    "user",
    "token",
    "charset",
    "id",
    "visit",
    "title",
    "text",
    "name",
    "phone",
    "email",
    "data",
    "created_date",
    "manager_id",
];

pub async fn lead(service: &Arc<Service>, params: &Params) -> Result<Answer, Failure> {
    let Accepted { intake, notes } = service.intake.submit(params.clone()).await.map_err(Failure::store)?;
    let mut json = String::with_capacity(48);
    json.push_str(r#"{"status":"ok","order_id":"#);
    json_str(&mut json, &intake.lead.id.to_string());
    json.push('}');
    let mut note = notes.join("; ");
    if !intake.created {
        note = if note.is_empty() {
            format!("повтор: заявка уже создана (id {})", intake.lead.id)
        } else {
            format!("повтор: заявка уже создана (id {}); {note}", intake.lead.id)
        };
    } else if !intake.lead.unmapped.is_empty() {
        let keys: Vec<&str> = intake.lead.unmapped.keys().map(String::as_str).collect();
        let unmapped = format!(
            "{MISSING_FIELDS_WARNING} {} (значения сохранены в заявке, но не в реквизитах)",
            cut(&keys.join(", "), 300)
        );
        note = if note.is_empty() { unmapped } else { format!("{note}; {unmapped}") };
    }
    Ok(Answer { json, outcome: if intake.created { Outcome::Ok } else { Outcome::Duplicate }, note })
}

/// A lead Roistat sent and we missed, created from what Roistat lists about it («Сверка с Roistat»):
/// the same mapping as `action=lead`, idempotent on Roistat's id, durable on return.
pub async fn intake_from_roistat(store: &Store, roistat: &RoistatLead) -> Result<Intake, StoreError> {
    let mut params = Params::default();
    for (name, value) in [
        ("id", &roistat.id),
        ("title", &roistat.title),
        ("text", &roistat.text),
        ("name", &roistat.name),
        ("phone", &roistat.phone),
        ("email", &roistat.email),
        ("visit", &roistat.visit),
        // Not documented whether the list's `creation_date` is UTC like `created_date`; taken as such.
        ("created_date", &roistat.created),
    ] {
        if !value.trim().is_empty() {
            params.push(name.to_string(), value.clone());
        }
    }
    let (fields, initial_status) = tokio::try_join!(store.list::<ExtraField>(), store.initial_status())?;
    let (lead, contact, _) = build(&params, &fields, initial_status, Timestamp::now());
    store.intake_lead(lead, contact).await
}

/// The lead, its contact, and what the log should say about the input.
pub fn build(
    params: &Params,
    fields: &[ExtraField],
    initial_status: Option<u64>,
    now: Timestamp,
) -> (Lead, Contact, Vec<String>) {
    let mut notes = Vec::new();
    let mut lead = Lead {
        created: now,
        updated: now,
        origin: Origin::of_proxy_lead(params.get("title").unwrap_or("")),
        status_id: initial_status,
        title: params.get("title").unwrap_or("").trim().to_string(),
        text: params.get("text").unwrap_or("").to_string(),
        roistat_lead_id: params.text("id").map(str::to_string),
        roistat_manager_id: params.text("manager_id").map(str::to_string),
        received: Some(now),
        ..Lead::default()
    };
    let has_field = |name: &str| fields.iter().any(|f| f.dev_name == name);
    let mut unmapped = BTreeMap::new();
    if let Some(created) = params.text("created_date") {
        match parse_time(created) {
            Some(ts) => lead.created = ts,
            None => {
                notes.push(format!("created_date «{}» не распознана: взято текущее время", cut(created, 40)));
                unmapped.insert("created_date".to_string(), created.to_string());
            }
        }
    }
    if let Some(data) = params.text("data") {
        match serde_json::from_str::<serde_json::Value>(data) {
            Ok(serde_json::Value::Object(map)) => {
                for (key, value) in map {
                    let text = match value {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    match key.as_str() {
                        "utm_source" => lead.utm.source = text.clone(),
                        "utm_medium" => lead.utm.medium = text.clone(),
                        "utm_campaign" => lead.utm.campaign = text.clone(),
                        "utm_content" => lead.utm.content = text.clone(),
                        "utm_term" => lead.utm.term = text.clone(),
                        _ => {}
                    }
                    if has_field(&key) {
                        lead.extra.insert(key, text);
                    } else if !matches!(key.as_str(), "utm_content" | "utm_term") {
                        // utm_content and utm_term live in `lead.utm`; the rest must not be lost.
                        unmapped.insert(key, text);
                    }
                }
            }
            Ok(_) | Err(_) => {
                notes.push("data не является JSON-объектом: текст сохранён в заявке как есть".to_string());
                lead.raw_data = Some(data.to_string());
            }
        }
    }
    lead.attraction = attribute(&lead.utm);
    let visit = params.text("visit").map(str::to_string).or_else(|| lead.extra.get(MARKER_FIELD).cloned());
    if let Some(visit) = visit {
        match Marker::parse(&visit) {
            Ok(marker) => {
                if has_field(MARKER_FIELD) {
                    lead.extra.insert(MARKER_FIELD.to_string(), marker.to_string());
                }
                lead.marker = Some(marker);
            }
            Err(e) => {
                notes.push(format!("visit «{}» не принят как маркер: {e}", cut(&visit, 40)));
                unmapped.insert("visit".to_string(), visit);
            }
        }
    }
    if let Some(id) = &lead.roistat_lead_id
        && has_field("roistat_lead_id")
    {
        lead.extra.insert("roistat_lead_id".into(), id.clone());
    }
    if let Some(id) = &lead.roistat_manager_id
        && has_field("roistat_manager_id")
    {
        lead.extra.insert("roistat_manager_id".into(), id.clone());
    }
    for (key, value) in params.iter() {
        if !KNOWN.contains(&key) && !crate::domain::is_secret_param(key) && !unmapped.contains_key(key) {
            unmapped.insert(key.to_string(), value.to_string());
        }
    }
    lead.unmapped = unmapped;
    let contact = Contact {
        name: params.get("name").unwrap_or("").trim().to_string(),
        phone: params.get("phone").unwrap_or("").trim().to_string(),
        email: params.get("email").unwrap_or("").trim().to_string(),
    };
    (lead, contact, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldKind;

    fn field(name: &str) -> ExtraField {
        ExtraField { id: 1, name: name.into(), dev_name: name.into(), kind: FieldKind::Text, service: false }
    }

    #[test]
    fn maps_data_and_keeps_the_rest() {
        let mut p = Params::default();
        let raw = "id=r1&visit=3121512&title=T&data=%7B%22utm_source%22%3A%22yandex%22%2C%22utm_medium%22%3A%22cpc%22%2C%22delivery%22%3A%22%D0%9A%22%2C%22page%22%3A%22%2Fx%22%7D&created_date=2015-06-28+09%3A12%3A54&promo=X";
        p.add_urlencoded(raw.as_bytes(), 0).unwrap();
        let fields = vec![field("utm_source"), field("utm_medium"), field("delivery"), field(MARKER_FIELD)];
        let (lead, _, notes) = build(&p, &fields, Some(1), Timestamp::UNIX_EPOCH);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(lead.extra.get("delivery").map(String::as_str), Some("К"));
        assert_eq!(lead.extra.get("roistat").map(String::as_str), Some("3121512"));
        assert_eq!(lead.unmapped.get("page").map(String::as_str), Some("/x"));
        assert_eq!(lead.unmapped.get("promo").map(String::as_str), Some("X"));
        assert_eq!(lead.utm.source, "yandex");
        assert_eq!(lead.attraction.channel, "direct");
        assert_eq!(lead.created.as_second(), 1_435_482_774);
        assert_eq!(lead.marker.unwrap().as_str(), "3121512");
    }

    #[test]
    fn bad_data_and_visit_are_kept() {
        let mut p = Params::default();
        p.add_urlencoded(b"id=r2&visit=a+b&data=not+json", 0).unwrap();
        let (lead, _, notes) = build(&p, &[], None, Timestamp::UNIX_EPOCH);
        assert_eq!(lead.raw_data.as_deref(), Some("not json"));
        assert_eq!(lead.unmapped.get("visit").map(String::as_str), Some("a b"));
        assert_eq!(lead.marker, None);
        assert_eq!(notes.len(), 2);
    }
}
