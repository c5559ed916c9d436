//! The admin screens' background work: network checks, Roistat projects, the reconciliation,
//! backup and restore, and the exchange log's reads. Each [`AdminCommand`] is answered by one
//! [`AdminEvent`] through the window's one event channel.

use crate::domain::{
    AlertSettings, AnalyticsSource, CheckResult, ExchangeEntry, ExchangeFilter, ExtraField, LeadSource, Secret,
    ServiceSettings, Status, Telephony, User,
};
use crate::roistat::{ClientConfig, Project, RoistatClient};
use crate::store::{Person, Store, StoreError, TeamRole};
use jiff::civil::Date;
use std::path::PathBuf;

/// Rows of the exchange log read at once.
pub const EXCHANGE_PAGE: usize = 500;

#[derive(Clone, Debug)]
pub enum AdminCommand {
    /// «Проверить» on the settings screen: a GET of the published URL (`url` carries the token,
    /// `shown` is what a message may name).
    CheckService {
        url: String,
        shown: String,
    },
    /// «Проверить подключение» of a lead source: the service at the address Roistat is given
    /// (`ServiceSettings::roistat_url`), with the service's login; and the source's API key, where
    /// one is typed, by Roistat's cheapest authenticated call (the key's projects).
    CheckLeadSource {
        api_base: String,
        api_key: Secret,
    },
    /// «Проверить» of the telephony: saves the form, checks the PBX at its address and stores
    /// the outcome with the settings.
    CheckTelephony(Box<Telephony>),
    /// «Проверить» of «Оповещения»: saves the settings and sends a test message over every
    /// enabled channel.
    TestAlerts(Box<AlertSettings>),
    /// The projects a Roistat API key sees.
    Projects {
        api_base: String,
        api_key: Secret,
        project: String,
    },
    /// «Сверить сейчас» for an analytics source.
    Reconcile {
        source_id: u64,
        from: Date,
        to: Date,
    },
    /// «Создать заявку» for a lead Roistat has and we do not.
    CreateMissing {
        source_id: u64,
        roistat_id: String,
    },
    /// «Создать реквизит …» in the exchange log: a text extra field with this developer name
    /// (and as its name), unless one exists.
    CreateField(String),
    Backup(PathBuf),
    Restore(PathBuf),
    Exchange(ExchangeRead),
    /// A page of «История изменений»; answered by [`AdminEvent::History`].
    History(crate::domain::HistoryFilter),
    /// What a form shows; answered by [`AdminEvent::Loaded`].
    Load(AdminForm),
    /// A save or a deletion of a form; answered by [`AdminEvent::Written`].
    Write(AdminWrite),
    /// The people of a team database: a change (or none), answered with the list as it is then.
    People(PeopleChange),
}

/// What the team database's «Пользователи» asks for. Passwords go to the store only, which sends
/// PostgreSQL a verifier, never the password.
#[derive(Clone, Debug)]
pub enum PeopleChange {
    List,
    Add { login: String, role: TeamRole, name: String, password: Secret },
    SetRole { login: String, role: TeamRole },
    Password { login: String, password: Secret },
    Enabled { login: String, enabled: bool },
}

/// The admin forms that read from and write to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminForm {
    LeadSources,
    Telephony,
    Analytics,
    Settings,
    Catalog,
    Users,
    Alerts,
}

/// What a form saves or deletes.
#[derive(Clone, Debug)]
pub enum AdminWrite {
    LeadSource(Box<LeadSource>),
    DeleteLeadSource(u64),
    /// `then_load`: «Сохранить и загрузить» / «Загрузить сейчас».
    AnalyticsSource {
        source: Box<AnalyticsSource>,
        then_load: bool,
    },
    DeleteAnalyticsSource(u64),
    Telephony(Box<Telephony>),
    User(User),
    /// `restart`: the listen address changed, the service starts again there.
    ServiceSettings {
        settings: Box<ServiceSettings>,
        restart: bool,
    },
    /// «Использовать сквозную аналитику»: on creates the service fields and statuses.
    Analytics(bool),
    /// The statuses in their new order (only those whose number changed).
    StatusOrder(Vec<Status>),
    Status(Status),
    /// Whether a status can be deleted: how many leads have it.
    AskDeleteStatus(Status),
    DeleteStatus(Status),
    ExtraField(ExtraField),
    DeleteExtraField(u64),
    AlertSettings(Box<AlertSettings>),
}

