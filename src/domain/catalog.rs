//! Reference data: statuses, extra fields, users and roles, lead and analytics sources, telephony.

use super::Secret;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How a status counts in the funnel and in Roistat's status distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusGroup {
    #[default]
    InWork,
    Paid,
    Cancelled,
    NotCounted,
}

impl StatusGroup {
    pub const ALL: [StatusGroup; 4] =
        [StatusGroup::InWork, StatusGroup::Paid, StatusGroup::Cancelled, StatusGroup::NotCounted];
    pub fn title(self) -> &'static str {
        match self {
            StatusGroup::InWork => "В работе",
            StatusGroup::Paid => "Оплачен",
            StatusGroup::Cancelled => "Отменён",
            StatusGroup::NotCounted => "Не учитывается",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub id: u64,
    pub name: String,
    pub group: StatusGroup,
    /// Sort order in lists and in `import_scheme`.
    pub order: i32,
}

/// The default statuses created on the first contact with Roistat.
pub fn default_statuses() -> Vec<(&'static str, StatusGroup)> {
    vec![
        ("Новая", StatusGroup::InWork),
        ("В работе", StatusGroup::InWork),
        ("Оплачена", StatusGroup::Paid),
        ("Отменена", StatusGroup::Cancelled),
    ]
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldKind {
    /// Roistat passes every value as a string, so only text is allowed.
    #[default]
    Text,
}

/// An extra field (доп. реквизит). Sync goes by `dev_name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraField {
    pub id: u64,
    /// Display name.
    pub name: String,
    /// «Имя для разработчиков»: the key in Roistat's `data` and in `export`.
    pub dev_name: String,
    #[serde(default)]
    pub kind: FieldKind,
    /// Created by skvoz for Roistat's ids; read-only in the editor.
    #[serde(default)]
    pub service: bool,
}

/// Developer name of the field that holds the Roistat marker.
pub const MARKER_FIELD: &str = "roistat";

/// Service and UTM fields created when «Использовать сквозную аналитику» is on.
pub fn required_fields() -> Vec<(&'static str, &'static str, bool)> {
    vec![
        (MARKER_FIELD, "Roistat маркер", true),
        ("roistat_lead_id", "Идентификатор заявки Roistat", true),
        ("roistat_manager_id", "Идентификатор менеджера Roistat", true),
        ("utm_source", "utm_source", false),
        ("utm_medium", "utm_medium", false),
        ("utm_campaign", "utm_campaign", false),
    ]
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DevNameError {
    #[error("Имя для разработчиков обязательно: по нему идёт синхронизация с Roistat")]
    Empty,
    #[error(
        "Имя для разработчиков должно начинаться с латинской буквы и содержать только латинские буквы, цифры и «_»"
    )]
    Invalid,
    #[error("Имя для разработчиков «{0}» уже занято другим реквизитом")]
    Duplicate(String),
}

/// A developer name: an ASCII identifier, since it travels in URLs and JSON keys.
pub fn validate_dev_name(name: &str) -> Result<(), DevNameError> {
    let mut chars = name.chars();
    match chars.next() {
        None => Err(DevNameError::Empty),
        Some(first) if !first.is_ascii_alphabetic() => Err(DevNameError::Invalid),
        Some(_) if chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && name.len() <= 64 => Ok(()),
        Some(_) => Err(DevNameError::Invalid),
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    #[default]
    Marketer,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Marketer, Role::Manager, Role::Admin];
    pub fn title(self) -> &'static str {
        match self {
            Role::Marketer => "Маркетолог",
            Role::Manager => "Менеджер",
            Role::Admin => "Администратор",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub role: Role,
    pub phone: String,
    pub email: String,
}

impl Default for User {
    fn default() -> Self {
        User { id: 0, name: String::new(), role: Role::Manager, phone: String::new(), email: String::new() }
    }
}

/// Ответственный: a user or a whole role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Responsible {
    User(u64),
    Role(Role),
}

