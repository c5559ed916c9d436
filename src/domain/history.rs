//! «История изменений»: who changed what, when and from where, field by field. The store writes an
//! entry in the same transaction as the change; these are the entry and the words it is made of.

use super::{ClientId, Lead, LeadEdit, LeadId, LeadValue, Money, Responsible, Status, User, responsible_title};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The author of what Roistat sent: new leads and their comments.
pub const AUTHOR_ROISTAT: &str = "Roistat";
/// The author of what the analytics load changed.
pub const AUTHOR_ANALYTICS_LOAD: &str = "Загрузка аналитики";
/// Where leads from Roistat come from.
pub const ORIGIN_INTAKE: &str = "приём заявок Roistat";

/// What an entry is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistoryObject {
    Lead {
        id: LeadId,
        number: u64,
    },
    Client(ClientId),
    Status(u64),
    ExtraField(u64),
    LeadSource(u64),
    AnalyticsSource(u64),
    User(u64),
    /// Settings by their key in the store.
    Settings(String),
    /// A channel's monthly plan by its key (`2026-12/direct`, see [`super::plan_key`]).
    Plan(String),
}

impl HistoryObject {
    /// The kind, as the store indexes it.
    pub fn kind(&self) -> &'static str {
        match self {
            HistoryObject::Lead { .. } => "lead",
            HistoryObject::Client(_) => "client",
            HistoryObject::Status(_) => "status",
            HistoryObject::ExtraField(_) => "extra_field",
            HistoryObject::LeadSource(_) => "lead_source",
            HistoryObject::AnalyticsSource(_) => "analytics_source",
            HistoryObject::User(_) => "user",
            HistoryObject::Settings(_) => "settings",
            HistoryObject::Plan(_) => "plan",
        }
    }

    /// The id within its kind (0 for settings and plans).
    pub fn id(&self) -> u64 {
        match self {
            HistoryObject::Lead { id, .. } => *id,
            HistoryObject::Client(id)
            | HistoryObject::Status(id)
            | HistoryObject::ExtraField(id)
            | HistoryObject::LeadSource(id)
            | HistoryObject::AnalyticsSource(id)
            | HistoryObject::User(id) => *id,
            HistoryObject::Settings(_) | HistoryObject::Plan(_) => 0,
        }
    }

    /// The key of an object named by text rather than an id (a plan's `2026-12/direct`).
    pub fn key(&self) -> Option<&str> {
        match self {
            HistoryObject::Plan(key) => Some(key),
            _ => None,
        }
    }

    /// For people: «Заявка № 12», «Статус (id 3)», «Настройки HTTP-сервиса».
    pub fn title(&self) -> String {
        match self {
            HistoryObject::Lead { number, .. } => format!("Заявка № {number}"),
            HistoryObject::Client(id) => format!("Клиент (id {id})"),
            HistoryObject::Status(id) => format!("Статус (id {id})"),
            HistoryObject::ExtraField(id) => format!("Доп. реквизит (id {id})"),
            HistoryObject::LeadSource(id) => format!("Источник получения заявок (id {id})"),
            HistoryObject::AnalyticsSource(id) => format!("Источник получения аналитики (id {id})"),
            HistoryObject::User(id) => format!("Пользователь (id {id})"),
            HistoryObject::Settings(key) if key.ends_with("telephony") => "Настройки телефонии".into(),
            HistoryObject::Settings(key) if key.ends_with("alerts") => "Настройки оповещений".into(),
            HistoryObject::Settings(_) => "Настройки HTTP-сервиса".into(),
            HistoryObject::Plan(key) => match key.split_once('/') {
                Some((month, channel)) => format!("План продаж на {month}, канал {channel}"),
                None => format!("План продаж {key}"),
            },
        }
    }
}

/// One field: its name and its value before and after, as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

impl FieldChange {
    pub fn new(field: impl Into<String>, from: impl Into<String>, to: impl Into<String>) -> FieldChange {
        FieldChange { field: field.into(), from: from.into(), to: to.into() }
    }
}

/// One change: the store gives the id (ascending in the order of writing) and the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: u64,
    pub at: Timestamp,
    /// A login, or [`AUTHOR_ROISTAT`], [`AUTHOR_ANALYTICS_LOAD`].
    pub author: String,
    /// Where from: the window, the command line, the service…
    pub origin: String,
    pub object: HistoryObject,
    pub changes: Vec<FieldChange>,
}