impl AdminWrite {
    fn form(&self) -> AdminForm {
        match self {
            AdminWrite::LeadSource(_) | AdminWrite::DeleteLeadSource(_) => AdminForm::LeadSources,
            AdminWrite::AnalyticsSource { .. } | AdminWrite::DeleteAnalyticsSource(_) => AdminForm::Analytics,
            AdminWrite::Telephony(_) => AdminForm::Telephony,
            AdminWrite::User(_) => AdminForm::Users,
            AdminWrite::ServiceSettings { .. } => AdminForm::Settings,
            AdminWrite::AlertSettings(_) => AdminForm::Alerts,
            AdminWrite::Analytics(_)
            | AdminWrite::StatusOrder(_)
            | AdminWrite::Status(_)
            | AdminWrite::AskDeleteStatus(_)
            | AdminWrite::DeleteStatus(_)
            | AdminWrite::ExtraField(_)
            | AdminWrite::DeleteExtraField(_) => AdminForm::Catalog,
        }
    }
}

/// What «Проверить подключение» of a lead source found, part by part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadSourceCheck {
    /// The service: the address that answered, or why it did not.
    pub service: Result<String, String>,
    /// The API key: how many projects Roistat shows for it, or why it refused; `None`: no key typed.
    pub key: Option<Result<usize, String>>,
}

/// What a form shows.
#[derive(Debug)]
pub enum AdminData {
    /// The sources, the telephony, and the address Roistat is given (with why it cannot reach it).
    LeadSources {
        list: Vec<LeadSource>,
        telephony: Telephony,
        roistat_url: String,
        reach_problem: Option<String>,
    },
    Telephony(Telephony),
    Analytics(Vec<AnalyticsSource>),
    Settings(Box<ServiceSettings>),
    /// Extra fields (service ones first, by name), statuses in their order, and the switch.
    Catalog {
        fields: Vec<ExtraField>,
        statuses: Vec<Status>,
        analytics_enabled: bool,
    },
    Alerts(Box<AlertSettings>),
}

/// What a write did.
#[derive(Debug)]
pub enum Written {
    LeadSource(Box<LeadSource>),
    LeadSourceDeleted,
    AnalyticsSource {
        source: Box<AnalyticsSource>,
        then_load: bool,
    },
    AnalyticsSourceDeleted,
    Telephony,
    User,
    ServiceSettings {
        restart: bool,
        listen: String,
    },
    /// The switch is set; with it on, `created` missing fields and statuses were made.
    Analytics {
        enabled: bool,
        created: usize,
    },
    StatusOrder,
    Status,
    StatusUseCount {
        status: Status,
        count: u64,
    },
    StatusDeleted(Status),
    ExtraField,
    ExtraFieldDeleted,
    AlertSettings,
}

/// A read of the exchange log; `generation` tells answers to an older filter apart.
#[derive(Clone, Debug)]
pub enum ExchangeRead {
    /// The newest page that passes the filter, shown while the pass runs.
    First { generation: u64, filter: ExchangeFilter },
    /// The pass over the whole log.
    Scan { generation: u64, filter: ExchangeFilter },
    /// Entries of rows in view.
    Page { generation: u64, ids: Vec<u64> },
    /// Entries logged after `after`.
    Fresh { generation: u64, after: u64, filter: ExchangeFilter },
}

/// What the pass over the log found.
#[derive(Debug)]
pub struct ExchangeIds {
    /// Ids of the entries the filter lets through, newest first.
    pub ids: Vec<u64>,
    /// Every action in the log, sorted.
    pub actions: Vec<String>,
    /// The newest id the pass saw.
    pub newest: u64,
    /// Entries the log keeps.
    pub total: usize,
}

