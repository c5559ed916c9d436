//! The leads workspace («Заявки»): the list, the lead form, the marker-template wizard and the group
//! change, as one self-contained screen the app holds ([`crate::app::Screen`]).
//!
//! It never touches the store: it pushes [`LeadsCommand`]s and takes their answers and the store's
//! changes as events. The first load shows a spinner; a save shows «Записывается…» until its answer.

mod compare;
mod form;
mod group_change;
mod list;
mod presence;
mod wizard;

use crate::app::{AppEvent, Change, Command, LeadsCatalog, LeadsCommand, LeadsEvent, OpenedLead, SaveLead};
use crate::domain::{
    Client, ClientId, ExtraField, Lead, LeadId, LeadSource, Origin, Responsible, Role, Status, StatusGroup, User,
};
use crate::leads::{GroupChange, GroupEdit, LeadList, LeadRow, Undo};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The current time; injected so tests are deterministic.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// Reference data the screen shows names from.
#[derive(Default)]
pub(crate) struct Catalog {
    pub statuses: Vec<Status>,
    pub sources: Vec<LeadSource>,
    pub fields: Vec<ExtraField>,
    pub users: Vec<User>,
    /// The status a new lead gets.
    pub initial_status: Option<u64>,
}

impl Catalog {
    fn from_loaded(loaded: LeadsCatalog) -> Catalog {
        Catalog {
            statuses: loaded.statuses,
            sources: loaded.sources,
            fields: loaded.fields,
            users: loaded.users,
            initial_status: loaded.initial_status,
        }
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
    clock: Clock,
    tz: TimeZone,
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
    /// The person at the window: a new lead starts with them as responsible; saves are theirs.
    current_user: Option<(u64, String)>,
    /// A marketer reads leads but does not change them (on a team database the database
    /// refuses it too).
    read_only: bool,
    /// Commands to push with the next frame (asked for while handling an event).
    pending: Vec<LeadsCommand>,
    /// Everything is read again (the first load, a restore, missed changes).
    loading: bool,
    /// Changed leads (and whether clients changed with them) to read with the next frame.
    changed: BTreeSet<LeadId>,
    clients_changed: bool,
    /// A lead asked for the form; a copy asked for; the wizard waiting for the marker paths.
    opening: Option<LeadId>,
    copying: bool,
    wizard_asked: bool,
    /// A group change or an undo under way, with what it does in words.
    changing: Option<String>,
    /// Close the form once the save under way is answered («Записать и закрыть»).
    close_after_save: bool,
    /// Who else has which lead open (team database).
    presences: presence::Presences,
}

impl LeadsScreen {
    /// An empty screen; the first frame asks for the leads, which arrive in the background and
    /// stay fresh from the store's changes afterwards.
    pub fn new(clock: Clock) -> LeadsScreen {
        LeadsScreen {
            clock,
            tz: TimeZone::system(),
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
            read_only: false,
            pending: vec![LeadsCommand::LoadAll],
            loading: true,
            changed: BTreeSet::new(),
            clients_changed: false,
            opening: None,
            copying: false,
            wizard_asked: false,
            changing: None,
            close_after_save: false,
            presences: presence::Presences::default(),
        }
    }

    /// The person working at the window (the shell tells each frame).
    pub fn set_current_user(&mut self, user: Option<&User>) {
        self.current_user = user.map(|u| (u.id, u.name.clone()));
        self.read_only = user.is_some_and(|u| u.role == Role::Marketer);
        if let Some(form) = &mut self.form {
            form.read_only = self.read_only;
        }
    }