/// Which entries to read: all given conditions hold; newest first, at most `limit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryFilter {
    pub lead: Option<LeadId>,
    /// An object of any kind (a lead too).
    pub object: Option<HistoryObject>,
    /// Objects of one kind ([`HistoryObject::kind`]).
    pub kind: Option<String>,
    /// By one author.
    pub author: Option<String>,
    /// At or after this moment.
    pub since: Option<Timestamp>,
    /// Only entries with smaller ids: the next page after the last entry shown.
    pub before_id: Option<u64>,
    pub limit: usize,
}

impl Default for HistoryFilter {
    fn default() -> Self {
        HistoryFilter { lead: None, object: None, kind: None, author: None, since: None, before_id: None, limit: 200 }
    }
}

impl HistoryFilter {
    pub fn matches(&self, entry: &HistoryEntry) -> bool {
        let same =
            |a: &HistoryObject, b: &HistoryObject| a.kind() == b.kind() && a.id() == b.id() && a.key() == b.key();
        self.lead.is_none_or(|id| same(&entry.object, &HistoryObject::Lead { id, number: 0 }))
            && self.object.as_ref().is_none_or(|o| same(&entry.object, o))
            && self.kind.as_deref().is_none_or(|kind| entry.object.kind() == kind)
            && self.author.as_deref().is_none_or(|author| entry.author == author)
            && self.since.is_none_or(|since| entry.at >= since)
            && self.before_id.is_none_or(|before| entry.id < before)
    }
}

/// A day as people type it: ДД.ММ.ГГГГ or ГГГГ-ММ-ДД.
pub fn parse_day(text: &str) -> std::result::Result<jiff::civil::Date, String> {
    let text = text.trim();
    let parsed = match text.split('.').collect::<Vec<_>>()[..] {
        [d, m, y] => match (d.parse(), m.parse(), y.parse()) {
            (Ok(d), Ok(m), Ok(y)) => jiff::civil::Date::new(y, m, d).ok(),
            _ => None,
        },
        _ => text.parse().ok(),
    };
    parsed.ok_or_else(|| format!("«{text}» — не дата: укажите ДД.ММ.ГГГГ или ГГГГ-ММ-ДД"))
}

/// Who made a change and from where; the store adds the time and the id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    pub author: String,
    pub origin: String,
}

/// The names a lead's values are shown with: statuses, sources, fields, people.
pub trait CatalogNames {
    fn status_name(&self, id: Option<u64>) -> String;
    fn source_name(&self, id: Option<u64>) -> String;
    fn field_name(&self, dev_name: &str) -> String;
    fn responsible_title(&self, responsible: Option<Responsible>) -> String;
}

/// [`CatalogNames`] read from the store's catalog.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub statuses: HashMap<u64, String>,
    pub sources: HashMap<u64, String>,
    pub fields: HashMap<String, String>,
    pub users: Vec<User>,
}

impl Names {
    pub fn new(
        statuses: &[Status],
        sources: &[super::LeadSource],
        fields: &[super::ExtraField],
        users: Vec<User>,
    ) -> Names {
        Names {
            statuses: statuses.iter().map(|s| (s.id, s.name.clone())).collect(),
            sources: sources.iter().map(|s| (s.id, s.name.clone())).collect(),
            fields: fields.iter().map(|f| (f.dev_name.clone(), f.name.clone())).collect(),
            users,
        }
    }
}

impl CatalogNames for Names {
    fn status_name(&self, id: Option<u64>) -> String {
        id.map(|id| self.statuses.get(&id).cloned().unwrap_or_else(|| format!("статус {id}"))).unwrap_or_default()
    }
    fn source_name(&self, id: Option<u64>) -> String {
        id.map(|id| self.sources.get(&id).cloned().unwrap_or_else(|| format!("источник {id}"))).unwrap_or_default()
    }
    fn field_name(&self, dev_name: &str) -> String {
        self.fields.get(dev_name).cloned().unwrap_or_else(|| dev_name.to_string())
    }
    fn responsible_title(&self, responsible: Option<Responsible>) -> String {
        responsible_title(responsible, &self.users)
    }
}