/// Entries that arrived after the last pass.
#[derive(Debug)]
pub struct Fresh {
    /// The newest id read.
    pub newest: u64,
    /// Ids of the new entries the filters let through, newest first.
    pub ids: Vec<u64>,
    /// The newest of those entries, at most a page (after a long absence there may be many).
    pub entries: Vec<ExchangeEntry>,
    /// Actions of all the new entries.
    pub actions: Vec<String>,
    /// The oldest id the log still keeps: older rows were dropped above its capacity.
    pub oldest: Option<u64>,
    /// Entries the log keeps.
    pub total: usize,
}

/// What the exchange log's reads bring back.
#[derive(Debug)]
pub enum Loaded {
    Scan {
        generation: u64,
        result: Result<ExchangeIds, String>,
    },
    First {
        generation: u64,
        result: Result<Vec<ExchangeEntry>, String>,
    },
    Page {
        generation: u64,
        asked: Vec<u64>,
        entries: Vec<ExchangeEntry>,
    },
    Fresh {
        generation: u64,
        result: Result<Fresh, String>,
    },
    /// A read of rows failed; they are read again on the next frame.
    Failed {
        generation: u64,
        asked: Vec<u64>,
        error: String,
    },
}

/// The answers to [`AdminCommand`]s.
#[derive(Debug)]
pub enum AdminEvent {
    ServiceChecked(Result<(), String>),
    LeadSourceChecked(LeadSourceCheck),
    TelephonyChecked(Result<CheckResult, String>),
    /// Per enabled channel its title and, if it failed, why; or why nothing could be sent.
    AlertsTested(Result<Vec<super::control::DeliveryOutcome>, String>),
    Projects(Result<Vec<Project>, String>),
    /// The reconciliation or the creation of a missing lead finished (its result is in the store).
    Reconciled(Result<String, String>),
    Exchange(Loaded),
    /// The developer name of the field «Создать реквизит …» made (or found), or why not.
    FieldCreated(Result<String, String>),
    History {
        filter: crate::domain::HistoryFilter,
        result: Result<Vec<crate::domain::HistoryEntry>, String>,
    },
    /// What a backup wrote or a restore read, or why not.
    Backup(Result<String, String>),
    Loaded {
        form: AdminForm,
        result: Result<AdminData, String>,
    },
    Written {
        form: AdminForm,
        result: Result<Written, String>,
    },
    /// The people after a [`PeopleChange`], with what was done (or why not).
    People {
        done: Result<String, String>,
        people: Result<Vec<Person>, String>,
    },
}

/// One change of the people; says what was done.
async fn change_people(store: &Store, change: PeopleChange) -> Result<String, StoreError> {
    Ok(match change {
        PeopleChange::List => String::new(),
        PeopleChange::Add { login, role, name, password } => {
            let person = store.add_person(&login, role, &name, &password).await?;
            format!("Добавлен {} ({}), вход «{}»", person.display_name(), role.title(), person.login)
        }
        PeopleChange::SetRole { login, role } => {
            store.set_person_role(&login, role).await?;
            format!("«{login}»: роль — {}", role.title())
        }
        PeopleChange::Password { login, password } => {
            store.set_person_password(&login, &password).await?;
            format!("«{login}»: пароль изменён")
        }
        PeopleChange::Enabled { login, enabled } => {
            store.set_person_enabled(&login, enabled).await?;
            format!("«{login}»: {}", if enabled { "вход разрешён" } else { "вход запрещён" })
        }
    })
}

