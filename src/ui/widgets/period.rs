//! The period picker: presets as buttons, and two calendars for «Произвольный».

use super::calendar::calendar_ui;
use crate::app::{Command, PeriodPreset};
use crate::report::fmt_date;
use jiff::civil::Date;

pub fn period_ui(
    ui: &mut egui::Ui,
    preset: PeriodPreset,
    (from, to): (Date, Date),
    today: Date,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for p in PeriodPreset::DASHBOARD {
            if ui.selectable_label(preset == p, p.title()).clicked() && p != preset {
                commands.push(Command::SetPreset(p));
            }
        }
        ui.add_space(8.0);
        if preset == PeriodPreset::Custom {
            if let Some(day) = date_button(ui, "period-from", "с", from, today) {
                commands.push(Command::SetCustomPeriod(day, to.max(day)));
            }
            if let Some(day) = date_button(ui, "period-to", "по", to, today) {
                commands.push(Command::SetCustomPeriod(from.min(day), day));
            }
        } else {
            ui.label(egui::RichText::new(format!("{} — {}", fmt_date(from), fmt_date(to))).strong());
        }
    });
}

/// A button `с 01.11.2026` opening a calendar; returns the picked day.
fn date_button(ui: &mut egui::Ui, id: &str, prefix: &str, day: Date, today: Date) -> Option<Date> {
    let response = ui.button(format!("{prefix} {}", fmt_date(day)));
    let mut picked = None;
    egui::Popup::from_toggle_button_response(&response)
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
        .show(|ui| {
            if let Some(d) = calendar_ui(ui, ui.make_persistent_id(id), day, today) {
                picked = Some(d);
                ui.close();
            }
        });
    picked
}
