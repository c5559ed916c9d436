//! «Журнал обмена»: every request from Roistat, newest first, with filters and a detail view.
//!
//! The log keeps up to 100 000 entries, too many to hold in the window (entries carry parameters
//! and answers). So the screen holds only the ids that pass the filters — found by one pass over
//! the whole log in the background — and reads the entries of the rows in view page by page,
//! also in the background. New entries arrive on `ExchangeLogged` and are put on top.

use super::note;
use crate::app::Command;
use crate::app::admin::{AdminCommand, EXCHANGE_PAGE as PAGE, ExchangeRead, Loaded};
use crate::domain::{ExchangeEntry, ExchangeFilter, MASK, Outcome, PeriodPreset, is_secret_param};
use crate::report::fmt_count;
use crate::ui::Window;
use egui::RichText;
use egui_extras::{Column, TableBuilder};
use std::collections::{HashMap, HashSet};

/// Entries kept in memory; beyond it those far from the view are dropped (they are read again
/// when scrolled back to).
const CACHE: usize = 4 * PAGE;
const ROW_HEIGHT: f32 = 20.0;
/// A pause in typing after which the search runs (a pass over the whole log each time).
const SEARCH_DELAY: f64 = 0.4;

/// The filters as chosen on screen; the period becomes a moment when a search starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Chosen {
    action: Option<String>,
    outcome: Option<Outcome>,
    period: PeriodPreset,
    text: String,
}

impl Chosen {
    fn filter(&self) -> ExchangeFilter {
        ExchangeFilter {
            action: self.action.clone(),
            outcome: self.outcome,
            since: jiff::Timestamp::from_second(now_second()).ok().and_then(|now| {
                let today = now.to_zoned(jiff::tz::TimeZone::system()).date();
                self.period.moments(now, &jiff::tz::TimeZone::system(), (today, today)).map(|(from, _)| from)
            }),
            text: self.text.clone(),
        }
    }
}

fn now_second() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[derive(Default)]
pub struct ExchangeScreen {
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    pub period: PeriodPreset,
    /// The search field as typed; it applies after a pause or Enter.
    pub search: String,
    search_edited_at: Option<f64>,
    search_applied: String,
    /// The filters `ids` were found with.
    applied: Option<Chosen>,
    /// Ids of the entries that pass the filters, newest first: the table's rows.
    pub ids: Vec<u64>,
    /// Whether `ids` cover the whole log (the pass has finished).
    pub scanned: bool,
    /// Every action in the log, for the action filter.
    pub actions: Vec<String>,
    /// Entries the log keeps (from the last pass or read).
    pub total: usize,
    /// Entries read so far, by id.
    cache: HashMap<u64, ExchangeEntry>,
    /// Ids being read.
    asked: HashSet<u64>,
    /// The newest id looked at; later ones are read on `ExchangeLogged`.
    newest: u64,
    generation: u64,
    refreshing: bool,
    /// New entries were logged since the last read.
    pub stale: bool,
    pub selected: Option<ExchangeEntry>,
    pub error: Option<String>,
    scroll_to: Option<usize>,
    /// The table's scroll position and the rows put on top since it was taken, to keep the view
    /// still while new entries arrive.
    offset: f32,
    shift_rows: usize,
    /// What the last «Создать реквизит …» did: the field made, or why not.
    pub field_created: Option<Result<String, String>>,
}

impl ExchangeScreen {
    /// Everything may have changed (a restore): read the log again.
    pub(super) fn reset(&mut self) {
        self.applied = None;
        self.ids.clear();
        self.cache.clear();
        self.selected = None;
        self.newest = 0;
    }

    pub(super) fn on_field_created(&mut self, result: Result<String, String>) {
        self.field_created = Some(result);
    }

    /// Whether the entry of a row is in memory (tests wait on it).
    pub fn is_loaded(&self, id: u64) -> bool {
        self.cache.contains_key(&id)
    }

    fn chosen(&self) -> Chosen {
        Chosen {
            action: self.action.clone(),
            outcome: self.outcome,
            period: self.period,
            text: self.search_applied.clone(),
        }
    }

