//! «Звонки»: the calls journal — every call Roistat sent (`action=call`) or the load brought, with
//! its lead, so calls are visible without opening a lead.

use crate::app::{AppEvent, Change, Command};
use crate::domain::{Call, CallStatus, Lead, LeadId, display_phone, normalize_phone, unique_callers};
use egui_extras::{Column, TableBuilder};
use std::collections::HashMap;

/// What the journal shows of a lead: its number and title.
struct LeadRef {
    number: u64,
    title: String,
}

/// The calls journal; it reads through [`Command::LoadCalls`] and reads again when calls or
/// leads change.
#[derive(Default)]
pub struct CallsScreen {
    /// Newest first.
    calls: Vec<Call>,
    leads: HashMap<LeadId, LeadRef>,
    search: String,
    status: Option<CallStatus>,
    error: Option<String>,
    /// A read is asked for or under way; another change while it runs asks once more.
    loading: bool,
    stale: bool,
}

impl CallsScreen {
    pub fn new() -> CallsScreen {
        CallsScreen { stale: true, ..CallsScreen::default() }
    }

    fn loaded(&mut self, loaded: Result<(Vec<Call>, Vec<Lead>), String>) {
        self.loading = false;
        match loaded {
            Ok((calls, leads)) => {
                self.calls = calls;
                self.leads =
                    leads.into_iter().map(|l| (l.id, LeadRef { number: l.number, title: l.display_title() })).collect();
                self.error = None;
            }
            Err(e) => self.error = Some(format!("Не удалось прочитать звонки: {e}")),
        }
    }

    /// The calls that pass the search (phone digits, marker, lead) and the status filter.
    fn visible(&self) -> Vec<&Call> {
        let needle = self.search.trim().to_lowercase();
        let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
        self.calls
            .iter()
            .filter(|c| self.status.as_ref().is_none_or(|s| c.status == *s))
            .filter(|c| {
                needle.is_empty()
                    || c.marker.to_lowercase().contains(&needle)
                    || (digits.len() >= 3
                        && (normalize_phone(&c.caller).contains(&digits)
                            || normalize_phone(&c.callee).contains(&digits)))
                    || c.lead_id.and_then(|id| self.leads.get(&id)).is_some_and(|l| l.number.to_string() == needle)
            })
            .collect()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        if self.stale && !self.loading {
            self.stale = false;
            self.loading = true;
            commands.push(Command::LoadCalls);
        }
        ui.horizontal(|ui| {
            ui.heading("Звонки");
            if self.loading {
                ui.spinner();
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("Поиск: телефон, маркер, номер заявки")
                    .desired_width(280.0),
            )
            .accessible_name("Поиск звонков");
            let l = ui.label("Статус:");
            egui::ComboBox::from_id_salt("calls_status")
                .selected_text(self.status.as_ref().map_or("Все".to_string(), |s| s.title().to_string()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.status, None, "Все");
                    for status in CallStatus::ALL {
                        let title = status.title().to_string();
                        ui.selectable_value(&mut self.status, Some(status), title);
                    }
                })
                .response
                .labelled_by(l.id);
        });
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let visible = self.visible();
        let count = |n: usize| crate::domain::group_thousands(n as u64);
        ui.weak(format!(
            "Звонков: {} · уникальных номеров: {}",
            count(visible.len()),
            count(unique_callers(visible.iter().copied()))
        ));
        if self.calls.is_empty() {
            ui.add_space(12.0);
            ui.label(
                "Звонков пока нет. Они приходят от Roistat (action=call) и загружаются вместе с аналитикой, \
                 если у источника получения заявок включено «Использовать звонки».",
            );
            return;
        }
        egui::ScrollArea::horizontal().id_salt("calls_scroll").show(ui, |ui| {
            let columns = ["Дата", "Кто звонил", "Куда", "Длительность", "Статус", "Источник", "Заявка", "Запись"];
            let widths = [120.0, 130.0, 130.0, 95.0, 110.0, 130.0, 200.0, 80.0];
            let table = widths.iter().fold(TableBuilder::new(ui).id_salt("calls_table").striped(true), |t, w| {
                t.column(Column::initial(*w).at_least(60.0).clip(true))
            });
            table
                .resizable(true)
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .min_scrolled_height(0.0)
                .header(22.0, |mut header| {
                    for title in columns {
                        header.col(|ui| {
                            ui.strong(title);
                        });
                    }
                })
                .body(|body| {
                    body.rows(22.0, visible.len(), |mut row| {
                        let call = visible[row.index()];
                        let at = call.at.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M").to_string();
                        let lead = call.lead_id.and_then(|id| self.leads.get(&id));
                        let cells = [
                            at,
                            display_phone(&call.caller),
                            display_phone(&call.callee),
                            duration_text(call.duration_seconds),
                            call.status.title().to_string(),
                            call.marker.clone(),
                            lead.map(|l| format!("№ {} {}", l.number, l.title)).unwrap_or_default(),
                        ];
                        for cell in cells {
                            row.col(|ui| {
                                ui.add(egui::Label::new(cell).truncate());
                            });
                        }
                        row.col(|ui| {
                            if !call.file_url.trim().is_empty() {
                                ui.hyperlink_to("Слушать", call.file_url.trim());
                            }
                        });
                    });
                });
        });
    }
}

/// `3:05` (minutes and seconds), `1:02:03` past an hour.
fn duration_text(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

impl crate::app::Screen for CallsScreen {
    fn ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        CallsScreen::ui(self, ui, commands);
    }

    fn on_event(&mut self, event: AppEvent, _commands: &mut Vec<Command>) {
        match event {
            AppEvent::Calls(loaded) => self.loaded(loaded),
            AppEvent::Changed(Change::Calls | Change::Leads(_) | Change::Reloaded) => self.stale = true,
            _ => {}
        }
    }

    fn is_busy(&self) -> bool {
        self.loading
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_a_clock() {
        assert_eq!(super::duration_text(0), "0:00");
        assert_eq!(super::duration_text(185), "3:05");
        assert_eq!(super::duration_text(3723), "1:02:03");
    }
}