    /// Who saves: the name the store records as `changed_by`.
    fn by(&self) -> String {
        self.current_user.as_ref().map(|(_, name)| name.clone()).unwrap_or_default()
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

    fn ask(&mut self, command: LeadsCommand) {
        self.pending.push(command);
    }

    /// Reads everything again (a restore, a lost change).
    fn reload(&mut self) {
        if !self.loading {
            self.loading = true;
            self.ask(LeadsCommand::LoadAll);
        }
    }

    fn row_of(&self, lead: &Lead) -> LeadRow {
        let client = lead.client_id.and_then(|id| self.clients.get(&id));
        let status = lead.status_id.and_then(|id| self.catalog.statuses.iter().find(|s| s.id == id));
        LeadRow::new(lead, client, status, self.catalog.responsible_title(lead.responsible))
    }

    /// Whether the first load or a command of this screen is under way.
    pub fn is_busy(&self) -> bool {
        self.loading
            || !self.pending.is_empty()
            || self.opening.is_some()
            || self.copying
            || self.wizard_asked
            || self.changing.is_some()
            || self.form.as_ref().is_some_and(|f| f.saving || f.refreshing)
    }

    /// A change in the store: what it touched is read with the next frame.
    fn changed(&mut self, change: Change) {
        match change {
            Change::Leads(ids) => self.changed.extend(ids),
            Change::Clients => self.clients_changed = true,
            Change::Catalog => self.ask(LeadsCommand::LoadCatalog),
            Change::Reloaded => self.reload(),
            Change::Presence(presence) => {
                let mine = self.lead_in_form();
                self.presences.heard(presence, mine, std::time::Instant::now());
            }
            Change::Settings | Change::Facts | Change::Calls | Change::Plans | Change::ExchangeLog => {}
        }
    }

    /// The stored lead open in the form.
    fn lead_in_form(&self) -> Option<LeadId> {
        self.form.as_ref().filter(|f| !f.is_new).map(|f| f.original.id)
    }

    /// Tells other windows what this one has open; asks for a frame to repeat it and to let
    /// others' notices fade.
    fn announce_presence(&mut self, ctx: &egui::Context) {
        let mine = self.lead_in_form();
        let now = std::time::Instant::now();
        let who = self.by();
        if let Some(presence) = self.presences.announcement(mine, &who, now) {
            self.ask(LeadsCommand::Announce(presence));
        }
        if let Some(lead) = mine {
            let present = self.presences.present(lead, now);
            if let Some(form) = &mut self.form {
                form.present = present;
            }
            ctx.request_repaint_after(std::time::Duration::from_secs(5));
        }
    }

    /// The reads the changes since the last frame need, as one command.
    fn ask_for_changes(&mut self) {
        if self.loading {
            self.changed.clear();
            self.clients_changed = false;
            return;
        }
        let clients_changed = std::mem::take(&mut self.clients_changed);
        if self.changed.is_empty() {
            // A client change without leads (an edit elsewhere) is rare: read them all. Changed
            // leads come with their clients.
            if clients_changed {
                self.ask(LeadsCommand::LoadClients);
            }
            return;
        }
        let ids = std::mem::take(&mut self.changed).into_iter().collect();
        self.ask(LeadsCommand::LoadLeads(ids));
    }

    /// An answer to one of this screen's commands.
    fn answered(&mut self, event: LeadsEvent) {
        match event {
            LeadsEvent::All(result) => {
                self.loading = false;
                match result {
                    Ok(data) => {
                        let data = *data;
                        let catalog = Catalog::from_loaded(data.catalog);
                        self.list = LeadList::build(&data.leads, &data.clients, &catalog.statuses, &catalog.users);
                        self.clients = data.clients.into_iter().map(|c| (c.id, c)).collect();
                        self.catalog = catalog;
                        self.view.invalidate();
                    }
                    Err(e) => self.fail(format!("Не удалось прочитать заявки: {e}")),
                }
            }
            LeadsEvent::Catalog(result) => match result {
                Ok(loaded) => {
                    // Status names are baked into rows: a renamed status needs them rebuilt.
                    let statuses_changed = loaded.statuses != self.catalog.statuses;
                    self.catalog = Catalog::from_loaded(*loaded);
                    if statuses_changed {
                        self.reload();
                    }
                }
                Err(e) => self.fail(format!("Не удалось прочитать справочники: {e}")),
            },
            LeadsEvent::Clients(result) => match result {
                Ok(all) => self.clients = all.into_iter().map(|c| (c.id, c)).collect(),
                Err(e) => self.fail(format!("Не удалось прочитать клиентов: {e}")),
            },
            LeadsEvent::Leads(result) => match result {
                Ok((leads, clients)) => {
                    for client in clients {
                        self.clients.insert(client.id, client);
                    }
                    for lead in &leads {
                        let row = self.row_of(lead);
                        self.list.upsert(row);
                    }
                    self.view.invalidate();
                }
                Err(e) => self.fail(format!("Не удалось обновить список заявок: {e}")),
            },
            LeadsEvent::Opened(result) => self.opened(result),
            LeadsEvent::History(id, result) => {
                if let Some(form) = &mut self.form
                    && !form.is_new
                    && form.original.id == id
                {
                    form.history = Some(result);
                }
            }
            LeadsEvent::Copied(result) => self.copied(result),
            LeadsEvent::Saved(saved) => self.saved(saved.lead, saved.client),
            LeadsEvent::Failed(e) => {
                self.close_after_save = false;
                if let Some(form) = &mut self.form {
                    form.saving = false;
                    form.error = Some(e);
                }
            }
            LeadsEvent::Announced => {}
            LeadsEvent::Conflict { message, by, current } => {
                self.close_after_save = false;
                if let Some(form) = &mut self.form {
                    form.saving = false;
                    form.conflict = Some(form::Conflict { message, by, current: *current, clashes: None });
                }
            }
            LeadsEvent::GroupChanged(result) => {
                let what = self.changing.take().unwrap_or_default();
                match result {
                    Ok(done) => {
                        let skipped = if done.skipped > 0 {
                            format!("; не изменено {}: их только что изменил кто-то другой", done.skipped)
                        } else {
                            String::new()
                        };
                        self.notify(format!(
                            "{what}: изменено заявок {}{skipped}. Отменить — «Отменить изменение»",
                            done.changed
                        ));
                        self.last_change = Some(LastChange {
                            what: format!("{what}: {} заявок", done.changed),
                            undo: done.undo,
                        });
                    }
                    Err(e) => self.fail(format!("Ничего не изменено: {e}")),
                }
            }
            LeadsEvent::Undone(result) => {
                self.changing = None;
                match result {
                    Ok(done) if done.skipped > 0 => self.notify(format!(
                        "Изменение отменено: заявок возвращено {}; пропущено {}: их изменили после вас, их изменения оставлены",
                        done.restored, done.skipped
                    )),
                    Ok(done) => self.notify(format!("Изменение отменено: заявок возвращено {}", done.restored)),
                    Err(e) => self.fail(format!("Отменить не удалось: {e}")),
                }
            }
            LeadsEvent::SourceCreated(result) => {
                if let Some(wizard) = &mut self.wizard {
                    match result {
                        Ok(saved) => wizard.source_created(saved.id),
                        Err(e) => wizard.failed(format!("Источник не создан: {e}")),
                    }
                }
            }
            LeadsEvent::TemplateAdded(result) => match result {
                Ok(template) => {
                    self.wizard = None;
                    self.notify(format!(
                        "Шаблон «{}» (№ {}) создан: он на вкладке «Шаблоны»; новые заявки по нему — «Создать по шаблону» или F9",
                        template.title, template.number
                    ));
                }
                Err(e) => match &mut self.wizard {
                    Some(wizard) => wizard.failed(format!("Шаблон не записан: {e}")),
                    None => self.fail(format!("Шаблон не записан: {e}")),
                },
            },
            LeadsEvent::MarkerPaths(result) => {
                self.wizard_asked = false;
                match result {
                    Ok(paths) => {
                        self.wizard = Some(wizard::Wizard::new(&self.catalog, crate::leads::known_markers(&paths)));
                    }
                    Err(e) => self.fail(format!("Мастер шаблона не открыт: {e}")),
                }
            }
        }
    }

    /// Draws the screen and handles its keys. Never waits for the disk.
    pub fn ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        self.ask_for_changes();
        self.announce_presence(ui.ctx());
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
                wizard::Outcome::CreateSource(source) => {
                    self.pending.push(LeadsCommand::CreateSource(Box::new(source)))
                }
                wizard::Outcome::Finish(template) => {
                    self.pending.push(LeadsCommand::AddTemplate(Box::new(Lead { changed_by: self.by(), ..*template })))
                }
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
            if self.read_only && !matches!(action, Action::Open(_) | Action::CloseForm) {
                continue;
            }
            self.run(action);
        }
        commands.extend(self.pending.drain(..).map(Command::Leads));
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
            if self.read_only {
                ui.weak("Только просмотр: заявки изменяют менеджеры и администраторы");
                return;
            }
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
        if self.loading {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Загрузка заявок…");
            });
        }
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
            form::FormAction::Save => self.save_form(false),
            form::FormAction::SaveAndClose => {
                self.close_after_save = true;
                self.save_form(false);
            }
            form::FormAction::Overwrite => self.save_form(true),
            form::FormAction::Refresh => {
                if let Some(form) = &mut self.form {
                    form.refreshing = true;
                    let id = form.original.id;
                    self.opening = Some(id);
                    self.ask(LeadsCommand::Open(id));
                }
            }
            form::FormAction::Close => self.form = None,
            form::FormAction::Copy => actions.push(Action::Copy),
        }
    }

    /// «Записать»: sends the form's lead, and for a lead that exists the version it was loaded at,
    /// so the store applies only what this form changed. `overwrite`: «Записать поверх».
    fn save_form(&mut self, overwrite: bool) {
        let now = self.now();
        let by = self.by();
        let Some(form) = &mut self.form else { return };
        if form.saving {
            return;
        }
        let edited = match form.build(now) {
            Ok(lead) => lead,
            Err(e) => {
                form.error = Some(e);
                self.close_after_save = false;
                return;
            }
        };
        form.error = None;
        form.conflict = None;
        form.saving = true;
        let save = SaveLead {
            edited,
            loaded: (!form.is_new).then(|| form.original.clone()),
            client: form.client_to_save(now),
            overwrite,
            by,
        };
        self.ask(LeadsCommand::Save(Box::new(save)));
    }

    fn saved(&mut self, lead: Lead, client: Option<Client>) {
        let number = lead.number;
        if let Some(client) = &client {
            self.clients.insert(client.id, client.clone());
        }
        if let Some(form) = &mut self.form
            && (form.is_new || form.original.id == lead.id)
        {
            let id = lead.id;
            form.reset_to(lead, client);
            if std::mem::take(&mut self.close_after_save) {
                self.form = None;
            } else {
                self.ask(LeadsCommand::History(id));
            }
        }
        self.notify(format!("Заявка № {number} записана"));
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
        self.view.cursor = Some(id);
        self.opening = Some(id);
        self.ask(LeadsCommand::Open(id));
    }

    fn opened(&mut self, result: Result<Option<Box<OpenedLead>>, String>) {
        let asked = self.opening.take();
        let now = self.now();
        match result.map(|opened| opened.map(|o| (o.lead, o.calls))) {
            Ok(Some((lead, calls))) => {
                if let Some(form) = &mut self.form
                    && form.refreshing
                    && form.original.id == lead.id
                {
                    // «Обновить» after a conflict: the lead as it is now, with what this form
                    // changed in fields nobody else changed.
                    form.rebase(lead, calls, now);
                    return;
                }
                // A click elsewhere or typing in the open form since: the answer is stale.
                if asked != Some(lead.id) || self.form.as_ref().is_some_and(|f| f.is_changed()) {
                    return;
                }
                let client = lead.client_id.and_then(|c| self.clients.get(&c).cloned());
                self.ask(LeadsCommand::History(lead.id));
                let mut form = form::LeadForm::new(lead, client, calls, false, self.tz.clone());
                form.read_only = self.read_only;
                self.form = Some(form);
            }
            Ok(None) => {
                if let Some(form) = &mut self.form {
                    form.refreshing = false;
                }
                self.fail("Заявка не найдена: возможно, её удалили. Обновите список.");
            }
            Err(e) => {
                if let Some(form) = &mut self.form {
                    form.refreshing = false;
                }
                self.fail(format!("Не удалось открыть заявку: {e}"));
            }
        }
    }

    fn copy_of(&mut self, id: LeadId) {
        if self.form.as_ref().is_some_and(|f| f.is_changed()) {
            self.fail("Сначала запишите или закройте открытую заявку (Esc)");
            return;
        }
        self.copying = true;
        self.ask(LeadsCommand::Copy(id));
    }

    fn copied(&mut self, result: Result<Option<Box<Lead>>, String>) {
        self.copying = false;
        match result {
            // As in 1C, the copy is a new, unsaved lead: nothing is written (or exported to
            // Roistat) until «Записать».
            Ok(Some(source)) => {
                let mut copy = source.copy_as_new(self.now(), self.catalog.initial_status);
                if copy.responsible.is_none() {
                    copy.responsible = self.current_user.as_ref().map(|(id, _)| Responsible::User(*id));
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
                let lead = Lead {
                    created: now,
                    updated: now,
                    status_id: self.catalog.initial_status,
                    origin: Origin::Manual,
                    responsible: self.current_user.as_ref().map(|(id, _)| Responsible::User(*id)),
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
                // The wizard offers the channels, sources and campaigns figures were loaded for.
                if !self.wizard_asked {
                    self.wizard_asked = true;
                    self.ask(LeadsCommand::MarkerPaths);
                }
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
                if self.changing.is_some() {
                    return;
                }
                let Some(last) = self.last_change.take() else { return };
                self.changing = Some(last.what);
                let by = self.by();
                self.ask(LeadsCommand::Undo { undo: last.undo, by });
            }
        }
    }

    fn run_change(&mut self, change: GroupChange, what: &str) {
        if self.changing.is_some() {
            self.fail("Предыдущее изменение ещё выполняется: дождитесь его окончания");
            return;
        }
        self.changing = Some(what.to_string());
        let by = self.by();
        self.ask(LeadsCommand::GroupChange { change, by });
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
    fn ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        LeadsScreen::ui(self, ui, commands);
    }

    fn on_event(&mut self, event: AppEvent, _commands: &mut Vec<Command>) {
        match event {
            AppEvent::Leads(answer) => self.answered(answer),
            AppEvent::Changed(change) => self.changed(change),
            _ => {}
        }
    }

    fn set_current_user(&mut self, user: Option<&User>) {
        LeadsScreen::set_current_user(self, user);
    }

    fn is_busy(&self) -> bool {
        LeadsScreen::is_busy(self)
    }
}

impl crate::domain::CatalogNames for Catalog {
    fn status_name(&self, id: Option<u64>) -> String {
        Catalog::status_name(self, id)
    }
    fn source_name(&self, id: Option<u64>) -> String {
        Catalog::source_name(self, id)
    }
    fn field_name(&self, dev_name: &str) -> String {
        Catalog::field_name(self, dev_name)
    }
    fn responsible_title(&self, responsible: Option<Responsible>) -> String {
        Catalog::responsible_title(self, responsible)
    }
}