pub(super) async fn run(store: Store, command: AdminCommand) -> AdminEvent {
    match command {
        AdminCommand::CheckService { url, shown } => {
            // The message names the address, never the token.
            let result = crate::service::check_published(&url).await;
            AdminEvent::ServiceChecked(result.map_err(|e| e.to_string().replace(&url, &shown)))
        }
        AdminCommand::CheckLeadSource { api_base, api_key } => {
            let service = check_service(&store).await;
            let key = if api_key.expose().trim().is_empty() {
                None
            } else {
                Some(projects(&api_base, api_key, "").await.map(|p| p.len()))
            };
            AdminEvent::LeadSourceChecked(LeadSourceCheck { service, key })
        }
        AdminCommand::CheckTelephony(telephony) => {
            let address = telephony.address.clone();
            if let Err(e) = store.put_telephony(Telephony { last_check: None, ..*telephony }).await {
                return AdminEvent::TelephonyChecked(Err(e.to_string()));
            }
            let result = check_telephony(address).await;
            // Stored with the settings at once: the light reads them, whatever page is shown.
            let stored = async {
                let mut telephony = store.telephony().await?;
                telephony.last_check = Some(result.clone());
                store.put_telephony(telephony).await
            };
            AdminEvent::TelephonyChecked(stored.await.map(|()| result).map_err(|e| e.to_string()))
        }
        AdminCommand::TestAlerts(settings) => {
            if let Err(e) = store.put_alert_settings(*settings).await {
                return AdminEvent::AlertsTested(Err(e.to_string()));
            }
            AdminEvent::AlertsTested(super::control::alert_test(&store).await.map_err(|e| e.to_string()))
        }
        AdminCommand::Projects { api_base, api_key, project } => {
            AdminEvent::Projects(projects(&api_base, api_key, &project).await)
        }
        AdminCommand::Reconcile { source_id, from, to } => {
            let result = crate::roistat::reconcile_source(&store, source_id, from, to).await;
            AdminEvent::Reconciled(
                result.map(|r| format!("Сверка выполнена: нет у нас — {}", r.missing_count)).map_err(|e| e.to_string()),
            )
        }
        AdminCommand::CreateMissing { source_id, roistat_id } => {
            let made = crate::roistat::create_missing(&store, source_id, &roistat_id).await;
            AdminEvent::Reconciled(match made {
                Ok(lead) => Ok(format!("Создана заявка № {} «{}»", lead.number, lead.title)),
                Err(e) => Err(e.to_string()),
            })
        }
        AdminCommand::People(change) => {
            let done = change_people(&store, change).await.map_err(|e| e.to_string());
            AdminEvent::People { done, people: store.people().await.map_err(|e| e.to_string()) }
        }
        AdminCommand::CreateField(dev_name) => AdminEvent::FieldCreated(create_field(&store, dev_name).await),
        AdminCommand::Backup(path) => AdminEvent::Backup(backup(&store, path).await),
        AdminCommand::Restore(path) => AdminEvent::Backup(restore(&store, path).await),
        AdminCommand::Exchange(read) => AdminEvent::Exchange(exchange(&store, read).await),
        AdminCommand::History(filter) => {
            let result = store.history(filter.clone()).await.map_err(|e| e.to_string());
            AdminEvent::History { filter, result }
        }
        AdminCommand::Load(form) => {
            AdminEvent::Loaded { form, result: load(&store, form).await.map_err(|e| e.to_string()) }
        }
        AdminCommand::Write(write) => {
            let form = write.form();
            AdminEvent::Written { form, result: self::write(&store, write).await.map_err(|e| e.to_string()) }
        }
    }
}

/// The service at the address Roistat is given, with the service's own login: the address that
/// answered `OK`, or why it did not (naming the address, never the token).
async fn check_service(store: &Store) -> Result<String, String> {
    let settings = store.service_settings().await.map_err(|e| e.to_string())?;
    let address = settings.roistat_url();
    let url = format!(
        "{address}?user={}&token={}",
        settings.login,
        crate::service::auth::token(&settings.login, settings.password.expose())
    );
    let result = crate::service::check_published(&url).await;
    result.map(|()| address.clone()).map_err(|e| e.to_string().replace(&url, &address))
}

