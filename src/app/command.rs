//! The one command path of the window: screens push [`Command`]s; the app applies view commands at
//! the end of the frame and runs store work on the background runtime, which answers with
//! [`AppEvent`]s through one channel (each followed by a repaint). Changes in the store arrive the
//! same way, as [`AppEvent::Changed`].

use super::Lists;
use super::admin::{AdminCommand, AdminEvent};
use super::state::{ExportFormat, Page, ThemeChoice};
use crate::domain::PeriodPreset;
use crate::domain::{Call, Client, ExtraField, Lead, LeadId, LeadSource, Status, User};
use crate::leads::{Changed, GroupChange, Undo, Undone};
use crate::report::{Column, Comparison, Grouping, Report};
use crate::store::StoreEvent;
use jiff::civil::Date;

/// What the screens ask for.
#[derive(Clone, Debug)]
pub enum Command {
    Navigate(Page),
    SetPreset(PeriodPreset),
    SetCustomPeriod(Date, Date),
    SetGrouping(Grouping),
    /// What the period's changes are counted against.
    SetComparison(Comparison),
    SetChannel(Option<String>),
    /// The dashboard's tab: a view of our own leads, `None` for the ROI table.
    ShowView(Option<crate::report::views::View>),
    /// By which date the views count leads.
    SetBasis(crate::report::views::Basis),
    /// The extra field the sale date is read from; `None` for the first entry into a paid status.
    SetSaleField(Option<String>),
    /// Sort by a column: a new column sorts descending (names ascending), the same one flips.
    SortBy(Column),
    /// Expand or collapse a drill-down row by its path (`direct`, `direct/brand`).
    ToggleRow(String),
    SetUser(u64),
    SetTheme(ThemeChoice),
    LoadDemo,
    Export(ExportFormat),
    /// The HTTP service's listen address changed: restart it there.
    RestartService,
    DismissMessage,
    /// The «Подключение» dialog: where the window works (this computer or a team database).
    OpenConnection,
    /// The dashboard's reconciliation badge: «Источники» → the analytics source's «Сверка с Roistat».
    OpenReconciliation(u64),
    /// The bell's «Открыть заявку»: «Заявки» with the lead's form open.
    OpenLead(crate::domain::LeadId),
    /// Store work of the leads workspace; answered by [`AppEvent::Leads`].
    Leads(LeadsCommand),
    /// The calls journal; answered by [`AppEvent::Calls`].
    LoadCalls,
    /// Background work of the admin screens; answered by [`AppEvent::Admin`].
    Admin(AdminCommand),
    /// The plan page's store work; answered by [`AppEvent::Plans`].
    Plans(super::plans::PlanCommand),
}

/// Store work of the leads workspace.
#[derive(Clone, Debug, PartialEq)]
pub enum LeadsCommand {
    /// The reference data, the clients and the leads (the first load, or after `Reloaded`).
    LoadAll,
    LoadCatalog,
    LoadClients,
    /// Leads that changed, with their clients (a proxy lead and its new client may be told
    /// apart by the change feed: the row needs both).
    LoadLeads(Vec<LeadId>),
    /// A lead for the form, with its calls.
    Open(LeadId),
    /// A lead to copy (F9, «Создать по шаблону»).
    Copy(LeadId),
    Save(Box<SaveLead>),
    GroupChange {
        change: GroupChange,
        by: String,
    },
    Undo {
        undo: Undo,
        by: String,
    },
    /// The marker-template wizard's new lead source.
    CreateSource(Box<LeadSource>),
    /// The marker-template wizard's template.
    AddTemplate(Box<Lead>),
    /// The channels, sources and campaigns that figures were loaded for (the wizard's choices).
    MarkerPaths,
    /// Tells other windows which lead this one has open (or that it closed it).
    Announce(crate::domain::Presence),
    /// «История изменений» of a lead, for its form.
    History(LeadId),
}

/// «Записать» in the lead form.
#[derive(Clone, Debug, PartialEq)]
pub struct SaveLead {
    /// The lead as the form shows it.
    pub edited: Lead,
    /// The lead as it was loaded into the form; `None` for a new lead.
    pub loaded: Option<Lead>,
    /// A client typed or changed in the form.
    pub client: Option<Client>,
    /// «Записать поверх»: no check of what others changed.
    pub overwrite: bool,
    /// The person at the window.
    pub by: String,
}

/// A lead read for the form, with its calls.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenedLead {
    pub lead: Lead,
    pub calls: Vec<Call>,
}

/// A lead as stored by «Записать», with its client.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedLead {
    pub lead: Lead,
    pub client: Option<Client>,
}

/// Reference data the leads workspace names things from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeadsCatalog {
    pub statuses: Vec<Status>,
    pub sources: Vec<LeadSource>,
    pub fields: Vec<ExtraField>,
    pub users: Vec<User>,
    /// The status a new lead gets.
    pub initial_status: Option<u64>,
}