/// «Петров Сергей», «Роль: Менеджер» or «Не указан», as lists and forms show a responsible.
pub fn responsible_title(responsible: Option<Responsible>, users: &[User]) -> String {
    match responsible {
        None => "Не указан".into(),
        Some(Responsible::Role(role)) => format!("Роль: {}", role.title()),
        Some(Responsible::User(id)) => {
            users.iter().find(|u| u.id == id).map(|u| u.name.clone()).unwrap_or_else(|| format!("Пользователь {id}"))
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadSourceKind {
    #[default]
    CallTracking,
}

impl LeadSourceKind {
    pub fn title(self) -> &'static str {
        "Call-трекинг"
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadSourceType {
    #[default]
    Roistat,
}

impl LeadSourceType {
    pub fn title(self) -> &'static str {
        "Roistat"
    }
}

/// Источник получения заявок.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadSource {
    pub id: u64,
    pub name: String,
    pub kind: LeadSourceKind,
    pub source_type: LeadSourceType,
    pub responsible: Option<Responsible>,
    pub use_calls: bool,
    pub use_leads: bool,
    /// «Адрес публикации сервисов», e.g. `https://crm.example.ru/crm_httpAnalytics`.
    pub publication_address: String,
    pub api_key: Secret,
}

/// The lead source Roistat's proxy leads arrive through: the first Roistat source with
/// «Использовать заявки», else the first Roistat source at all.
pub fn roistat_lead_source(sources: &[LeadSource]) -> Option<&LeadSource> {
    let roistat = || sources.iter().filter(|s| s.source_type == LeadSourceType::Roistat);
    roistat().find(|s| s.use_leads).or_else(|| roistat().next())
}

/// Who gets a new lead: the source's user, or the people of its role in turn (`turn` counts the
/// leads handed out so far). A role nobody has stays a role.
pub fn assign_responsible(responsible: Option<Responsible>, users: &[User], turn: &mut usize) -> Option<Responsible> {
    let Some(Responsible::Role(role)) = responsible else { return responsible };
    let mut people: Vec<&User> = users.iter().filter(|u| u.role == role).collect();
    if people.is_empty() {
        return responsible;
    }
    people.sort_by_key(|u| u.id);
    let person = people[*turn % people.len()];
    *turn = turn.wrapping_add(1);
    Some(Responsible::User(person.id))
}

/// «Адрес сервиса Roistat» from the publication address.
pub fn roistat_service_address(publication_address: &str) -> String {
    format!("{}/hs/analytics", publication_address.trim_end_matches('/'))
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("Укажите адрес публикации, например https://crm.example.ru/crm_httpAnalytics")]
    Empty,
    #[error("Адрес должен начинаться с http:// или https://")]
    Scheme,
    #[error("В адресе нет имени сервера: http://сервер[:порт]/имя")]
    Host,
    #[error("Порт в адресе должен быть числом от 1 до 65535")]
    Port,
    #[error("После сервера укажите имя публикации: http://сервер[:порт]/имя")]
    Name,
    #[error("Адрес не может содержать пробелы, «?» или «#»")]
    Chars,
}

/// Checks `http(s)://host[:port]/name`.
pub fn validate_publication_address(address: &str) -> Result<(), AddressError> {
    let address = address.trim();
    if address.is_empty() {
        return Err(AddressError::Empty);
    }
    if address.chars().any(|c| c.is_whitespace() || c == '?' || c == '#') {
        return Err(AddressError::Chars);
    }
    let rest =
        address.strip_prefix("http://").or_else(|| address.strip_prefix("https://")).ok_or(AddressError::Scheme)?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(AddressError::Host);
    }
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return Err(AddressError::Port),
        }
    }
    let name = path.trim_end_matches('/');
    if name.is_empty() || name.split('/').any(str::is_empty) {
        return Err(AddressError::Name);
    }
    Ok(())
}

/// The state of one run of a check or a load, kept for the screens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub at: Timestamp,
    pub ok: bool,
    pub message: String,
}

/// Telephony settings (Телефония); the traffic light reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Telephony {
    pub provider: String,
    pub address: String,
    pub login: String,
    pub secret: Secret,
    pub last_check: Option<CheckResult>,
}

/// The telephony traffic light next to «Использовать звонки».
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Light {
    Green,
    Amber,
    Red,
}

impl Telephony {
    pub fn is_set_up(&self) -> bool {
        !self.provider.trim().is_empty() && !self.address.trim().is_empty()
    }
    pub fn light(&self) -> Light {
        match (self.is_set_up(), &self.last_check) {
            (false, _) => Light::Red,
            (true, Some(check)) if check.ok => Light::Green,
            (true, _) => Light::Amber,
        }
    }
}

/// Источник получения аналитики: one Roistat project loaded on a schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsSource {
    pub id: u64,
    pub name: String,
    pub api_key: Secret,
    pub project: String,
    /// Empty means Roistat's cloud.
    pub api_base: String,
    /// «Часовой пояс проекта» (an IANA name): Roistat counts days in the zone of the period it is
    /// sent, so periods go in the project's own zone.
    pub time_zone: String,
    pub interval_minutes: u32,
    pub history_days: u32,
    pub reload_days: u32,
    pub enabled: bool,
    pub last_start: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_error: Option<String>,
    pub facts_loaded: u64,
    /// Our figures the project has no metric for (e.g. «Звонки» without call tracking), as the last
    /// load found them: shown as «нет в проекте», read as zero.
    pub missing_metrics: Vec<String>,
    /// «Сверка с Roistat»: the last match of Roistat's proxy leads with ours.
    pub reconciliation: Option<super::Reconciliation>,
}

