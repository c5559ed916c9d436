//! What the app does with the events background work and the change feed bring: the first load,
//! the dashboard's report, the lists, and handing the screens their answers.

use super::command::{AppEvent, Change, LeadsEvent, Startup};
use super::{App, Lists, Message, Page};
use crate::domain::{AnalyticsSource, ExtraField, LeadSource, Role, User};
use crate::report::{Query, Report};
use crate::store::{Person, Store, StoreError};
use jiff::civil::Date;

/// The short lists of the placeholder pages and the status bar. On a team database what the
/// person's role may not read stays empty: its pages are not shown to them.
pub(super) async fn load_lists(store: &Store) -> Result<Lists, StoreError> {
    let settings = readable(store.service_settings().await)?;
    Ok(Lists {
        lead_count: store.lead_count().await?,
        fact_count: store.fact_count().await?,
        leads: store.leads_newest(200).await?.into_iter().filter(|l| !l.is_template && !l.deleted).collect(),
        statuses: store.statuses().await?,
        extra_fields: store.list::<ExtraField>().await?,
        lead_sources: readable(store.list::<LeadSource>().await)?,
        analytics_sources: readable(store.list::<AnalyticsSource>().await)?,
        exchange: readable(store.exchange_newest(100).await)?,
        service_address: format!("http://{}{}", settings.listen, settings.path()),
        roistat_reach_problem: settings.roistat_reach_problem(),
        telephony_light: readable(store.telephony().await)?.light(),
    })
}

/// What a read gave, or nothing where the person's role may not read it.
fn readable<T: Default>(read: Result<T, StoreError>) -> Result<T, StoreError> {
    match read {
        Err(StoreError::Forbidden(_)) => Ok(T::default()),
        other => other,
    }
}

/// The sums a query needs (its period and the previous one), from the store, and the report.
pub async fn report(store: &Store, query: &Query) -> Result<Report, super::AppError> {
    let sums = store.report_sums(query.periods()?).await?;
    Ok(crate::report::from_sums(&sums, query)?)
}

/// The first start's work: an admin exists, and with «Использовать сквозную аналитику» (on for a
/// new store) the service fields, UTM fields and statuses it promises.
pub(super) async fn start(store: &Store) -> Result<Startup, StoreError> {
    let signed_in = match store.me().await? {
        None => None,
        Some(person) => Some(signed_in_user(&person)?),
    };
    // On a team database people are added by an admin, and only an admin may set up the schema.
    let admin = if signed_in.is_none() { Some(store.ensure_admin().await?) } else { None };
    let may_set_up = signed_in.as_ref().is_none_or(|u| u.role == Role::Admin);
    if may_set_up && store.service_settings().await?.analytics_enabled {
        store.ensure_schema().await?;
    }
    Ok(Startup {
        admin,
        signed_in,
        users: users(store).await?,
        fact_span: store.fact_date_span().await?,
        empty_of_work: store.is_empty_of_work().await?,
    })
}

/// The person signed in to a team database as the window's user: their record among the users
/// (the responsible of leads) or, before they have one, their name and role.
fn signed_in_user(person: &Person) -> Result<User, StoreError> {
    let role = person.role.person_role().ok_or_else(|| {
        StoreError::Invalid(format!(
            "Вход «{}» — служебный (для skvoz serve), в окне под ним не работают: войдите под своим логином",
            person.login
        ))
    })?;
    Ok(User {
        id: person.user_id.unwrap_or(0),
        name: person.display_name().to_string(),
        role,
        login: person.login.clone(),
        ..User::default()
    })
}

pub(super) async fn users(store: &Store) -> Result<Vec<User>, StoreError> {
    let mut users = store.list::<User>().await?;
    users.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(users)
}

impl App {
    pub fn current_user(&self) -> Option<&User> {
        if let Some(user) = &self.signed_in {
            return Some(user);
        }
        self.users.iter().find(|u| Some(u.id) == self.state.user_id)
    }

    /// On a team database: the person signed in (the window does not let them choose another).
    pub fn signed_in(&self) -> Option<&User> {
        self.signed_in.as_ref()
    }

    pub fn role(&self) -> Role {
        self.current_user().map(|u| u.role).unwrap_or(Role::Marketer)
    }

