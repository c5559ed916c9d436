//! A small month calendar in Russian: month names, weeks from Monday (Пн..Вс).

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

pub const WEEKDAYS: [&str; 7] = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"];

/// A date typed as `ДД.ММ.ГГГГ`.
pub fn parse_typed_date(text: &str) -> Option<Date> {
    Date::strptime("%d.%m.%Y", text.trim()).ok()
}

pub use crate::domain::month_title;

/// The days shown for a month: whole weeks from Monday, `None` outside the month.
pub fn month_grid(month: Date) -> Vec<Option<Date>> {
    let first = month.first_of_month();
    let offset = first.weekday().to_monday_zero_offset() as usize;
    let days = first.days_in_month() as usize;
    let mut cells = vec![None; offset];
    for i in 0..days {
        cells.push(first.checked_add((i as i64).days()).ok());
    }
    while cells.len() % 7 != 0 {
        cells.push(None);
    }
    cells
}

/// Shows a calendar; returns the day clicked. The shown month lives in egui's memory under `id`.
pub fn calendar_ui(ui: &mut egui::Ui, id: egui::Id, selected: Date, today: Date) -> Option<Date> {
    let mut month: Date = ui.data(|d| d.get_temp(id)).unwrap_or_else(|| selected.first_of_month());
    let mut picked = None;
    ui.horizontal(|ui| {
        let step = |ui: &mut egui::Ui, text: &str, name: &str| {
            let b = ui.small_button(text).on_hover_text(name);
            super::name_button(&b, name);
            b.clicked()
        };
        if step(ui, "«", "Предыдущий год") {
            month = month.checked_sub(1.year()).unwrap_or(month).first_of_month();
        }
        if step(ui, "◀", "Предыдущий месяц") {
            month = month.checked_sub(1.month()).unwrap_or(month).first_of_month();
        }
        ui.add_sized([130.0, 18.0], egui::Label::new(egui::RichText::new(month_title(month)).strong()));
        if step(ui, "▶", "Следующий месяц") {
            month = month.checked_add(1.month()).unwrap_or(month).first_of_month();
        }
        if step(ui, "»", "Следующий год") {
            month = month.checked_add(1.year()).unwrap_or(month).first_of_month();
        }
    });
    egui::Grid::new(id.with("grid")).spacing([2.0, 2.0]).show(ui, |ui| {
        for (i, w) in WEEKDAYS.iter().enumerate() {
            let text = egui::RichText::new(*w).small();
            let text = if i >= 5 { text.color(ui.visuals().weak_text_color()) } else { text };
            ui.add_sized([28.0, 16.0], egui::Label::new(text));
        }
        ui.end_row();
        for (i, cell) in month_grid(month).into_iter().enumerate() {
            match cell {
                Some(day) => {
                    let mut text = egui::RichText::new(day.day().to_string());
                    if day == today {
                        text = text.underline();
                    }
                    if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && day != selected {
                        text = text.color(ui.visuals().weak_text_color());
                    }
                    let button = egui::Button::selectable(day == selected, text).min_size(egui::vec2(28.0, 22.0));
                    if ui.add(button).clicked() {
                        picked = Some(day);
                    }
                }
                None => {
                    ui.add_sized([28.0, 22.0], egui::Label::new(""));
                }
            }
            if i % 7 == 6 {
                ui.end_row();
            }
        }
    });
    ui.data_mut(|d| d.insert_temp(id, month));
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_date_reads_the_russian_way() {
        assert_eq!(parse_typed_date(" 05.11.2026 "), Some(Date::constant(2026, 11, 5)));
        assert_eq!(parse_typed_date("2026-11-05"), None);
        assert_eq!(parse_typed_date("31.02.2026"), None);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 1 November 2026 is a Sunday.
        let grid = month_grid(Date::constant(2026, 11, 15));
        assert_eq!(grid.len() % 7, 0);
        assert_eq!(grid.iter().position(|c| c.is_some()), Some(6));
        assert_eq!(grid.iter().flatten().count(), 30);
        assert_eq!(month_title(Date::constant(2026, 11, 15)), "Ноябрь 2026");
    }
}