/// The projects a key sees: Roistat's cheapest call that needs a valid key.
async fn projects(api_base: &str, api_key: Secret, project: &str) -> Result<Vec<Project>, String> {
    let api_base = if api_base.trim().is_empty() { crate::domain::DEFAULT_API_BASE } else { api_base.trim() };
    match RoistatClient::new(ClientConfig::new(api_base, api_key, project)) {
        Ok(client) => client.projects().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

async fn load(store: &Store, form: AdminForm) -> Result<AdminData, StoreError> {
    Ok(match form {
        AdminForm::LeadSources => {
            let settings = store.service_settings().await?;
            AdminData::LeadSources {
                list: store.list().await?,
                telephony: store.telephony().await?,
                roistat_url: settings.roistat_url(),
                reach_problem: settings.roistat_reach_problem(),
            }
        }
        AdminForm::Telephony => AdminData::Telephony(store.telephony().await?),
        AdminForm::Alerts => AdminData::Alerts(Box::new(store.alert_settings().await?)),
        AdminForm::Analytics => AdminData::Analytics(store.list().await?),
        AdminForm::Settings | AdminForm::Users => AdminData::Settings(Box::new(store.service_settings().await?)),
        AdminForm::Catalog => {
            let mut fields = store.list::<ExtraField>().await?;
            fields.sort_by(|a, b| (!a.service, &a.name).cmp(&(!b.service, &b.name)));
            AdminData::Catalog {
                fields,
                statuses: store.statuses().await?,
                analytics_enabled: store.service_settings().await?.analytics_enabled,
            }
        }
    })
}

async fn write(store: &Store, write: AdminWrite) -> Result<Written, StoreError> {
    Ok(match write {
        AdminWrite::LeadSource(source) => Written::LeadSource(Box::new(store.put(*source).await?)),
        AdminWrite::DeleteLeadSource(id) => {
            store.delete::<LeadSource>(id).await?;
            Written::LeadSourceDeleted
        }
        AdminWrite::AnalyticsSource { source, then_load } => {
            Written::AnalyticsSource { source: Box::new(store.put(*source).await?), then_load }
        }
        AdminWrite::DeleteAnalyticsSource(id) => {
            store.delete::<AnalyticsSource>(id).await?;
            Written::AnalyticsSourceDeleted
        }
        AdminWrite::Telephony(telephony) => {
            store.put_telephony(*telephony).await?;
            Written::Telephony
        }
        AdminWrite::AlertSettings(settings) => {
            store.put_alert_settings(*settings).await?;
            Written::AlertSettings
        }
        AdminWrite::User(user) => {
            store.put(user).await?;
            Written::User
        }
        AdminWrite::ServiceSettings { settings, restart } => {
            let listen = settings.listen.clone();
            store.put_service_settings(*settings).await?;
            Written::ServiceSettings { restart, listen }
        }
        AdminWrite::Analytics(enabled) => {
            let mut settings = store.service_settings().await?;
            settings.analytics_enabled = enabled;
            store.put_service_settings(settings).await?;
            let created = if enabled { store.ensure_schema().await? } else { 0 };
            Written::Analytics { enabled, created }
        }
        AdminWrite::StatusOrder(statuses) => {
            for status in statuses {
                store.put(status).await?;
            }
            Written::StatusOrder
        }
        AdminWrite::Status(status) => {
            store.put(status).await?;
            Written::Status
        }
        AdminWrite::AskDeleteStatus(status) => {
            let count = store.status_use_count(status.id).await?;
            Written::StatusUseCount { status, count }
        }
        AdminWrite::DeleteStatus(status) => {
            store.delete::<Status>(status.id).await?;
            Written::StatusDeleted(status)
        }
        AdminWrite::ExtraField(field) => {
            store.put(field).await?;
            Written::ExtraField
        }
        AdminWrite::DeleteExtraField(id) => {
            store.delete::<ExtraField>(id).await?;
            Written::ExtraFieldDeleted
        }
    })
}

async fn create_field(store: &Store, dev_name: String) -> Result<String, String> {
    crate::domain::validate_dev_name(&dev_name).map_err(|e| e.to_string())?;
    let fields = store.list::<ExtraField>().await.map_err(|e| e.to_string())?;
    // Pressed twice, or created meanwhile elsewhere: the field is there, which is what was asked.
    if !fields.iter().any(|f| f.dev_name == dev_name) {
        let field = ExtraField {
            id: 0,
            name: dev_name.clone(),
            dev_name: dev_name.clone(),
            kind: Default::default(),
            service: false,
        };
        store.put(field).await.map_err(|e| e.to_string())?;
    }
    Ok(dev_name)
}

async fn backup(store: &Store, path: PathBuf) -> Result<String, String> {
    // The copy holds the service password: only its owner may read it (as `skvoz backup`).
    let file = crate::store::create_private_file(&path)
        .map_err(|e| format!("Не удалось создать файл {}: {e}", path.display()))?;
    let written = store.backup(std::io::BufWriter::new(file)).await.map_err(|e| e.to_string());
    if written.is_err() {
        // A cut copy must not pass for a whole one later.
        let _ = std::fs::remove_file(&path);
    }
    let (_, s) = written?;
    Ok(format!("Копия сохранена: {} ({} записей, {} заявок, {} фактов)", path.display(), s.records, s.leads, s.facts))
}

async fn restore(store: &Store, path: PathBuf) -> Result<String, String> {
    let file = std::fs::File::open(&path).map_err(|e| format!("Не удалось открыть файл {}: {e}", path.display()))?;
    let s = store.restore(std::io::BufReader::new(file), true).await.map_err(|e| e.to_string())?;
    Ok(format!("Восстановлено из {}: {} записей ({} заявок, {} фактов)", path.display(), s.records, s.leads, s.facts))
}

async fn exchange(store: &Store, read: ExchangeRead) -> Loaded {
    let text = |e: StoreError| e.to_string();
    match read {
        ExchangeRead::First { generation, filter } => {
            let result = store.exchange_page(None, EXCHANGE_PAGE).await.map(|page| {
                let f = filter.prepared();
                page.into_iter().filter(|e| f.matches(e)).collect()
            });
            Loaded::First { generation, result: result.map_err(text) }
        }
        ExchangeRead::Scan { generation, filter } => {
            let result = async {
                let scan = store.exchange_scan(filter).await?;
                let total = store.exchange_count().await?;
                Ok(ExchangeIds { ids: scan.ids, actions: scan.actions, newest: scan.newest, total })
            };
            Loaded::Scan { generation, result: result.await.map_err(text) }
        }
        ExchangeRead::Page { generation, ids } => match store.exchange_get(ids.clone()).await {
            Ok(entries) => Loaded::Page { generation, asked: ids, entries },
            Err(e) => Loaded::Failed { generation, asked: ids, error: e.to_string() },
        },
        ExchangeRead::Fresh { generation, after, filter } => {
            let result = async {
                let filter = filter.prepared();
                let mut fresh = Fresh {
                    newest: after,
                    ids: Vec::new(),
                    entries: Vec::new(),
                    actions: Vec::new(),
                    oldest: None,
                    total: 0,
                };
                // Oldest first from the store; the screen wants newest first.
                for e in store.exchange_after(after).await?.into_iter().rev() {
                    fresh.newest = fresh.newest.max(e.id);
                    if !fresh.actions.contains(&e.action) {
                        fresh.actions.push(e.action.clone());
                    }
                    if filter.matches(&e) {
                        fresh.ids.push(e.id);
                        if fresh.entries.len() < EXCHANGE_PAGE {
                            fresh.entries.push(e);
                        }
                    }
                }
                fresh.oldest = store.exchange_oldest_id().await?;
                fresh.total = store.exchange_count().await?;
                Ok::<_, StoreError>(fresh)
            };
            Loaded::Fresh { generation, result: result.await.map_err(text) }
        }
    }
}

/// GETs the PBX address: any answer below 500 means it is reachable.
async fn check_telephony(address: String) -> CheckResult {
    let at = jiff::Timestamp::now();
    let client = match reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build() {
        Ok(c) => c,
        Err(e) => {
            return CheckResult {
                at,
                ok: false,
                message: format!("Не удалось подготовить запрос: {}", crate::net::explain(&e)),
            };
        }
    };
    match client.get(&address).send().await {
        Ok(r) if r.status().as_u16() < 500 => {
            // Only that something answers at the address: the PBX's own API is not called.
            CheckResult {
                at,
                ok: true,
                message: format!(
                    "проверено только, что по адресу {address} отвечает веб-сервер (запрос GET, ответ HTTP {}); \
                     что это АТС и что она примет звонки, не проверено: вызовы API АТС этой проверкой не \
                     проверяются",
                    r.status().as_u16()
                ),
            }
        }
        Ok(r) => CheckResult {
            at,
            ok: false,
            message: format!("АТС ответила HTTP {}: проверьте адрес и состояние АТС", r.status().as_u16()),
        },
        Err(e) => CheckResult {
            at,
            ok: false,
            message: format!("АТС по адресу {address} не отвечает: {}", crate::net::explain(&e)),
        },
    }
}
