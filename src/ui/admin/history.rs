//! «История изменений» for admins: every change the store recorded, newest first, a page at a time,
//! with filters by the kind of object, a lead, an author and a first day.

use super::{error_label, note};
use crate::app::Command;
use crate::app::admin::AdminCommand;
use crate::domain::{HistoryEntry, HistoryFilter, parse_day};
use crate::ui::Window;

/// Entries per read; «Показать ещё» reads the next page.
const PAGE: usize = 100;

/// The kinds of objects, as the filter offers them ("" — all).
const KINDS: [(&str, &str); 10] = [
    ("", "Все"),
    ("lead", "Заявки"),
    ("client", "Клиенты"),
    ("status", "Статусы"),
    ("extra_field", "Доп. реквизиты"),
    ("lead_source", "Источники получения заявок"),
    ("analytics_source", "Источники получения аналитики"),
    ("user", "Пользователи"),
    ("settings", "Настройки"),
    ("plan", "Планы продаж"),
];

#[derive(Default)]
pub struct HistoryScreen {
    kind: &'static str,
    lead: String,
    author: String,
    since: String,
    /// The filter of what is shown (without a page); `None` before the first read.
    applied: Option<HistoryFilter>,
    entries: Vec<HistoryEntry>,
    /// The last read filled its page: there may be more.
    more: bool,
    loading: bool,
    /// Something changed in the store: read again.
    pub stale: bool,
    error: Option<String>,
}

impl HistoryScreen {
    /// The filter the fields say, or why they say none.
    fn chosen(&self) -> Result<HistoryFilter, String> {
        let lead = match self.lead.trim() {
            "" => None,
            text => Some(text.parse().map_err(|_| format!("«{text}» — не id заявки: введите число"))?),
        };
        let since = match self.since.trim() {
            "" => None,
            text => {
                let day = parse_day(text)?;
                let zoned = day.to_zoned(jiff::tz::TimeZone::system()).map_err(|e| e.to_string())?;
                Some(zoned.timestamp())
            }
        };
        let author = Some(self.author.trim().to_string()).filter(|a| !a.is_empty());
        let kind = Some(self.kind.to_string()).filter(|k| !k.is_empty());
        Ok(HistoryFilter { lead, kind, author, since, limit: PAGE, ..HistoryFilter::default() })
    }

    fn read(&mut self, commands: &mut Vec<Command>, filter: HistoryFilter) {
        self.loading = true;
        self.stale = false;
        commands.push(Command::Admin(AdminCommand::History(filter)));
    }

    /// A page read for `filter` arrived.
    pub(super) fn on_loaded(&mut self, filter: HistoryFilter, result: Result<Vec<HistoryEntry>, String>) {
        let first_page = filter.before_id.is_none();
        // An answer for filters no longer on screen.
        if self.applied.as_ref() != Some(&HistoryFilter { before_id: None, ..filter }) {
            return;
        }
        self.loading = false;
        match result {
            Ok(entries) => {
                self.more = entries.len() == PAGE;
                if first_page {
                    self.entries = entries;
                } else {
                    self.entries.extend(entries);
                }
                self.error = None;
            }
            Err(e) => self.error = Some(format!("Историю прочитать не удалось: {e}")),
        }
    }
}

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    let (screen, commands) = (&mut app.admin.history, &mut app.app.commands);
    ui.heading("История изменений");
    note(
        ui,
        "Кто, когда и откуда изменил заявки, клиентов, источники, реквизиты, статусы и настройки. Пароли и ключи не показываются.",
    );
    ui.horizontal_wrapped(|ui| {
        ui.label("Что:");
        let title = KINDS.iter().find(|(k, _)| *k == screen.kind).map_or("Все", |(_, t)| t);
        let combo = egui::ComboBox::from_id_salt("history_kind").selected_text(title).show_ui(ui, |ui| {
            for (kind, title) in KINDS {
                ui.selectable_value(&mut screen.kind, kind, title);
            }
        });
        crate::ui::widgets::name_combo(&combo.response, "Что", title);
        let l = ui.label("Заявка (id):");
        ui.add(egui::TextEdit::singleline(&mut screen.lead).desired_width(70.0)).labelled_by(l.id);
        let l = ui.label("Автор:");
        ui.add(egui::TextEdit::singleline(&mut screen.author).hint_text("логин").desired_width(110.0))
            .labelled_by(l.id);
        let l = ui.label("С даты:");
        ui.add(egui::TextEdit::singleline(&mut screen.since).hint_text("ДД.ММ.ГГГГ").desired_width(90.0))
            .labelled_by(l.id);
        if screen.loading {
            ui.spinner();
        }
    });
    match screen.chosen() {
        Ok(filter) => {
            if screen.applied.as_ref() != Some(&filter) {
                screen.applied = Some(filter.clone());
                screen.read(commands, filter);
            } else if screen.stale && !screen.loading {
                screen.read(commands, filter);
            }
        }
        Err(e) => error_label(ui, &e),
    }
    if let Some(e) = &screen.error {
        error_label(ui, e);
    }
    if !screen.loading && screen.entries.is_empty() && screen.error.is_none() {
        ui.weak("Изменений не найдено");
        return;
    }
    let tz = jiff::tz::TimeZone::system();
    let mut next_page = None;
    egui::ScrollArea::vertical().id_salt("history_scroll").show(ui, |ui| {
        egui::Grid::new("history_grid").num_columns(7).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
            for title in ["Когда", "Что", "Кто", "Откуда", "Реквизит", "Было", "Стало"]
            {
                ui.strong(title);
            }
            ui.end_row();
            for entry in &screen.entries {
                for (i, change) in entry.changes.iter().enumerate() {
                    if i == 0 {
                        ui.label(entry.at.to_zoned(tz.clone()).strftime("%d.%m.%Y %H:%M:%S").to_string());
                        ui.label(entry.object.title());
                        ui.label(&entry.author);
                        ui.label(&entry.origin);
                    } else {
                        for _ in 0..4 {
                            ui.label("");
                        }
                    }
                    ui.label(&change.field);
                    ui.label(if change.from.is_empty() { "—" } else { change.from.as_str() });
                    ui.label(&change.to);
                    ui.end_row();
                }
            }
        });
        if screen.more && !screen.loading && ui.button("Показать ещё").clicked() {
            next_page = screen.entries.last().map(|e| e.id);
        }
    });
    if let (Some(before_id), Some(applied)) = (next_page, screen.applied.clone()) {
        screen.read(commands, HistoryFilter { before_id: Some(before_id), ..applied });
    }
}
