//! The leads workspace («Заявки»): the list, the lead form, the marker-template wizard and the group
//! change, as one self-contained screen a shell plugs in with `LeadsScreen::new` and `ui`.
//!
//! Writes: saving a lead or applying a group change is a sled transaction of well under a
//! millisecond, so it runs in `ui()`; the flush that makes it durable never does — it goes to a
//! background thread ([`Flusher`]). The list refreshes from the store's events, drained each frame.

mod form;
mod group_change;
mod list;
mod wizard;

use crate::domain::{
    Client, ClientId, ExtraField, Lead, LeadId, LeadSource, MARKER_FIELD, Origin, Responsible, Role, Status,
    StatusGroup, User,
};
use crate::leads::{GroupChange, GroupEdit, LeadList, LeadRow, Undo};
use crate::store::{SledStore, StoreEvent};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::mpsc;
use tokio::sync::broadcast;

pub use list::Period;

/// The current time; injected so tests are deterministic.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// Repaints `ctx` whenever the store changes, so a lead that arrives over HTTP shows up at once.
/// The thread ends when the store is closed (its last handle dropped).
pub fn repaint_on_store_events(store: &SledStore, ctx: egui::Context) {
    let mut events = store.subscribe();
    let spawned = std::thread::Builder::new().name("leads-repaint".into()).spawn(move || {
        while !matches!(events.blocking_recv(), Err(broadcast::error::RecvError::Closed)) {
            ctx.request_repaint();
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("не удалось запустить обновление списка заявок: {e}");
    }
}

/// Makes writes durable off the UI thread: each request is one `SledStore::durable` (requests that pile
/// up share one flush). Errors come back for the status line.
struct Flusher {
    requests: Option<mpsc::Sender<()>>,
    errors: mpsc::Receiver<String>,
    store: SledStore,
}

impl Flusher {
    fn start(store: SledStore) -> Flusher {
        let (tx, rx) = mpsc::channel::<()>();
        let (etx, erx) = mpsc::channel();
        let worker = store.clone();
        let spawned = std::thread::Builder::new().name("leads-flush".into()).spawn(move || {
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                if let Err(e) = worker.durable() {
                    let _ = etx.send(e.to_string());
                }
            }
        });
        Flusher { requests: spawned.ok().map(|_| tx), errors: erx, store }
    }

    fn request(&self) -> Result<(), String> {
        match &self.requests {
            Some(tx) if tx.send(()).is_ok() => Ok(()),
            // No thread could be started: flush here rather than lose durability.
            _ => self.store.durable().map_err(|e| e.to_string()),
        }
    }
}

/// Reference data the screen shows names from.
#[derive(Default)]
pub(crate) struct Catalog {
    pub statuses: Vec<Status>,
    pub sources: Vec<LeadSource>,
    pub fields: Vec<ExtraField>,
    pub users: Vec<User>,
}

impl Catalog {
    fn load(store: &SledStore) -> crate::store::Result<Catalog> {
        let mut fields = store.list::<ExtraField>()?;
        // The marker field is always offered, even before the schema was created.
        if !fields.iter().any(|f| f.dev_name == MARKER_FIELD) {
            fields.insert(
                0,
                ExtraField {
                    id: 0,
                    name: "Roistat маркер".into(),
                    dev_name: MARKER_FIELD.into(),
                    kind: Default::default(),
                    service: true,
                },
            );
        }
        Ok(Catalog { statuses: store.statuses()?, sources: store.list()?, fields, users: store.list()? })
    }

    pub fn status_name(&self, id: Option<u64>) -> String {
        id.and_then(|id| self.statuses.iter().find(|s| s.id == id)).map(|s| s.name.clone()).unwrap_or_default()
    }

    pub fn source_name(&self, id: Option<u64>) -> String {
        id.and_then(|id| self.sources.iter().find(|s| s.id == id)).map(|s| s.name.clone()).unwrap_or_default()
    }

    pub fn status_group(&self, id: Option<u64>) -> Option<StatusGroup> {
        id.and_then(|id| self.statuses.iter().find(|s| s.id == id)).map(|s| s.group)
    }

    /// What a group change sets, in words: «Статус станет «Оплачена»».
    pub fn describe(&self, edit: &GroupEdit) -> String {
        match edit {
            GroupEdit::Status(id) => format!("Статус станет «{}»", self.status_name(Some(*id))),
            GroupEdit::Responsible(None) => "Ответственный будет очищен".into(),
            GroupEdit::Responsible(responsible) => {
                format!("Ответственным станет «{}»", self.responsible_title(*responsible))
            }
            GroupEdit::Field { dev_name, value } if value.is_empty() => {
                format!("«{}»: значение будет удалено", self.field_name(dev_name))
            }
            GroupEdit::Field { dev_name, value } => format!("«{}» станет «{value}»", self.field_name(dev_name)),
            GroupEdit::MarkDeleted => "Пометка на удаление".into(),
        }
    }

    pub fn field_name(&self, dev_name: &str) -> String {
        self.fields.iter().find(|f| f.dev_name == dev_name).map(|f| f.name.clone()).unwrap_or(dev_name.to_string())
    }

    pub fn responsible_title(&self, responsible: Option<Responsible>) -> String {
        crate::domain::responsible_title(responsible, &self.users)
    }

    /// A combo box of users and roles.
    pub fn responsible_ui(&self, ui: &mut egui::Ui, id_salt: &str, value: &mut Option<Responsible>) -> egui::Response {
        egui::ComboBox::from_id_salt(id_salt)
            .selected_text(self.responsible_title(*value))
            .width(240.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(value, None, "Не указан");
                for user in &self.users {
                    ui.selectable_value(value, Some(Responsible::User(user.id)), &user.name);
                }
                for role in Role::ALL {
                    ui.selectable_value(value, Some(Responsible::Role(role)), format!("Роль: {}", role.title()));
                }
            })
            .response
    }

    /// A combo box of statuses.
    pub fn status_ui(&self, ui: &mut egui::Ui, id_salt: &str, value: &mut Option<u64>) -> egui::Response {
        egui::ComboBox::from_id_salt(id_salt)
            .selected_text(self.status_name(*value))
            .width(240.0)
            .show_ui(ui, |ui| {
                for status in &self.statuses {
                    ui.selectable_value(value, Some(status.id), &status.name);
                }
            })
            .response
    }
}