    pub fn pages(&self) -> &'static [Page] {
        Page::for_role(self.role())
    }

    /// Whether the first load (users, the span of the figures) has arrived.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// The page a start opens: what the role works on, not where the last person left off.
    /// An admin of a store without leads or analytics starts at the sources, to set them up.
    /// Applied once the first load has arrived.
    pub fn go_to_start_page(&mut self) {
        self.go_to_start_page = true;
        if let Some(empty_of_work) = self.empty_of_work {
            self.state.page = match self.role() {
                Role::Admin if empty_of_work => Page::Sources,
                role => Page::for_role(role)[0],
            };
            self.go_to_start_page = false;
        }
    }

    pub(super) fn fit_page_to_role(&mut self) {
        let pages = self.pages();
        if !pages.contains(&self.state.page) {
            self.state.page = pages[0];
        }
    }

    /// Whether there is anything to show on the dashboard.
    pub fn has_facts(&self) -> bool {
        self.fact_span.is_some()
    }

    /// The last day Roistat's data reach, when the period goes past it («данные загружены по …»).
    pub fn data_end_before_period_end(&self) -> Option<Date> {
        let (_, last) = self.fact_span?;
        (last < self.period().1).then_some(last)
    }

    /// The dashboard's period for the current preset.
    pub fn period(&self) -> (Date, Date) {
        let anchor = crate::domain::last_data_day(self.today, self.fact_span.map(|s| s.1));
        let custom_to = self.state.custom_to.unwrap_or(anchor);
        let custom_from = self.state.custom_from.unwrap_or(custom_to);
        self.state.preset.range(self.today, (custom_from, custom_to))
    }

    pub fn query(&self) -> Query {
        let (from, to) = self.period();
        Query {
            from,
            to,
            grouping: self.state.grouping,
            channel: self.dashboard.channel.clone(),
            comparison: self.state.comparison,
        }
    }

    /// Asks the background for a fresh report; a newer request wins over an older answer.
    pub fn request_report(&mut self) {
        self.dashboard.generation += 1;
        self.dashboard.loading = true;
        let (store, query, generation) = (self.store.clone(), self.query(), self.dashboard.generation);
        self.bg.answer(async move {
            let result = report(&store, &query).await.map(Box::new).map_err(|e| e.to_string());
            AppEvent::Report { generation, result }
        });
    }

    fn refresh_facts(&mut self) {
        let store = self.store.clone();
        self.bg.answer(async move { AppEvent::FactSpan(store.fact_date_span().await.map_err(|e| e.to_string())) });
    }

    fn refresh_users(&mut self) {
        let store = self.store.clone();
        self.bg.answer(async move { AppEvent::Users(users(&store).await.map_err(|e| e.to_string())) });
    }

    /// Re-reads the short lists the placeholder pages show.
    pub(super) fn refresh_lists(&mut self) {
        self.lists_loading = true;
        let store = self.store.clone();
        self.bg
            .answer(async move { AppEvent::Lists(load_lists(&store).await.map(Box::new).map_err(|e| e.to_string())) });
    }

    /// Reads the current alerts (the bell) in the background.
    fn refresh_alerts(&mut self) {
        self.alerts.asked(std::time::Instant::now());
        let store = self.store.clone();
        let clock = self.alerts_clock;
        self.bg.answer(async move {
            let now = clock.unwrap_or_else(jiff::Timestamp::now);
            AppEvent::Alerts(super::alerts::current(&store, now).await.map_err(|e| e.to_string()))
        });
    }

    /// Whether background work the screen waits for is under way (tests wait on it).
    pub fn is_busy(&self) -> bool {
        !self.started
            || self.dashboard.loading
            || self.views.loading
            || self.demo_loading
            || self.export_running
            || self.lists_loading
            || self.bg.is_working()
            || self.is_loading()
    }

    /// A read for the window failed: said while the database answers; during an outage the
    /// window keeps what it shows and the light says why.
    pub(super) fn read_failed(&mut self, e: String) {
        self.check_link();
        if self.link_up {
            self.message = Some(Message::Error(e));
        }
    }

    pub(super) fn resort(&mut self) {
        let mut rows = self.dashboard.report.as_ref().map(|r| r.rows.clone()).unwrap_or_default();
        crate::report::sort_rows(&mut rows, self.state.sort);
        self.dashboard.sorted_rows = rows;
    }

    /// Applies what background work reported; hands back what is the screens' (their answers,
    /// and every change in the store). Call at the start of a frame.
    pub fn poll_events(&mut self) -> Vec<AppEvent> {
        let mut for_screens = Vec::new();
        let mut facts_changed = false;
        let mut lists_changed = false;
        let mut users_changed = false;
        // Leads, clients, statuses or people: what the views count.
        let mut leads_changed = false;
        let watched = self.bg.link.is_some();
        for event in self.bg.drain() {
            match event {
                // On a team database «read everything again» waits until the database answers:
                // the change feed says it when it lost the server, and reading then only fails.
                AppEvent::Changed(Change::Reloaded) if watched => {
                    let checks = self.bg.link.as_ref().map_or(0, |l| l.borrow().checks);
                    self.reload_after_check.get_or_insert(checks);
                    self.check_link();
                }
                AppEvent::Changed(change) => {
                    if !matches!(change, Change::Presence(_) | Change::Clients | Change::Calls) {
                        self.alerts.touch();
                    }
                    match &change {
                        Change::Facts => facts_changed = true,
                        Change::Reloaded => {
                            facts_changed = true;
                            lists_changed = true;
                            users_changed = true;
                            leads_changed = true;
                        }
                        Change::Catalog => {
                            lists_changed = true;
                            users_changed = true;
                            leads_changed = true;
                        }
                        Change::Presence(_) => {}
                        // The views' book carries the plans.
                        Change::Plans => leads_changed = true,
                        Change::Leads(_) | Change::Clients => {
                            lists_changed = true;
                            leads_changed = true;
                        }
                        Change::Settings | Change::Calls | Change::ExchangeLog => lists_changed = true,
                    }
                    for_screens.push(AppEvent::Changed(change));
                }
                AppEvent::Started(result) => match result {
                    Ok(startup) => {
                        let Startup { admin, signed_in, users, fact_span, empty_of_work } = *startup;
                        self.users = users;
                        self.fact_span = fact_span;
                        self.empty_of_work = Some(empty_of_work);
                        self.started = true;
                        self.signed_in = signed_in;
                        if let Some(admin) = admin
                            && !self.users.iter().any(|u| Some(u.id) == self.state.user_id)
                        {
                            self.state.user_id = Some(admin.id);
                        }
                        if self.go_to_start_page {
                            self.go_to_start_page();
                        }
                        self.fit_page_to_role();
                        self.request_report();
                    }
                    Err(e) => {
                        self.started = true;
                        self.message = Some(Message::Error(format!("Не удалось открыть данные: {e}")));
                    }
                },
                AppEvent::Users(result) => match result {
                    Ok(users) => {
                        self.users = users;
                        self.fit_page_to_role();
                    }
                    Err(e) => self.read_failed(e),
                },
                AppEvent::FactSpan(result) => match result {
                    Ok(span) => {
                        let changed = span != self.fact_span;
                        self.fact_span = span;
                        // The period may follow the last day with figures.
                        if changed {
                            self.request_report();
                        }
                    }
                    Err(e) => self.read_failed(e),
                },
                AppEvent::Report { generation, result } => {
                    if generation == self.dashboard.generation {
                        self.dashboard.loading = false;
                        match result {
                            Ok(report) => {
                                self.dashboard.report = Some(*report);
                                self.dashboard.error = None;
                                self.resort();
                            }
                            // Without the database the last report stays; the light says why.
                            Err(e) => {
                                self.check_link();
                                if self.link_up {
                                    self.dashboard.error = Some(e);
                                }
                            }
                        }
                    }
                }
                AppEvent::View { generation, result } => self.view_answered(generation, result),
                AppEvent::DemoLoaded(result) => {
                    self.demo_loading = false;
                    facts_changed = true;
                    lists_changed = true;
                    users_changed = true;
                    leads_changed = true;
                    self.message = Some(match result {
                        Ok(s) => Message::Info(format!(
                            "Демо-данные загружены: {} фактов аналитики, {} заявок",
                            s.facts, s.leads
                        )),
                        Err(e) => Message::Error(format!("Не удалось загрузить демо-данные: {e}")),
                    });
                }
                AppEvent::Exported(result) => {
                    self.export_running = false;
                    self.message = match result {
                        Ok(Some(text)) => Some(Message::Info(text)),
                        Ok(None) => None,
                        Err(e) => Some(Message::Error(e)),
                    };
                }
                AppEvent::Lists(result) => {
                    self.lists_loading = false;
                    match result {
                        Ok(lists) => self.lists = *lists,
                        Err(e) => self.read_failed(e),
                    }
                }
                AppEvent::StatusChanged => {}
                AppEvent::Alerts(result) => self.alerts.apply(result),
                event @ (AppEvent::Leads(_) | AppEvent::Calls(_) | AppEvent::Admin(_) | AppEvent::Plans(_)) => {
                    if matches!(
                        event,
                        AppEvent::Leads(LeadsEvent::Failed(_) | LeadsEvent::All(Err(_)))
                            | AppEvent::Calls(Err(_))
                            | AppEvent::Plans(super::plans::PlanEvent::Loaded(Err(_)))
                    ) {
                        self.check_link();
                    }
                    for_screens.push(event)
                }
            }
        }
        if let Some(link) = self.bg.link.as_ref().map(|l| l.borrow().clone()) {
            if link.up != self.link_up {
                self.link_up = link.up;
                // The light says it now: errors of reads that failed meanwhile are stale.
                if matches!(self.message, Some(Message::Error(_))) {
                    self.message = None;
                }
                self.dashboard.error = None;
                if link.up {
                    // What changed during the outage is unknown: read everything again.
                    self.reload_after_check.get_or_insert(0);
                }
            }
            if link.up && self.reload_after_check.is_some_and(|after| link.checks > after) {
                self.reload_after_check = None;
                facts_changed = true;
                lists_changed = true;
                users_changed = true;
                leads_changed = true;
                for_screens.push(AppEvent::Changed(Change::Reloaded));
            }
        }
        if self.started && self.alerts.is_due(std::time::Instant::now()) {
            self.refresh_alerts();
        }
        if facts_changed && self.started {
            self.refresh_facts();
            self.request_report();
        }
        if lists_changed && self.started {
            self.refresh_lists();
        }
        // Before the first load the users come with it: the page is fitted to the role only then.
        if users_changed && self.started {
            self.refresh_users();
        }
        if leads_changed {
            self.views_stale();
        }
        self.ensure_view();
        for_screens
    }
}