/// Whether showing `value` needs names from the catalog.
pub fn needs_names(edits: &[LeadEdit]) -> bool {
    edits.iter().any(|e| {
        matches!(
            e,
            LeadEdit::Set {
                now: LeadValue::Status(_) | LeadValue::LeadSource(_) | LeadValue::Responsible(_) | LeadValue::Extra(..),
                ..
            }
        )
    })
}

/// A lead field's name and its value as text, in the words the lead form uses.
pub fn describe(value: &LeadValue, names: &dyn CatalogNames) -> (String, String) {
    let empty = |text: String| if text.trim().is_empty() { "—".to_string() } else { text };
    let money = |m: &Money| if *m == Money::ZERO { "—".to_string() } else { m.to_string() };
    let yes_no = |b: &bool| if *b { "Да" } else { "Нет" }.to_string();
    let joined = |parts: &[&String]| {
        empty(parts.iter().filter(|p| !p.is_empty()).map(|p| p.as_str()).collect::<Vec<_>>().join(" / "))
    };
    match value {
        LeadValue::Title(v) => ("Наименование".into(), empty(v.clone())),
        LeadValue::Text(v) => ("Описание".into(), empty(v.clone())),
        LeadValue::Client(v) => ("Клиент".into(), v.map(|id| format!("клиент с id {id}")).unwrap_or("—".into())),
        LeadValue::Status(v) => ("Статус".into(), empty(names.status_name(*v))),
        LeadValue::Price(v) => ("Выручка, руб.".into(), money(v)),
        LeadValue::Cost(v) => ("Себестоимость, руб.".into(), money(v)),
        LeadValue::Marker(v) => ("Roistat маркер".into(), v.as_ref().map(|m| m.to_string()).unwrap_or("—".into())),
        LeadValue::LeadSource(v) => ("Источник получения заявок".into(), empty(names.source_name(*v))),
        LeadValue::Responsible(v) => ("Ответственный".into(), names.responsible_title(*v)),
        LeadValue::Extra(name, v) => (names.field_name(name), empty(v.clone().unwrap_or_default())),
        LeadValue::Utm(u) => ("UTM".into(), joined(&[&u.source, &u.medium, &u.campaign, &u.content, &u.term])),
        LeadValue::Attraction(a) => {
            ("Канал / источник / кампания".into(), joined(&[&a.channel, &a.source, &a.campaign]))
        }
        LeadValue::Origin(v) => ("Происхождение".into(), v.title().to_string()),
        LeadValue::Template(v) => ("Шаблон".into(), yes_no(v)),
        LeadValue::Deleted(v) => ("Помечена на удаление".into(), yes_no(v)),
        LeadValue::Task(_, task) => (
            "Задача".into(),
            task.as_ref()
                .map(|t| format!("{}{}", t.text, if t.done { " (выполнена)" } else { "" }))
                .unwrap_or("удалена".into()),
        ),
    }
}

/// What `edits` changed of `old`: each field from its stored value to the new one, and what was
/// appended.
pub fn lead_changes(old: &Lead, edits: &[LeadEdit], names: &dyn CatalogNames) -> Vec<FieldChange> {
    edits
        .iter()
        .filter_map(|edit| match edit {
            LeadEdit::Set { now, .. } => {
                let (field, from) = describe(&now.read_from(old), names);
                let (_, to) = describe(now, names);
                (from != to).then(|| FieldChange::new(field, from, to))
            }
            LeadEdit::AddComment(c) => {
                let text = if c.title.is_empty() { c.text.clone() } else { format!("{}: {}", c.title, c.text) };
                Some(FieldChange::new("Комментарий", "", text))
            }
            LeadEdit::AddTask(t) => Some(FieldChange::new("Задача", "", t.text.clone())),
            LeadEdit::AttachCall(id) => Some(FieldChange::new("Звонок", "", format!("звонок с id {id}"))),
        })
        .collect()
}

/// What a new lead's entry says.
pub fn lead_created(lead: &Lead) -> Vec<FieldChange> {
    let mut changes = vec![FieldChange::new("Заявка", "", "создана")];
    if !lead.title.trim().is_empty() {
        changes.push(FieldChange::new("Наименование", "", lead.title.clone()));
    }
    changes
}

/// The entry of a new lead.
pub fn lead_created_entry(lead: &Lead, actor: &Actor, at: Timestamp) -> HistoryEntry {
    HistoryEntry {
        id: 0,
        at,
        author: actor.author.clone(),
        origin: actor.origin.clone(),
        object: HistoryObject::Lead { id: lead.id, number: lead.number },
        changes: lead_created(lead),
    }
}

