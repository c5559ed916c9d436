//! The lead (Заявка) and the client (Клиент).

use super::{Marker, Money, Responsible};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub type LeadId = u64;
pub type ClientId = u64;

/// Where a lead came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Origin {
    /// A proxy lead pushed by Roistat (`action=lead`).
    ProxyLead,
    /// A call that became a lead.
    Call,
    /// Typed in by a manager.
    #[default]
    Manual,
    /// Created from a template or copied from another lead (F9).
    TemplateCopy,
}

impl Origin {
    pub const ALL: [Origin; 4] = [Origin::ProxyLead, Origin::Call, Origin::Manual, Origin::TemplateCopy];

    /// A proxy lead that Roistat's call tracking made of a call («Звонок от 79991234567») is a call.
    pub fn of_proxy_lead(title: &str) -> Origin {
        if title.trim_start().to_lowercase().starts_with("звонок") { Origin::Call } else { Origin::ProxyLead }
    }
    pub fn title(self) -> &'static str {
        match self {
            Origin::ProxyLead => "Проксилид Roistat",
            Origin::Call => "Звонок",
            Origin::Manual => "Вручную",
            Origin::TemplateCopy => "Копия / по шаблону",
        }
    }
}

/// A contact from a proxy lead: matched to a client by phone or e-mail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        self.name.trim().is_empty() && self.phone.trim().is_empty() && self.email.trim().is_empty()
    }
}

/// UTM tags as the site passed them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Utm {
    pub source: String,
    pub medium: String,
    pub campaign: String,
    pub content: String,
    pub term: String,
}

/// The channel and source of attraction (канал и источник привлечения).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Attraction {
    pub channel: String,
    pub source: String,
    pub campaign: String,
}

impl Attraction {
    pub fn is_empty(&self) -> bool {
        self.channel.is_empty() && self.source.is_empty()
    }
    /// `seo/yandex` for display.
    pub fn path(&self) -> String {
        [&self.channel, &self.source, &self.campaign]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub at: Timestamp,
    pub title: String,
    pub text: String,
    /// Came from Roistat (`action=message`): read-only in the form.
    #[serde(default)]
    pub from_roistat: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: u64,
    pub deadline: Option<Timestamp>,
    pub text: String,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub from_roistat: bool,
    /// When the task was set; the store stamps it (tasks stored before it knew are `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
}

/// A lead's status moved: the store records one on every change of `status_id`, so analytics know
/// when a lead was taken into work, sold or cancelled (the status before the first change is the
/// lead's status from its creation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u64>,
    /// Who moved it (a login or a name, «Roistat»).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Empty fields are left out of the stored record (it is read with defaults): smaller and faster.
/// A lead (Заявка); templates are leads with `is_template`, never exported or counted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Lead {
    pub id: LeadId,
    /// Human number, monotonic, never reused.
    pub number: u64,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<u64>,
    /// Revenue (Выручка).
    pub price: Money,
    /// Cost price (Себестоимость).
    pub cost: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<Marker>,
    /// Roistat's lead id: the idempotency key for proxy leads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roistat_lead_id: Option<String>,
    /// Roistat's `manager_id`, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roistat_manager_id: Option<String>,
    /// When a proxy lead reached us (the reconciliation tells late leads by it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_source_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible: Option<Responsible>,
    /// Extra-field values by developer name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    /// Keys from Roistat's `data` that match no extra field: kept, never dropped.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unmapped: BTreeMap<String, String>,
    /// `data` that was not a JSON object, kept verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_data: Option<String>,
    pub utm: Utm,
    pub attraction: Attraction,
    pub origin: Origin,
    #[serde(skip_serializing_if = "is_false")]
    pub is_template: bool,
    /// Marked for deletion (Delete key); still stored, hidden and not exported.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<Comment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub call_ids: Vec<u64>,
    /// Every change of `status_id`, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status_changes: Vec<StatusChange>,
    /// Moves with every stored change (edits and appends); an edit names the version it was made on.
    #[serde(default)]
    pub version: u64,
    /// Who made the last change (a person's name, «Roistat», «Загрузка»); `updated` says when.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub changed_by: String,
}

impl Default for Lead {
    fn default() -> Self {
        Lead {
            id: 0,
            number: 0,
            created: Timestamp::UNIX_EPOCH,
            updated: Timestamp::UNIX_EPOCH,
            title: String::new(),
            text: String::new(),
            client_id: None,
            status_id: None,
            price: Money::ZERO,
            cost: Money::ZERO,
            marker: None,
            roistat_lead_id: None,
            roistat_manager_id: None,
            received: None,
            lead_source_id: None,
            responsible: None,
            extra: BTreeMap::new(),
            unmapped: BTreeMap::new(),
            raw_data: None,
            utm: Utm::default(),
            attraction: Attraction::default(),
            origin: Origin::Manual,
            is_template: false,
            deleted: false,
            comments: Vec::new(),
            tasks: Vec::new(),
            call_ids: Vec::new(),
            status_changes: Vec::new(),
            version: 0,
            changed_by: String::new(),
        }
    }
}

impl Lead {
    /// Display title: «Заявка № 100» when untitled.
    pub fn display_title(&self) -> String {
        if self.title.trim().is_empty() { format!("Заявка № {}", self.number) } else { self.title.clone() }
    }

    /// Whether Roistat may see it in `export`.
    pub fn is_exportable(&self) -> bool {
        !self.is_template && !self.deleted
    }