pub const DEFAULT_API_BASE: &str = "https://cloud.roistat.com/api/v1";
/// Roistat's own default zone for a project.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Moscow";

impl Default for AnalyticsSource {
    fn default() -> Self {
        AnalyticsSource {
            id: 0,
            name: String::new(),
            api_key: Secret::default(),
            project: String::new(),
            api_base: String::new(),
            time_zone: DEFAULT_TIME_ZONE.to_string(),
            interval_minutes: 60,
            history_days: 180,
            reload_days: 14,
            enabled: true,
            last_start: None,
            last_success: None,
            last_error: None,
            facts_loaded: 0,
            missing_metrics: Vec::new(),
            reconciliation: None,
        }
    }
}

impl AnalyticsSource {
    /// The job's name as 1C shows it.
    pub fn job_name(&self) -> String {
        format!("Загрузка сквозной аналитики Roistat. Сценарий: {}", self.name)
    }
    pub fn api_base_or_default(&self) -> &str {
        if self.api_base.trim().is_empty() { DEFAULT_API_BASE } else { self.api_base.trim() }
    }
    /// Whether the schedule says it is time for a load.
    pub fn is_due(&self, now: Timestamp) -> bool {
        if !self.enabled {
            return false;
        }
        match self.last_start {
            None => true,
            Some(start) => now.as_second() - start.as_second() >= i64::from(self.interval_minutes.max(1)) * 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publication_addresses() {
        assert_eq!(validate_publication_address("http://crm.example.ru:8085/crm_httpAnalytics"), Ok(()));
        assert_eq!(validate_publication_address("https://crm.example.ru/base"), Ok(()));
        assert_eq!(validate_publication_address("ftp://x/y"), Err(AddressError::Scheme));
        assert_eq!(validate_publication_address("http://x:99999/y"), Err(AddressError::Port));
        assert_eq!(validate_publication_address("http://x"), Err(AddressError::Name));
        assert_eq!(validate_publication_address("http:///y"), Err(AddressError::Host));
        assert_eq!(validate_publication_address("http://x/a b"), Err(AddressError::Chars));
        assert_eq!(
            roistat_service_address("http://crm.example.ru/crm_httpAnalytics/"),
            "http://crm.example.ru/crm_httpAnalytics/hs/analytics"
        );
    }

    #[test]
    fn a_role_hands_leads_to_its_people_in_turn() {
        let users = [
            User { id: 5, name: "Петров".into(), role: Role::Manager, ..User::default() },
            User { id: 2, name: "Иванова".into(), role: Role::Manager, ..User::default() },
            User { id: 9, name: "Админ".into(), role: Role::Admin, ..User::default() },
        ];
        let mut turn = 0;
        let role = Some(Responsible::Role(Role::Manager));
        let given: Vec<_> = (0..3).map(|_| assign_responsible(role, &users, &mut turn)).collect();
        assert_eq!(given, [Some(Responsible::User(2)), Some(Responsible::User(5)), Some(Responsible::User(2))]);
        let one = Some(Responsible::User(9));
        assert_eq!(assign_responsible(one, &users, &mut turn), one);
        let nobody = Some(Responsible::Role(Role::Marketer));
        assert_eq!(assign_responsible(nobody, &users, &mut turn), nobody);
        assert_eq!(assign_responsible(None, &users, &mut turn), None);
    }

    #[test]
    fn dev_names() {
        assert_eq!(validate_dev_name("utm_source"), Ok(()));
        assert_eq!(validate_dev_name(""), Err(DevNameError::Empty));
        assert_eq!(validate_dev_name("1abc"), Err(DevNameError::Invalid));
        assert_eq!(validate_dev_name("доставка"), Err(DevNameError::Invalid));
    }

    #[test]
    fn traffic_light() {
        let mut t = Telephony::default();
        assert_eq!(t.light(), Light::Red);
        t.provider = "Mango".into();
        t.address = "https://pbx.example.ru".into();
        assert_eq!(t.light(), Light::Amber);
        t.last_check =
            Some(CheckResult { at: Timestamp::UNIX_EPOCH, ok: false, message: "нет ответа".into() });
        assert_eq!(t.light(), Light::Amber);
        t.last_check = Some(CheckResult { at: Timestamp::UNIX_EPOCH, ok: true, message: "OK".into() });
        assert_eq!(t.light(), Light::Green);
    }
}