    /// Starts the pass over the whole log for the current filters, and reads the newest page so
    /// the table is not empty meanwhile.
    fn search(&mut self, commands: &mut Vec<Command>) {
        let chosen = self.chosen();
        self.generation += 1;
        self.applied = Some(chosen.clone());
        self.scanned = false;
        // Reads under way belong to the old filters; their answers are dropped.
        self.refreshing = false;
        self.ids.clear();
        self.asked.clear();
        self.shift_rows = 0;
        self.scroll_to = Some(0);
        self.error = None;
        let (generation, filter) = (self.generation, chosen.filter());
        read(commands, ExchangeRead::First { generation, filter: filter.clone() });
        read(commands, ExchangeRead::Scan { generation, filter });
    }

    fn read_fresh(&mut self, commands: &mut Vec<Command>) {
        let Some(chosen) = &self.applied else { return };
        self.stale = false;
        self.refreshing = true;
        read(
            commands,
            ExchangeRead::Fresh { generation: self.generation, after: self.newest, filter: chosen.filter() },
        );
    }

    /// Reads the pages of the rows `first..=last` whose entries are not in memory.
    fn read_rows(&mut self, first: usize, last: usize, commands: &mut Vec<Command>) {
        let start = first / PAGE * PAGE;
        let end = ((last / PAGE + 1) * PAGE).min(self.ids.len());
        if start >= end {
            return;
        }
        let missing: Vec<u64> = self.ids[start..end]
            .iter()
            .copied()
            .filter(|id| !self.cache.contains_key(id) && !self.asked.contains(id))
            .collect();
        if missing.is_empty() {
            return;
        }
        self.asked.extend(missing.iter().copied());
        if self.cache.len() + missing.len() > CACHE {
            // Keep what is near the view; the rest is read again when needed.
            let near: HashSet<u64> =
                self.ids[first.saturating_sub(PAGE)..(last + PAGE).min(self.ids.len())].iter().copied().collect();
            self.cache.retain(|id, _| near.contains(id));
        }
        read(commands, ExchangeRead::Page { generation: self.generation, ids: missing });
    }

    pub(super) fn on_loaded(&mut self, loaded: Loaded) {
        match loaded {
            Loaded::Scan { generation, result } if generation == self.generation => match result {
                Ok(scan) => {
                    self.ids = scan.ids;
                    self.actions = scan.actions;
                    self.newest = scan.newest;
                    self.total = scan.total;
                    self.scanned = true;
                    // Entries logged during the pass are read next.
                    self.stale = true;
                }
                Err(e) => self.error = Some(e),
            },
            Loaded::First { generation, result } if generation == self.generation && !self.scanned => match result {
                Ok(page) => {
                    self.ids = page.iter().map(|e| e.id).collect();
                    self.cache.extend(page.into_iter().map(|e| (e.id, e)));
                }
                Err(e) => self.error = Some(e),
            },
            Loaded::Page { generation, asked, entries } if generation == self.generation => {
                for id in &asked {
                    self.asked.remove(id);
                }
                let found: HashSet<u64> = entries.iter().map(|e| e.id).collect();
                self.cache.extend(entries.into_iter().map(|e| (e.id, e)));
                // Not found: dropped above the log's capacity since the pass.
                let gone: HashSet<u64> = asked.into_iter().filter(|id| !found.contains(id)).collect();
                if !gone.is_empty() {
                    self.ids.retain(|id| !gone.contains(id));
                }
            }
            Loaded::Fresh { generation, result } if generation == self.generation => {
                self.refreshing = false;
                match result {
                    Ok(fresh) => {
                        self.newest = self.newest.max(fresh.newest);
                        self.total = fresh.total;
                        for action in fresh.actions {
                            if !self.actions.contains(&action) {
                                self.actions.push(action);
                            }
                        }
                        self.actions.sort();
                        let top = self.ids.first().copied();
                        let added: Vec<u64> = fresh.ids.into_iter().filter(|id| top < Some(*id)).collect();
                        self.shift_rows += added.len();
                        self.ids.splice(0..0, added);
                        self.cache.extend(fresh.entries.into_iter().map(|e| (e.id, e)));
                        if let Some(oldest) = fresh.oldest {
                            // Newest first: the dropped ones are at the end.
                            let kept = self.ids.partition_point(|id| *id >= oldest);
                            self.ids.truncate(kept);
                        }
                    }
                    Err(e) => self.error = Some(e),
                }
            }
            Loaded::Failed { generation, asked, error } if generation == self.generation => {
                self.error = Some(error);
                for id in &asked {
                    self.asked.remove(id);
                }
            }
            // An answer for filters no longer on screen.
            _ => {}
        }
    }
}