/// A line under the toolbar: what just happened, or what went wrong and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Notice {
    pub text: String,
    pub error: bool,
}

/// Narrower than this, the open lead takes the whole screen instead of squeezing the list.
const FORM_BESIDE_LIST_WIDTH: f32 = 1400.0;

/// What a click or a key asked for; run after drawing, so drawing never holds a borrow it needs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    New,
    Open(LeadId),
    /// F9: copy the open lead, else the current row.
    Copy,
    CopyOf(LeadId),
    MarkDeleted,
    Wizard,
    GroupChange,
    RunGroupChange(GroupChange),
    Undo,
    /// Esc or «К списку»: closes the form, asking first if something was typed.
    CloseForm,
}

/// The last change that can be taken back («Отменить изменение»): one level.
struct LastChange {
    what: String,
    undo: Undo,
}

/// The leads workspace.
pub struct LeadsScreen {
    store: SledStore,
    clock: Clock,
    tz: TimeZone,
    events: broadcast::Receiver<StoreEvent>,
    flusher: Flusher,
    catalog: Catalog,
    clients: HashMap<ClientId, Client>,
    list: LeadList,
    view: list::ListView,
    form: Option<form::LeadForm>,
    wizard: Option<wizard::Wizard>,
    group: Option<group_change::GroupDialog>,
    last_change: Option<LastChange>,
    notice: Option<Notice>,
    /// «Пометить на удаление …?» is asked for these leads.
    confirm_delete: Option<Vec<LeadId>>,
    /// The person at the window: a new lead starts with them as responsible.
    current_user: Option<u64>,
}