/// Keys of records and settings whose values are never shown.
fn is_secret(key: &str) -> bool {
    matches!(key, "password" | "secret" | "api_key" | "token" | "key")
        || key.ends_with("_token")
        || key.ends_with("_password")
}

/// The Russian name of a record's or a setting's field; the key itself where there is none.
fn field_title(key: &str) -> String {
    let title = match key {
        "name" => "Наименование",
        "group" => "Группа",
        "order" => "Порядок",
        "dev_name" => "Имя для разработчика",
        "kind" => "Тип",
        "service" => "Служебный",
        "role" => "Роль",
        "phone" => "Телефон",
        "email" => "E-mail",
        "login" => "Логин",
        "password" => "Пароль",
        "secret" => "Секрет",
        "api_key" => "API-ключ",
        "project" => "Проект",
        "enabled" => "Включён",
        "listen" => "Адрес и порт",
        "external_address" => "Внешний адрес для Roistat",
        "publication" => "Публикация",
        "anonymous" => "Без авторизации",
        "provider" => "Провайдер",
        "address" => "Адрес",
        "interval_minutes" => "Интервал загрузки, мин",
        "last_start" => "Последний запуск",
        "last_success" => "Последняя успешная загрузка",
        "last_error" => "Последняя ошибка",
        "facts_loaded" => "Загружено строк",
        _ => return key.to_string(),
    };
    title.to_string()
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) if s.is_empty() => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "Да".into(),
        serde_json::Value::Bool(false) => "Нет".into(),
        other => other.to_string(),
    }
}

/// The fields that differ between two versions of a record or of settings (`None`: it did not
/// exist, or was deleted). Secrets show only as «изменён».
pub fn record_changes<T: Serialize>(old: Option<&T>, new: Option<&T>) -> Vec<FieldChange> {
    let object = |v: Option<&T>| match v.map(serde_json::to_value) {
        Some(Ok(serde_json::Value::Object(map))) => map,
        _ => serde_json::Map::new(),
    };
    let (old, new) = (object(old), object(new));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).filter(|k| k.as_str() != "id").collect();
    keys.sort();
    keys.dedup();
    let null = serde_json::Value::Null;
    keys.into_iter()
        .filter_map(|key| {
            let (a, b) = (old.get(key).unwrap_or(&null), new.get(key).unwrap_or(&null));
            if a == b {
                return None;
            }
            let (from, to) = if is_secret(key) {
                (String::new(), "изменён".to_string())
            } else {
                (value_text(a), value_text(b))
            };
            Some(FieldChange::new(field_title(key), from, to))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Comment, ServiceSettings};

    #[test]
    fn a_lead_edit_shows_the_stored_value_and_the_new_one_with_names() {
        let old = Lead { id: 1, number: 1, title: "Окна".into(), status_id: Some(1), ..Lead::default() };
        let names = Names {
            statuses: HashMap::from([(1, "Новая".to_string()), (2, "В работе".to_string())]),
            ..Names::default()
        };
        let edits = vec![
            LeadEdit::set(&old, LeadValue::Status(Some(2))),
            LeadEdit::set(&old, LeadValue::Title("Окна".into())),
            LeadEdit::AddComment(Comment {
                at: Timestamp::UNIX_EPOCH,
                title: String::new(),
                text: "перезвонить".into(),
                from_roistat: false,
            }),
        ];
        assert_eq!(
            lead_changes(&old, &edits, &names),
            vec![FieldChange::new("Статус", "Новая", "В работе"), FieldChange::new("Комментарий", "", "перезвонить")]
        );
    }

    #[test]
    fn settings_changes_never_show_a_secret() {
        let old = ServiceSettings {
            password: crate::domain::Secret::new("старый-пароль"),
            ..ServiceSettings::default()
        };
        let new = ServiceSettings {
            password: crate::domain::Secret::new("новый-пароль"),
            login: "roistat".into(),
            ..old.clone()
        };
        let changes = record_changes(Some(&old), Some(&new));
        assert!(changes.contains(&FieldChange::new("Пароль", "", "изменён")), "{changes:?}");
        assert!(changes.iter().any(|c| c.field == "Логин" && c.to == "roistat"));
        let text = format!("{changes:?}");
        assert!(!text.contains("пароль"), "{text}");
    }
}