/// Asks the app for a read of the log; its answer comes back as [`Loaded`].
fn read(commands: &mut Vec<Command>, read: ExchangeRead) {
    commands.push(Command::Admin(AdminCommand::Exchange(read)));
}

/// The action in words, with Roistat's own name for it (what its settings and the README call it).
fn action_title(action: &str) -> std::borrow::Cow<'_, str> {
    let words = match action {
        "" => return "Проверка подключения".into(),
        "lead" => "Заявка",
        "message" => "Комментарий",
        "task" => "Задача",
        "call" => "Звонок",
        "export" => "Выгрузка заказов",
        "export_clients" => "Выгрузка клиентов",
        "import_scheme" => "Схема статусов и полей",
        other => return other.into(),
    };
    format!("{words} ({action})").into()
}

/// What a request was about, from its parameters: the lead's name, phone and title, or the lead
/// a comment, task or call belongs to.
fn subject(e: &ExchangeEntry) -> String {
    let param = |name: &str| e.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    match e.action.as_str() {
        "lead" => ["name", "phone", "title"].iter().filter_map(|k| param(k)).collect::<Vec<_>>().join(", "),
        "message" | "task" | "call" => ["leadId", "lead_id", "element_id", "order_id"]
            .iter()
            .find_map(|k| param(k))
            .map(|id| format!("заявка id {id}"))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn duration(micros: u64) -> String {
    if micros >= 1_000_000 { format!("{:.1} с", micros as f64 / 1e6) } else { format!("{} мс", micros / 1000) }
}

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    let (screen, commands) = (&mut app.admin.exchange, &mut app.app.commands);
    ui.heading("Журнал обмена");
    note(ui, "Каждый запрос Roistat к HTTP-сервису: время, действие, результат, длительность, ошибка. Секреты скрыты.");
    filters_ui(ui, screen);
    if screen.applied.as_ref() != Some(&screen.chosen()) {
        screen.search(commands);
    } else if screen.scanned && screen.stale && !screen.refreshing {
        screen.read_fresh(commands);
    }
    if let Some(e) = &screen.error {
        super::error_label(ui, e);
    }
    let total = screen.total;
    let filtered = screen.applied.as_ref().is_some_and(|c| *c != Chosen::default());
    let mut go_newest = false;
    let mut go_oldest = false;
    ui.horizontal(|ui| {
        if screen.scanned {
            let shown = if filtered {
                format!("Записей: {} из {}", fmt_count(screen.ids.len() as u64), fmt_count(total as u64))
            } else {
                format!("Записей: {}", fmt_count(total as u64))
            };
            ui.label(shown);
        } else {
            ui.spinner();
            ui.label("Поиск по всему журналу…");
        }
        ui.add_space(16.0);
        go_newest = ui.add_enabled(!screen.ids.is_empty(), egui::Button::new("К новым")).clicked();
        go_oldest =
            ui.add_enabled(screen.scanned && !screen.ids.is_empty(), egui::Button::new("К самым старым")).clicked();
    });
    if go_newest {
        screen.scroll_to = Some(0);
    }
    if go_oldest {
        screen.scroll_to = screen.ids.len().checked_sub(1);
    }
    if screen.ids.is_empty() {
        if screen.scanned {
            ui.label(if filtered {
                "Нет запросов, подходящих под фильтры."
            } else {
                "Запросов ещё не было."
            });
        }
        return;
    }
    let table_height =
        if screen.selected.is_some() { (ui.available_height() * 0.55).max(160.0) } else { ui.available_height() };
    let row_step = ROW_HEIGHT + ui.spacing().item_spacing.y;
    let mut pick = None;
    let mut in_view: Option<(usize, usize)> = None;
    let output = ui
        .allocate_ui(egui::vec2(ui.available_width(), table_height), |ui| {
            // Selectable text would take the click off the row; the detail view has the text.
            ui.style_mut().interaction.selectable_labels = false;
            let mut table = TableBuilder::new(ui)
                .id_salt("exchange")
                .striped(true)
                .sense(egui::Sense::click())
                .animate_scrolling(false)
                .column(Column::exact(70.0))
                .column(Column::exact(150.0))
                .column(Column::initial(110.0).clip(true))
                .column(Column::initial(110.0))
                .column(Column::exact(50.0))
                .column(Column::exact(100.0))
                .column(Column::remainder().clip(true));
            if let Some(row) = screen.scroll_to.take() {
                table = table.scroll_to_row(row, Some(egui::Align::Center));
            } else if screen.shift_rows > 0 && screen.offset > 0.0 {
                table = table.vertical_scroll_offset(screen.offset + screen.shift_rows as f32 * row_step);
            }
            screen.shift_rows = 0;
            table
                .header(22.0, |mut h| {
                    for t in ["№", "Время", "Действие", "Результат", "HTTP", "Длительность", "Ошибка или о чём запрос"]
                    {
                        h.col(|ui| {
                            ui.strong(t);
                        });
                    }
                })
                .body(|body| {
                    body.rows(ROW_HEIGHT, screen.ids.len(), |mut row| {
                        let index = row.index();
                        in_view = Some(in_view.map_or((index, index), |(a, b)| (a.min(index), b.max(index))));
                        let id = screen.ids[index];
                        row.set_selected(screen.selected.as_ref().is_some_and(|s| s.id == id));
                        row.col(|ui| {
                            ui.label(id.to_string());
                        });
                        let Some(e) = screen.cache.get(&id) else {
                            row.col(|ui| {
                                ui.weak("…");
                            });
                            return;
                        };
                        row.col(|ui| {
                            ui.label(super::time(e.at));
                        });
                        row.col(|ui| {
                            ui.label(action_title(&e.action));
                        });
                        // A failed request stands out; a good one stays quiet.
                        let failed = e.outcome != Outcome::Ok;
                        row.col(|ui| {
                            let title = RichText::new(e.outcome.title());
                            ui.label(if failed { title.color(ui.visuals().error_fg_color) } else { title });
                        });
                        row.col(|ui| {
                            let status = RichText::new(e.http_status.to_string());
                            ui.label(if e.http_status >= 400 {
                                status.color(ui.visuals().error_fg_color)
                            } else {
                                status
                            });
                        });
                        row.col(|ui| {
                            ui.label(duration(e.duration_micros));
                        });
                        row.col(|ui| {
                            // The error, else what the request was about; a link only where there is more.
                            let text = if e.error.is_empty() { subject(e) } else { e.error.clone() };
                            let more = !e.params.is_empty() || !e.answer.is_empty() || !e.error.is_empty();
                            let link = RichText::new(if text.is_empty() { "подробнее" } else { &text });
                            // A warning (the lead is in, something is missing) reads as one.
                            let link = if e.is_warning() { link.color(ui.visuals().warn_fg_color) } else { link };
                            if more && ui.link(link).clicked() {
                                pick = Some(id);
                            } else if !more && !text.is_empty() {
                                ui.label(text);
                            }
                        });
                        if row.response().clicked() {
                            pick = Some(id);
                        }
                    });
                })
        })
        .inner;
    screen.offset = output.state.clamped_offset().y;
    if let Some((first, last)) = in_view {
        screen.read_rows(first, last, commands);
    }
    if let Some(id) = pick {
        screen.field_created = None;
        screen.selected = match &screen.selected {
            Some(s) if s.id == id => None,
            _ => screen.cache.get(&id).cloned(),
        };
    }
    if let Some(e) = &screen.selected {
        let fields = &app.app.lists.extra_fields;
        let missing = e.missing_field_keys(|k| fields.iter().any(|f| f.dev_name == k));
        if let Some(dev_name) = detail_ui(ui, e, &missing, &screen.field_created) {
            screen.field_created = None;
            commands.push(Command::Admin(AdminCommand::CreateField(dev_name)));
        }
    }
}

fn filters_ui(ui: &mut egui::Ui, screen: &mut ExchangeScreen) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Действие:");
        let current = screen.action.as_deref().map(|a| action_title(a).into_owned()).unwrap_or_else(|| "Все".into());
        let combo = egui::ComboBox::from_id_salt("exchange_action").selected_text(&current).show_ui(ui, |ui| {
            if ui.selectable_label(screen.action.is_none(), "Все").clicked() {
                screen.action = None;
            }
            for a in &screen.actions {
                if ui.selectable_label(screen.action.as_ref() == Some(a), action_title(a)).clicked() {
                    screen.action = Some(a.clone());
                }
            }
        });
        crate::ui::widgets::name_combo(&combo.response, "Действие", &current);
        ui.label("Результат:");
        let current = screen.outcome.map(Outcome::title).unwrap_or("Все");
        let combo = egui::ComboBox::from_id_salt("exchange_outcome").selected_text(current).show_ui(ui, |ui| {
            if ui.selectable_label(screen.outcome.is_none(), "Все").clicked() {
                screen.outcome = None;
            }
            for o in Outcome::ALL {
                if ui.selectable_label(screen.outcome == Some(o), o.title()).clicked() {
                    screen.outcome = Some(o);
                }
            }
        });
        crate::ui::widgets::name_combo(&combo.response, "Результат", current);
        ui.label("Период:");
        let current = screen.period.title();
        let combo = egui::ComboBox::from_id_salt("exchange_period").selected_text(current).show_ui(ui, |ui| {
            for p in PeriodPreset::EXCHANGE_LOG {
                ui.selectable_value(&mut screen.period, p, p.title());
            }
        });
        crate::ui::widgets::name_combo(&combo.response, "Период", current);
        let l = ui.label("Поиск:");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut screen.search)
                    .hint_text("телефон, ошибка, адрес…")
                    .desired_width(220.0),
            )
            .labelled_by(l.id);
        let now = ui.input(|i| i.time);
        if r.changed() {
            screen.search_edited_at = Some(now);
        }
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if let Some(at) = screen.search_edited_at {
            if enter || now - at >= SEARCH_DELAY {
                screen.search_edited_at = None;
                screen.search_applied = screen.search.trim().to_string();
            } else {
                ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(SEARCH_DELAY));
            }
        }
    });
}

