//! «Журнал обмена»: every request from Roistat, newest first, with filters and a detail view.
//! Rows are virtualised; new entries arrive on `ExchangeLogged` without re-reading the log.

use super::note;
use crate::app::App;
use crate::domain::{ExchangeEntry, MASK, Outcome, is_secret_param};
use egui::RichText;
use egui_extras::{Column, TableBuilder};

/// How many of the newest entries the screen holds: entries keep parameters and answers, so the
/// whole log (up to 100 000 entries) would not fit comfortably in memory, and this many read in a
/// few milliseconds.
pub const SHOWN: usize = 5_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PeriodFilter {
    #[default]
    All,
    Hour,
    Day,
    Week,
}

impl PeriodFilter {
    const ALL: [PeriodFilter; 4] = [PeriodFilter::All, PeriodFilter::Hour, PeriodFilter::Day, PeriodFilter::Week];
    fn title(self) -> &'static str {
        match self {
            PeriodFilter::All => "За всё время",
            PeriodFilter::Hour => "За час",
            PeriodFilter::Day => "За сутки",
            PeriodFilter::Week => "За неделю",
        }
    }
    fn seconds(self) -> Option<i64> {
        match self {
            PeriodFilter::All => None,
            PeriodFilter::Hour => Some(3600),
            PeriodFilter::Day => Some(86_400),
            PeriodFilter::Week => Some(7 * 86_400),
        }
    }
}

#[derive(Default)]
pub struct ExchangeScreen {
    /// Newest first.
    pub entries: Vec<ExchangeEntry>,
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    pub period: PeriodFilter,
    pub selected: Option<u64>,
    pub error: Option<String>,
    pub stale: bool,
    loaded: bool,
}

impl ExchangeScreen {
    pub(super) fn reset(&mut self) {
        self.entries.clear();
        self.loaded = false;
    }

    fn refresh(&mut self, store: &crate::store::Store) {
        let result = if self.loaded {
            let newest = self.entries.first().map_or(0, |e| e.id);
            store.exchange_after(newest).map(|mut fresh| {
                fresh.sort_by_key(|e| std::cmp::Reverse(e.id));
                fresh.append(&mut self.entries);
                fresh.truncate(SHOWN);
                fresh
            })
        } else {
            store.exchange_newest(SHOWN)
        };
        match result {
            Ok(entries) => {
                self.entries = entries;
                self.loaded = true;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
        self.stale = false;
    }

    /// The entries the filters let through, newest first.
    pub fn filtered(&self) -> Vec<&ExchangeEntry> {
        let since = self.period.seconds().map(|s| jiff::Timestamp::now().as_second() - s);
        self.entries
            .iter()
            .filter(|e| self.action.as_ref().is_none_or(|a| &e.action == a))
            .filter(|e| self.outcome.is_none_or(|o| e.outcome == o))
            .filter(|e| since.is_none_or(|s| e.at.as_second() >= s))
            .collect()
    }
}

fn action_title(action: &str) -> &str {
    if action.is_empty() { "(проверка)" } else { action }
}

fn duration(micros: u64) -> String {
    if micros >= 1_000_000 { format!("{:.1} с", micros as f64 / 1e6) } else { format!("{} мс", micros / 1000) }
}

pub fn ui(ui: &mut egui::Ui, app: &mut App) {
    let screen = &mut app.admin.exchange;
    if !screen.loaded || screen.stale {
        screen.refresh(&app.store);
    }
    ui.heading("Журнал обмена");
    note(ui, "Каждый запрос Roistat к HTTP-сервису: время, действие, результат, длительность, ошибка. Секреты скрыты.");
    let mut actions: Vec<String> = screen.entries.iter().map(|e| e.action.clone()).collect();
    actions.sort();
    actions.dedup();
    ui.horizontal(|ui| {
        ui.label("Действие:");
        let current = screen.action.as_deref().map(action_title).unwrap_or("Все").to_string();
        let combo = egui::ComboBox::from_id_salt("exchange_action").selected_text(&current).show_ui(ui, |ui| {
            if ui.selectable_label(screen.action.is_none(), "Все").clicked() {
                screen.action = None;
            }
            for a in &actions {
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
            for p in PeriodFilter::ALL {
                ui.selectable_value(&mut screen.period, p, p.title());
            }
        });
        crate::ui::widgets::name_combo(&combo.response, "Период", current);
    });
    if let Some(e) = &screen.error {
        super::error_label(ui, e);
    }
    if screen.entries.is_empty() {
        ui.label("Запросов ещё не было.");
        return;
    }
    let rows: Vec<ExchangeEntry> = screen.filtered().into_iter().cloned().collect();
    ui.label(format!("Записей: {} из {}", rows.len(), screen.entries.len()));
    if screen.entries.len() >= SHOWN {
        note(ui, &format!("Показаны последние {SHOWN} запросов."));
    }
    let selected = screen.selected.and_then(|id| screen.entries.iter().find(|e| e.id == id).cloned());
    let table_height =
        if selected.is_some() { (ui.available_height() * 0.55).max(160.0) } else { ui.available_height() };
    let mut pick = None;
    ui.allocate_ui(egui::vec2(ui.available_width(), table_height), |ui| {
        TableBuilder::new(ui)
            .id_salt("exchange")
            .striped(true)
            .sense(egui::Sense::click())
            .column(Column::exact(150.0))
            .column(Column::initial(110.0).clip(true))
            .column(Column::initial(110.0))
            .column(Column::exact(60.0))
            .column(Column::exact(80.0))
            .column(Column::remainder().clip(true))
            .header(22.0, |mut h| {
                for t in ["Время", "Действие", "Результат", "HTTP", "Длительность", "Ошибка"]
                {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, rows.len(), |mut row| {
                    let e = &rows[row.index()];
                    row.set_selected(selected.as_ref().is_some_and(|s| s.id == e.id));
                    row.col(|ui| {
                        ui.label(super::time(e.at));
                    });
                    row.col(|ui| {
                        ui.label(action_title(&e.action));
                    });
                    row.col(|ui| {
                        ui.label(e.outcome.title());
                    });
                    row.col(|ui| {
                        ui.label(e.http_status.to_string());
                    });
                    row.col(|ui| {
                        ui.label(duration(e.duration_micros));
                    });
                    row.col(|ui| {
                        if ui.link(if e.error.is_empty() { "подробнее" } else { e.error.as_str() }).clicked() {
                            pick = Some(e.id);
                        }
                    });
                    if row.response().clicked() {
                        pick = Some(e.id);
                    }
                });
            });
    });
    if let Some(id) = pick {
        screen.selected = if screen.selected == Some(id) { None } else { Some(id) };
    }
    if let Some(e) = selected {
        ui.separator();
        ui.label(RichText::new(format!("Запрос {} — {}", super::time(e.at), action_title(&e.action))).strong());
        ui.label(format!("Адрес: {}; результат: {}; HTTP {}", e.remote, e.outcome.title(), e.http_status));
        egui::ScrollArea::vertical().id_salt("exchange_detail").show(ui, |ui| {
            ui.label(RichText::new("Параметры").strong());
            for (k, v) in &e.params {
                // The service masks secrets already; mask again in case of an older log.
                let v = if is_secret_param(k) { MASK } else { v.as_str() };
                ui.label(RichText::new(format!("{k} = {v}")).monospace());
            }
            ui.label(RichText::new("Ответ").strong());
            ui.label(RichText::new(&e.answer).monospace());
            if !e.error.is_empty() {
                super::error_label(ui, &e.error);
            }
        });
    }
}