impl LeadsScreen {
    /// Reads the leads from `store` once (a second or so for 100,000 in a debug build) and keeps
    /// them fresh from the store's events afterwards.
    pub fn new(store: SledStore, clock: Clock) -> LeadsScreen {
        let events = store.subscribe();
        let flusher = Flusher::start(store.clone());
        let mut screen = LeadsScreen {
            store,
            clock,
            tz: TimeZone::system(),
            events,
            flusher,
            catalog: Catalog::default(),
            clients: HashMap::new(),
            list: LeadList::default(),
            view: list::ListView::default(),
            form: None,
            wizard: None,
            group: None,
            last_change: None,
            notice: None,
            confirm_delete: None,
            current_user: None,
        };
        screen.reload();
        screen
    }

    /// The person working at the window (the shell tells when it changes).
    pub fn set_current_user(&mut self, user: Option<u64>) {
        self.current_user = user;
    }

    /// Shows dates in `tz` instead of the system's zone.
    pub fn with_time_zone(mut self, tz: TimeZone) -> LeadsScreen {
        self.tz = tz;
        self
    }

    fn now(&self) -> Timestamp {
        (self.clock)()
    }

    fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), error: false });
    }

    fn fail(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), error: true });
    }

    fn flush(&mut self) {
        if let Err(e) = self.flusher.request() {
            self.fail(format!("Изменения не записаны на диск: {e}. Проверьте место на диске и повторите."));
        }
    }

    /// Rebuilds everything from the store (start, restore, a lost event).
    fn reload(&mut self) {
        let loaded = (|| -> crate::store::Result<_> {
            Ok((Catalog::load(&self.store)?, self.store.all_clients()?, self.store.all_leads()?))
        })();
        match loaded {
            Ok((catalog, clients, leads)) => {
                self.list = LeadList::build(&leads, &clients, &catalog.statuses, &catalog.users);
                self.clients = clients.into_iter().map(|c| (c.id, c)).collect();
                self.catalog = catalog;
                self.view.invalidate();
            }
            Err(e) => self.fail(format!("Не удалось прочитать заявки: {e}")),
        }
    }

    fn row_of(&self, lead: &Lead) -> LeadRow {
        let client = lead.client_id.and_then(|id| self.clients.get(&id));
        let status = lead.status_id.and_then(|id| self.catalog.statuses.iter().find(|s| s.id == id));
        LeadRow::new(lead, client, status, self.catalog.responsible_title(lead.responsible))
    }

    /// Applies what changed in the store since the last frame.
    fn drain_events(&mut self) {
        let mut ids = BTreeSet::new();
        let (mut clients, mut catalog, mut everything) = (false, false, false);
        loop {
            match self.events.try_recv() {
                Ok(StoreEvent::LeadsChanged(changed)) => ids.extend(changed),
                Ok(StoreEvent::ClientsChanged) => clients = true,
                Ok(StoreEvent::CatalogChanged) => catalog = true,
                Ok(StoreEvent::Reloaded) | Err(broadcast::error::TryRecvError::Lagged(_)) => everything = true,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if everything {
            self.reload();
            return;
        }
        if catalog {
            match Catalog::load(&self.store) {
                Ok(loaded) => {
                    // Status names are baked into rows: a renamed status needs them rebuilt.
                    let statuses_changed = loaded.statuses != self.catalog.statuses;
                    self.catalog = loaded;
                    if statuses_changed {
                        self.reload();
                        return;
                    }
                }
                Err(e) => self.fail(format!("Не удалось прочитать справочники: {e}")),
            }
        }
        // A client change without leads (an edit elsewhere) is rare: reread them all. With leads
        // (a proxy lead and its new client, every few seconds) only their clients are read.
        if clients && ids.is_empty() {
            match self.store.all_clients() {
                Ok(all) => self.clients = all.into_iter().map(|c| (c.id, c)).collect(),
                Err(e) => self.fail(format!("Не удалось прочитать клиентов: {e}")),
            }
        }
        if ids.is_empty() {
            return;
        }
        let ids: Vec<LeadId> = ids.into_iter().collect();
        match self.store.leads_by_ids(&ids) {
            Ok(leads) => {
                if clients {
                    for client_id in leads.iter().filter_map(|l| l.client_id) {
                        if let Ok(Some(client)) = self.store.client(client_id) {
                            self.clients.insert(client_id, client);
                        }
                    }
                }
                for lead in &leads {
                    let row = self.row_of(lead);
                    self.list.upsert(row);
                }
                self.view.invalidate();
            }
            Err(e) => self.fail(format!("Не удалось обновить список заявок: {e}")),
        }
    }

    /// Draws the screen and handles its keys. Never waits for the disk.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.drain_events();
        if let Ok(e) = self.flusher.errors.try_recv() {
            self.fail(format!("Изменения не записаны на диск: {e}. Проверьте место на диске и повторите."));
        }
        let mut actions = self.keys_ui(ui);
        egui::Panel::top("leads_toolbar").show(ui, |ui| self.toolbar_ui(ui, &mut actions));
        // Beside the list only where both fit; else the form takes the screen, as 1C opens a lead
        // in its own window, and Esc (or «К списку») returns to the list.
        let side_by_side = ui.available_width() >= FORM_BESIDE_LIST_WIDTH;
        if self.form.is_some() && side_by_side {
            egui::Panel::right("leads_form")
                .resizable(true)
                .default_size(480.0)
                .min_size(380.0)
                .show(ui, |ui| self.form_panel_ui(ui, &mut actions));
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if self.form.is_some() && !side_by_side {
                if ui.button("К списку").on_hover_text("Esc").clicked() {
                    actions.push(Action::CloseForm);
                }
                self.form_panel_ui(ui, &mut actions);
                return;
            }
            self.filters_ui(ui);
            self.view.apply_if_changed(&mut self.list);
            self.table_ui(ui, &mut actions);
        });
        if let Some(wizard) = &mut self.wizard {
            let now = (self.clock)();
            match wizard.ui(ui, &self.catalog, now) {
                wizard::Outcome::Open => {}
                wizard::Outcome::Cancelled => self.wizard = None,
                wizard::Outcome::CreateSource(source) => match self.store.put(source) {
                    Ok(saved) => {
                        wizard.source_created(saved.id);
                        self.flush();
                    }
                    Err(e) => wizard.failed(format!("Источник не создан: {e}")),
                },
                wizard::Outcome::Finish(template) => match self.store.add_lead(*template) {
                    Ok(template) => {
                        self.wizard = None;
                        self.flush();
                        self.notify(format!(
                            "Шаблон «{}» (№ {}) создан: он на вкладке «Шаблоны»; новые заявки по нему — «Создать по шаблону» или F9",
                            template.title, template.number
                        ));
                    }
                    Err(e) => wizard.failed(format!("Шаблон не записан: {e}")),
                },
            }
        }
        if let Some(group) = &mut self.group {
            match group.ui(ui, &self.catalog) {
                group_change::Outcome::Open => {}
                group_change::Outcome::Cancelled => self.group = None,
                group_change::Outcome::Run(change) => {
                    self.group = None;
                    actions.push(Action::RunGroupChange(change));
                }
            }
        }
        if self.confirm_delete.is_some() {
            self.confirm_delete_ui(ui);
        }
        for action in actions {
            self.run(action);
        }
    }

    /// «Пометить на удаление заявку № …?»: Delete never acts without asking.
    fn confirm_delete_ui(&mut self, ui: &mut egui::Ui) {
        let Some(ids) = &self.confirm_delete else { return };
        let question = match ids.as_slice() {
            [id] => {
                let number = self.list.row(*id).map(|r| r.number).unwrap_or_default();
                let what = if self.view.filter.templates { "шаблон" } else { "заявку" };
                format!("Пометить на удаление {what} № {number}?")
            }
            _ => format!("Пометить на удаление выделенные строки ({})?", ids.len()),
        };
        let mut answer = None;
        let modal = egui::Modal::new(egui::Id::unique("leads_confirm_delete")).show(ui.ctx(), |ui| {
            ui.set_width(360.0);
            ui.heading(&question);
            ui.label("Помеченные не выгружаются в Roistat; пометку можно снять, отменив изменение.");
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Да").clicked() || ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Enter))
                {
                    answer = Some(true);
                }
                if ui.button("Нет").clicked() {
                    answer = Some(false);
                }
            });
        });
        if modal.should_close() && answer.is_none() {
            answer = Some(false);
        }
        match answer {
            Some(true) => {
                let ids = self.confirm_delete.take().unwrap_or_default();
                self.mark_deleted(ids);
            }
            Some(false) => self.confirm_delete = None,
            None => {}
        }
    }

    fn mark_deleted(&mut self, ids: Vec<LeadId>) {
        let open_marked = self.form.as_ref().is_some_and(|f| !f.is_new && ids.contains(&f.original.id));
        let change = GroupChange { ids, edit: GroupEdit::MarkDeleted };
        self.run_change(change, "Пометка на удаление");
        if open_marked {
            self.form = None;
        }
        self.view.selection.clear();
    }

    /// The keyboard: F9 copy, Insert new, Enter open, Delete mark, Ctrl+F search, Esc close.
    fn keys_ui(&mut self, ui: &mut egui::Ui) -> Vec<Action> {
        let mut actions = Vec::new();
        let dialog_open = self.wizard.is_some()
            || self.group.is_some()
            || self.confirm_delete.is_some()
            || self.form.as_ref().is_some_and(|f| f.confirm_close);
        if dialog_open {
            return actions;
        }
        use egui::{Key, Modifiers};
        // A clicked row or button holds the focus too; only a text field keeps the keys for itself.
        let typing = ui.ctx().text_edit_focused();
        let (f9, insert, escape, find) = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::F9),
                i.consume_key(Modifiers::NONE, Key::Insert),
                i.consume_key(Modifiers::NONE, Key::Escape),
                i.consume_key(Modifiers::COMMAND, Key::F),
            )
        });
        // Enter, Delete and the arrows belong to a text field while one has the focus.
        let (enter, delete) = if typing {
            (false, false)
        } else {
            ui.input_mut(|i| (i.consume_key(Modifiers::NONE, Key::Enter), i.consume_key(Modifiers::NONE, Key::Delete)))
        };
        if !typing {
            let moves = [
                (Key::ArrowUp, list::Move::Up),
                (Key::ArrowDown, list::Move::Down),
                (Key::PageUp, list::Move::PageUp),
                (Key::PageDown, list::Move::PageDown),
                (Key::Home, list::Move::First),
                (Key::End, list::Move::Last),
            ];
            let pressed = ui.input_mut(|i| {
                let mut pressed = None;
                for (key, to) in moves {
                    // With Shift (stretch the selection), with Ctrl (Ctrl+Home/End) or plain; the
                    // plain pattern last, since it also matches a key pressed with Shift.
                    for modifiers in [Modifiers::SHIFT, Modifiers::COMMAND, Modifiers::NONE] {
                        if i.consume_key(modifiers, key) {
                            pressed = Some((to, modifiers.shift));
                        }
                    }
                }
                pressed
            });
            if let Some((to, extend)) = pressed {
                self.view.apply_if_changed(&mut self.list);
                self.view.move_cursor(&self.list, to, extend);
            }
        }
        if f9 {
            actions.push(Action::Copy);
        }
        if insert {
            actions.push(Action::New);
        }
        if find {
            self.view.focus_search = true;
        }
        if enter && let Some(id) = self.view.cursor {
            actions.push(Action::Open(id));
        }
        if delete {
            actions.push(Action::MarkDeleted);
        }
        if escape && self.form.is_some() {
            actions.push(Action::CloseForm);
        }
        actions
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            let templates = self.view.filter.templates;
            if ui.selectable_label(!templates, "Заявки").clicked() {
                self.view.set_templates(false);
            }
            if ui.selectable_label(templates, "Шаблоны").clicked() {
                self.view.set_templates(true);
            }
            ui.separator();
            if ui.button("Создать").on_hover_text("Новая заявка (Insert)").clicked() {
                actions.push(Action::New);
            }
            ui.menu_button("Создать по шаблону", |ui| {
                let templates: Vec<(LeadId, String)> = self.list_templates();
                if templates.is_empty() {
                    ui.label("Шаблонов пока нет: создайте его мастером шаблона");
                }
                for (id, title) in templates {
                    if ui.button(title).clicked() {
                        actions.push(Action::CopyOf(id));
                        ui.close();
                    }
                }
            });
            if ui.button("Скопировать (F9)").on_hover_text("Новая заявка со всеми реквизитами этой").clicked()
            {
                actions.push(Action::Copy);
            }
            if ui.button("Мастер шаблона").on_hover_text("Мастер шаблона заявки с Roistat маркером").clicked()
            {
                actions.push(Action::Wizard);
            }
            let selected = self.view.selection.len();
            if ui
                .add_enabled(selected > 0, egui::Button::new("Групповое изменение"))
                .on_hover_text("Групповое изменение реквизитов выделенных заявок")
                .on_disabled_hover_text("Выделите заявки: Ctrl+щелчок или Shift+щелчок")
                .clicked()
            {
                actions.push(Action::GroupChange);
            }
            if ui
                .add_enabled(selected > 0, egui::Button::new("Пометить на удаление (Del)"))
                .on_disabled_hover_text("Выделите заявки")
                .clicked()
            {
                actions.push(Action::MarkDeleted);
            }
            if let Some(last) = &self.last_change
                && ui.button("Отменить изменение").on_hover_text(last.what.clone()).clicked()
            {
                actions.push(Action::Undo);
            }
        });
        if let Some(notice) = self.notice.clone() {
            let color = if notice.error { ui.visuals().error_fg_color } else { ui.visuals().weak_text_color() };
            ui.horizontal(|ui| {
                ui.colored_label(color, &notice.text);
                if ui.small_button("×").on_hover_text("Скрыть сообщение").clicked() {
                    self.notice = None;
                }
            });
        }
        ui.add_space(2.0);
    }

    /// Templates for «Создать по шаблону»: a scan of prepared rows, only while the menu is open.
    fn list_templates(&self) -> Vec<(LeadId, String)> {
        let mut templates: Vec<&LeadRow> = self.list.rows().filter(|r| r.is_template && !r.deleted).collect();
        templates.sort_by_key(|r| r.number);
        templates.into_iter().map(|r| (r.id, format!("№ {} {}", r.number, r.title))).collect()
    }

    fn form_panel_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let Some(form) = &mut self.form else { return };
        let out = form.ui(ui, &self.catalog);
        match out {
            form::FormAction::None => {}
            form::FormAction::Save => {
                self.save_form();
            }
            form::FormAction::SaveAndClose => {
                if self.save_form() {
                    self.form = None;
                }
            }
            form::FormAction::Close => self.form = None,
            form::FormAction::Copy => actions.push(Action::Copy),
        }
    }

    /// Saves the open form; false (with the reason shown) when it cannot.
    fn save_form(&mut self) -> bool {
        let now = self.now();
        let Some(form) = &mut self.form else { return false };
        let mut lead = match form.build(now) {
            Ok(lead) => lead,
            Err(e) => {
                form.error = Some(e);
                return false;
            }
        };
        let saved = (|| -> crate::store::Result<Lead> {
            if let Some(client) = form.client_to_save(now) {
                let client = if client.id == 0 {
                    let contact = crate::domain::Contact {
                        name: client.name.clone(),
                        phone: client.phone.clone(),
                        email: client.email.clone(),
                    };
                    let id = self.store.client_for_contact(&contact, now)?;
                    self.store.client(id)?.unwrap_or(Client { id, ..client })
                } else {
                    self.store.put_client(client)?
                };
                lead.client_id = Some(client.id);
                self.clients.insert(client.id, client);
            }
            if form.is_new {
                self.store.add_lead(lead.clone())
            } else {
                self.store.update_lead(&lead)?;
                Ok(lead.clone())
            }
        })();
        match saved {
            Ok(saved) => {
                let number = saved.number;
                let client = saved.client_id.and_then(|id| self.clients.get(&id).cloned());
                form.reset_to(saved, client);
                self.flush();
                self.notify(format!("Заявка № {number} записана"));
                true
            }
            Err(e) => {
                form.error = Some(format!("Заявка не записана: {e}"));
                false
            }
        }
    }

    fn open(&mut self, id: LeadId) {
        if let Some(form) = &self.form
            && !form.is_new
            && form.original.id == id
        {
            // Already open: opening it again must not throw away what is being typed.
            self.view.cursor = Some(id);
            return;
        }
        if self.form.as_ref().is_some_and(|f| f.is_changed()) {
            self.fail("Сначала запишите или закройте открытую заявку (Esc)");
            return;
        }
        match self.store.lead(id) {
            Ok(Some(lead)) => {
                let client = lead.client_id.and_then(|c| self.clients.get(&c).cloned());
                let calls = lead.call_ids.iter().filter_map(|c| self.store.call(*c).ok().flatten()).collect();
                self.view.cursor = Some(id);
                self.form = Some(form::LeadForm::new(lead, client, calls, false, self.tz.clone()));
            }
            Ok(None) => self.fail("Заявка не найдена: возможно, её удалили. Обновите список."),
            Err(e) => self.fail(format!("Не удалось открыть заявку: {e}")),
        }
    }

    fn copy_of(&mut self, id: LeadId) {
        if self.form.as_ref().is_some_and(|f| f.is_changed()) {
            self.fail("Сначала запишите или закройте открытую заявку (Esc)");
            return;
        }
        let now = self.now();
        let copied = (|| -> crate::store::Result<Option<(Lead, Lead)>> {
            let Some(source) = self.store.lead(id)? else { return Ok(None) };
            let copy = source.copy_as_new(now, self.store.initial_status()?);
            Ok(Some((source, copy)))
        })();
        match copied {
            // As in 1C, the copy is a new, unsaved lead: nothing is written (or exported to
            // Roistat) until «Записать».
            Ok(Some((source, mut copy))) => {
                if copy.responsible.is_none() {
                    copy.responsible = self.current_user.map(Responsible::User);
                }
                let what = if source.is_template { "по шаблону" } else { "копия заявки" };
                self.notify(format!(
                    "Новая заявка {what} № {}: проверьте реквизиты и нажмите «Записать»",
                    source.number
                ));
                let client = copy.client_id.and_then(|c| self.clients.get(&c).cloned());
                self.form = Some(form::LeadForm::new(copy, client, Vec::new(), true, self.tz.clone()));
            }
            Ok(None) => self.fail("Заявка для копирования не найдена: обновите список"),
            Err(e) => self.fail(format!("Копия не создана: {e}")),
        }
    }

    fn run(&mut self, action: Action) {
        match action {
            Action::New => {
                if self.form.as_ref().is_some_and(|f| f.is_changed()) {
                    self.fail("Сначала запишите или закройте открытую заявку (Esc)");
                    return;
                }
                let now = self.now();
                let status = self.store.initial_status().ok().flatten();
                let lead = Lead {
                    created: now,
                    updated: now,
                    status_id: status,
                    origin: Origin::Manual,
                    responsible: self.current_user.map(Responsible::User),
                    ..Lead::default()
                };
                self.form = Some(form::LeadForm::new(lead, None, Vec::new(), true, self.tz.clone()));
            }
            Action::Open(id) => self.open(id),
            Action::Copy => {
                let target = match &self.form {
                    Some(form) if !form.is_new => Some(form.original.id),
                    Some(_) => {
                        self.fail("Новая заявка ещё не записана: запишите её, затем копируйте");
                        return;
                    }
                    None => self.view.cursor.or_else(|| self.view.selection.iter().next().copied()),
                };
                match target {
                    Some(id) => self.copy_of(id),
                    None => self.fail("Выберите заявку или шаблон, затем нажмите F9"),
                }
            }
            Action::CopyOf(id) => self.copy_of(id),
            Action::MarkDeleted => {
                self.view.apply_if_changed(&mut self.list);
                let ids = self.view.visible_selection(&self.list);
                if ids.is_empty() {
                    self.fail("Выделите заявки, которые нужно пометить на удаление");
                    return;
                }
                self.confirm_delete = Some(ids);
            }
            Action::Wizard => {
                // The marker paths are held in memory by the store: no read of the facts here.
                let paths = self.store.fact_markers();
                self.wizard = Some(wizard::Wizard::new(&self.catalog, crate::leads::known_markers(&paths)));
            }
            Action::GroupChange => {
                let ids: Vec<LeadId> = self.view.selection.iter().copied().collect();
                if ids.is_empty() {
                    self.fail("Выделите заявки: Ctrl+щелчок или Shift+щелчок по строкам");
                    return;
                }
                // Moving a paid lead back un-counts a sale: the dialog warns how many are paid.
                let paid = ids
                    .iter()
                    .filter_map(|id| self.list.row(*id))
                    .filter(|r| self.catalog.status_group(r.status_id) == Some(StatusGroup::Paid))
                    .count();
                self.group = Some(group_change::GroupDialog::new(ids, paid));
            }
            Action::RunGroupChange(change) => {
                let what = self.catalog.describe(&change.edit);
                self.run_change(change, &what);
            }
            Action::CloseForm => {
                if let Some(form) = &mut self.form {
                    if form.is_changed() {
                        form.confirm_close = true;
                    } else {
                        self.form = None;
                    }
                }
            }
            Action::Undo => {
                let Some(last) = self.last_change.take() else { return };
                let count = last.undo.len();
                match last.undo.apply(&self.store, self.now()) {
                    Ok(()) => {
                        self.flush();
                        self.notify(format!("Изменение отменено: заявок возвращено {count}"));
                    }
                    Err(e) => self.fail(format!("Отменить не удалось: {e}")),
                }
            }
        }
    }

    fn run_change(&mut self, change: GroupChange, what: &str) {
        let count = change.ids.len();
        match change.apply(&self.store, self.now()) {
            Ok(undo) => {
                self.flush();
                self.last_change = Some(LastChange { what: format!("{what}: {count} заявок"), undo });
                self.notify(format!("{what}: изменено заявок {count}. Отменить — «Отменить изменение»"));
            }
            Err(e) => self.fail(format!("Ничего не изменено: {e}")),
        }
    }

    // For the shell, tests and benchmarks.

    /// Rows shown now (after filters).
    pub fn visible_len(&self) -> usize {
        self.list.visible_len()
    }

    /// The search text, as if typed.
    pub fn set_search(&mut self, text: &str) {
        self.view.filter.search = text.to_string();
    }

    /// Opens a lead in the form.
    pub fn open_lead(&mut self, id: LeadId) {
        self.open(id);
    }

    /// Opens the form of a new lead, as Insert does.
    pub fn open_new_lead(&mut self) {
        self.run(Action::New);
    }

    /// Opens the marker-template wizard.
    pub fn open_wizard(&mut self) {
        self.run(Action::Wizard);
    }

    /// The lead open in the form, if any.
    pub fn open_lead_id(&self) -> Option<LeadId> {
        self.form.as_ref().map(|f| f.original.id)
    }

    /// Selected leads (for the group change).
    pub fn selection(&self) -> Vec<LeadId> {
        self.view.selection.iter().copied().collect()
    }
}

impl crate::app::Screen for LeadsScreen {
    fn ui(&mut self, ui: &mut egui::Ui) {
        LeadsScreen::ui(self, ui);
    }
    fn set_current_user(&mut self, user: Option<u64>) {
        LeadsScreen::set_current_user(self, user);
    }
}