    /// The status the lead was created with: before its first recorded change, or its status now.
    pub fn first_status(&self) -> Option<u64> {
        self.status_changes.first().map_or(self.status_id, |c| c.from)
    }

    /// A new lead copied from this one (F9 / «Создать по шаблону»): every field, marker included;
    /// the caller gives the new number, time and initial status; Roistat ids and history are not copied.
    /// A template's description describes the template, not the lead made from it.
    pub fn copy_as_new(&self, now: Timestamp, initial_status: Option<u64>) -> Lead {
        Lead {
            text: if self.is_template { String::new() } else { self.text.clone() },
            id: 0,
            number: 0,
            created: now,
            updated: now,
            status_id: initial_status,
            roistat_lead_id: None,
            origin: Origin::TemplateCopy,
            is_template: false,
            deleted: false,
            comments: Vec::new(),
            tasks: Vec::new(),
            call_ids: Vec::new(),
            status_changes: Vec::new(),
            ..self.clone()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub company: String,
    pub birth_date: Option<jiff::civil::Date>,
    pub created: Timestamp,
    pub updated: Timestamp,
}

impl Client {
    /// A new client made of a contact (trimmed), without an id yet.
    pub fn of_contact(contact: &Contact, now: Timestamp) -> Client {
        Client {
            name: contact.name.trim().to_string(),
            phone: contact.phone.trim().to_string(),
            email: contact.email.trim().to_string(),
            created: now,
            updated: now,
            ..Client::default()
        }
    }

    /// Fills the empty name, phone and e-mail from a contact (what a new lead says about a known
    /// client); true if anything changed.
    pub fn fill_empty_from(&mut self, contact: &Contact) -> bool {
        let mut changed = false;
        for (field, value) in
            [(&mut self.name, &contact.name), (&mut self.phone, &contact.phone), (&mut self.email, &contact.email)]
        {
            if field.trim().is_empty() && !value.trim().is_empty() {
                *field = value.trim().to_string();
                changed = true;
            }
        }
        changed
    }
}

impl Default for Client {
    fn default() -> Self {
        Client {
            id: 0,
            name: String::new(),
            phone: String::new(),
            email: String::new(),
            company: String::new(),
            birth_date: None,
            created: Timestamp::UNIX_EPOCH,
            updated: Timestamp::UNIX_EPOCH,
        }
    }
}

/// Digits of a phone with a Russian 8 prefix read as 7: `8 (901) 222-33-55` → `79012223355`.
pub fn normalize_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() == 11 && digits.starts_with('8') {
        format!("7{}", &digits[1..])
    } else if digits.len() == 10 {
        format!("7{digits}")
    } else {
        digits
    }
}

/// A phone as people write it: `+7 916 123-45-67` for a Russian number, else as it was typed.
/// Stored phones keep what came; only the display is uniform.
pub fn display_phone(phone: &str) -> String {
    let digits = normalize_phone(phone);
    if digits.len() == 11 && digits.starts_with('7') {
        format!("+7 {} {}-{}-{}", &digits[1..4], &digits[4..7], &digits[7..9], &digits[9..11])
    } else {
        phone.trim().to_string()
    }
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalize() {
        assert_eq!(normalize_phone("8 (901) 222-33-55"), "79012223355");
        assert_eq!(normalize_phone("+7 901 222 33 55"), "79012223355");
        assert_eq!(normalize_phone("9012223355"), "79012223355");
    }

    #[test]
    fn call_tracking_leads_are_calls() {
        assert_eq!(Origin::of_proxy_lead("Звонок от 79991234567"), Origin::Call);
        assert_eq!(Origin::of_proxy_lead(" звонок с сайта"), Origin::Call);
        assert_eq!(Origin::of_proxy_lead("Пойманный лид"), Origin::ProxyLead);
    }

    #[test]
    fn phones_display_as_people_write_them() {
        assert_eq!(display_phone("79161234567"), "+7 916 123-45-67");
        assert_eq!(display_phone("8 (916) 123 45 67"), "+7 916 123-45-67");
        assert_eq!(display_phone(" +44 20 7946 0958 "), "+44 20 7946 0958", "a foreign number stays as typed");
        assert_eq!(display_phone(""), "");
    }

    #[test]
    fn copy_keeps_fields_and_drops_identity() {
        let mut lead = Lead {
            id: 5,
            number: 5,
            title: "Шаблон".into(),
            text: "Шаблон для выставки".into(),
            marker: Some(Marker::parse("seo_yandex").unwrap()),
            is_template: true,
            roistat_lead_id: Some("r1".into()),
            ..Lead::default()
        };
        lead.extra.insert("delivery".into(), "Курьер".into());
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let copy = lead.copy_as_new(now, Some(1));
        assert_eq!(copy.marker, lead.marker);
        assert_eq!(copy.extra, lead.extra);
        assert!(!copy.is_template);
        assert_eq!(copy.roistat_lead_id, None);
        assert_eq!(copy.created, now);
        assert_eq!(copy.status_id, Some(1));
        assert_eq!(copy.origin, Origin::TemplateCopy);
        assert_eq!(copy.text, "", "the template's own description stays with it");
        let plain = Lead { is_template: false, ..lead };
        assert_eq!(plain.copy_as_new(now, None).text, "Шаблон для выставки", "a copied lead keeps its text");
    }
}