/// The entry in full; a warning about missing fields offers «Создать реквизит …» for each key
/// `missing` names. Returns the developer name to create when one was pressed.
fn detail_ui(
    ui: &mut egui::Ui,
    e: &ExchangeEntry,
    missing: &[String],
    created: &Option<Result<String, String>>,
) -> Option<String> {
    let mut create = None;
    ui.separator();
    ui.label(
        RichText::new(format!("Запрос № {} — {} — {}", e.id, super::time(e.at), action_title(&e.action))).strong(),
    );
    ui.label(format!("Адрес: {}; результат: {}; HTTP {}", e.remote, e.outcome.title(), e.http_status));
    if e.is_warning() {
        ui.colored_label(ui.visuals().warn_fg_color, &e.error);
    } else if !e.error.is_empty() {
        super::error_label(ui, &e.error);
    }
    if !missing.is_empty() {
        ui.horizontal_wrapped(|ui| {
            for key in missing {
                if ui
                    .button(format!("Создать реквизит «{key}»"))
                    .on_hover_text(format!(
                        "Создать доп. реквизит с именем для разработчиков «{key}»: следующие заявки заполнят его"
                    ))
                    .clicked()
                {
                    create = Some(key.clone());
                }
            }
        });
    }
    match created {
        Some(Ok(name)) => super::ok_label(
            ui,
            &format!("Реквизит «{name}» создан: его можно переименовать в «Доп. реквизиты и статусы»"),
        ),
        Some(Err(why)) => super::error_label(ui, why),
        None => {}
    }
    egui::ScrollArea::vertical().id_salt("exchange_detail").show(ui, |ui| {
        ui.label(RichText::new("Параметры").strong());
        for (k, v) in &e.params {
            // The service masks secrets already; mask again in case of an older log.
            let v = if is_secret_param(k) { MASK } else { v.as_str() };
            ui.label(RichText::new(format!("{k} = {v}")).monospace());
        }
        ui.label(RichText::new("Ответ").strong());
        ui.label(RichText::new(&e.answer).monospace());
    });
    create
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_says_which_lead_it_was_about() {
        let entry = |action: &str, params: &[(&str, &str)]| ExchangeEntry {
            id: 1,
            at: jiff::Timestamp::UNIX_EPOCH,
            remote: "127.0.0.1".into(),
            action: action.into(),
            outcome: Outcome::Ok,
            http_status: 200,
            duration_micros: 0,
            error: String::new(),
            params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            answer: String::new(),
            request_bytes: 0,
        };
        let lead = entry("lead", &[("name", "Иван"), ("phone", "+7 916 123-45-67"), ("title", "Окна"), ("token", "x")]);
        assert_eq!(subject(&lead), "Иван, +7 916 123-45-67, Окна");
        assert_eq!(subject(&entry("message", &[("leadId", "42"), ("message", "перезвонить")])), "заявка id 42");
        assert_eq!(subject(&entry("export", &[("date", "0")])), "");
    }
}