/// Everything the leads workspace shows.
#[derive(Clone, Debug, Default)]
pub struct LeadsData {
    pub catalog: LeadsCatalog,
    pub clients: Vec<Client>,
    pub leads: Vec<Lead>,
}

/// The answers to [`LeadsCommand`]s. Errors are Russian sentences for the person.
#[derive(Debug)]
pub enum LeadsEvent {
    All(Result<Box<LeadsData>, String>),
    Catalog(Result<Box<LeadsCatalog>, String>),
    Clients(Result<Vec<Client>, String>),
    Leads(Result<(Vec<Lead>, Vec<Client>), String>),
    /// `None`: no such lead (deleted meanwhile).
    Opened(Result<Option<Box<OpenedLead>>, String>),
    Copied(Result<Option<Box<Lead>>, String>),
    /// The lead form was saved: the lead as stored, with its client.
    Saved(Box<SavedLead>),
    /// The save failed; nothing typed is lost.
    Failed(String),
    /// Someone changed a field the form changed too, after the form read the lead: the store's
    /// message (who and when, and what to do), who it was, and the lead as stored now.
    Conflict {
        message: String,
        by: String,
        current: Box<Lead>,
    },
    GroupChanged(Result<Changed, String>),
    Undone(Result<Undone, String>),
    SourceCreated(Result<Box<LeadSource>, String>),
    TemplateAdded(Result<Box<Lead>, String>),
    MarkerPaths(Result<Vec<crate::domain::MarkerPath>, String>),
    /// An announcement went out (or could not: presence is only a courtesy).
    Announced,
    History(LeadId, Result<Vec<crate::domain::HistoryEntry>, String>),
}

/// What changed in the store (the change feed, forwarded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Leads(Vec<LeadId>),
    Clients,
    Catalog,
    Settings,
    Facts,
    Calls,
    Plans,
    ExchangeLog,
    /// Everything may have changed (a restore, demo data, or events were missed).
    Reloaded,
    /// Another window opened or closed a lead.
    Presence(crate::domain::Presence),
}

impl From<StoreEvent> for Change {
    fn from(event: StoreEvent) -> Change {
        match event {
            StoreEvent::LeadsChanged(ids) => Change::Leads(ids),
            StoreEvent::ClientsChanged => Change::Clients,
            StoreEvent::CatalogChanged => Change::Catalog,
            StoreEvent::SettingsChanged => Change::Settings,
            StoreEvent::FactsChanged => Change::Facts,
            StoreEvent::CallsChanged => Change::Calls,
            StoreEvent::PlansChanged => Change::Plans,
            StoreEvent::ExchangeLogged(_) => Change::ExchangeLog,
            StoreEvent::Reloaded => Change::Reloaded,
            StoreEvent::Presence(p) => Change::Presence(p),
        }
    }
}

/// What the app reads before it can show who works at the window.
#[derive(Clone, Debug)]
pub struct Startup {
    /// The embedded store's first admin (made at the first start); `None` on a team database.
    pub admin: Option<User>,
    /// Who signed in to a team database, as a user of the window; `None` on the embedded store,
    /// where the window chooses the user.
    pub signed_in: Option<User>,
    pub users: Vec<User>,
    pub fact_span: Option<(Date, Date)>,
    /// Neither leads nor figures: an admin starts at the sources.
    pub empty_of_work: bool,
}

/// What background work reports to the window.
#[derive(Debug)]
pub enum AppEvent {
    Changed(Change),
    Started(Result<Box<Startup>, String>),
    Users(Result<Vec<User>, String>),
    FactSpan(Result<Option<(Date, Date)>, String>),
    /// A report computed for the request number `generation`.
    Report {
        generation: u64,
        result: Result<Box<Report>, String>,
    },
    /// The dashboard's view tab computed for the request number `generation`.
    View {
        generation: u64,
        result: Result<Box<crate::report::views::ViewOutput>, String>,
    },
    /// The demo data were loaded (or failed to).
    DemoLoaded(Result<crate::demo::DemoSummary, String>),
    /// An export finished: the file written, `None` when the dialog was cancelled, or the error.
    /// What the window says about a finished export (`None`: the person cancelled), or why it failed.
    Exported(Result<Option<String>, String>),
    /// The placeholder pages' lists.
    Lists(Result<Box<Lists>, String>),
    /// A status source changed; the status bar reads it again.
    StatusChanged,
    Leads(LeadsEvent),
    /// The calls journal: calls newest first, and their leads.
    Calls(Result<(Vec<Call>, Vec<Lead>), String>),
    Admin(AdminEvent),
    Plans(super::plans::PlanEvent),
    /// The current alerts (the bell), or why they could not be read.
    Alerts(Result<Vec<crate::domain::Alert>, String>),
}
