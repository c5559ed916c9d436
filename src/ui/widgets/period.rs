//! The period picker: presets as buttons, and two calendars for «Произвольный».

use super::calendar::{calendar_ui, parse_typed_date};
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
            // The period is read as one: in a narrow window it moves to the next line whole.
            let period = egui::RichText::new(format!("{} — {}", fmt_date(from), fmt_date(to))).strong();
            ui.add(egui::Label::new(period).extend());
        }
    });
}

/// A button `с 01.11.2026` opening a calendar with a field to type the date into; returns the
/// picked or typed day.
fn date_button(ui: &mut egui::Ui, id: &str, prefix: &str, day: Date, today: Date) -> Option<Date> {
    let response = ui.button(format!("{prefix} {}", fmt_date(day)));
    let mut picked = None;
    egui::Popup::from_toggle_button_response(&response)
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
        .show(|ui| {
            let id = ui.make_persistent_id(id);
            let typed_id = id.with("typed");
            let mut typed: String = ui.data(|d| d.get_temp(typed_id)).unwrap_or_else(|| fmt_date(day));
            let wrong_id = id.with("wrong");
            let mut wrong: bool = ui.data(|d| d.get_temp(wrong_id)).unwrap_or(false);
            ui.horizontal(|ui| {
                let l = ui.label("Дата:");
                let field = ui
                    .add(egui::TextEdit::singleline(&mut typed).hint_text("ДД.ММ.ГГГГ").desired_width(90.0))
                    .labelled_by(l.id);
                if field.changed() {
                    wrong = false;
                }
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button("Перейти").clicked() || enter) && !typed.trim().is_empty() {
                    match parse_typed_date(&typed) {
                        Some(d) => picked = Some(d),
                        None => wrong = true,
                    }
                }
            });
            if wrong {
                ui.colored_label(ui.visuals().error_fg_color, "Дата не распознана: введите ДД.ММ.ГГГГ");
            }
            if picked.is_none()
                && let Some(d) = calendar_ui(ui, id, day, today)
            {
                picked = Some(d);
            }
            if picked.is_some() {
                ui.data_mut(|d| {
                    d.remove::<String>(typed_id);
                    d.remove::<bool>(wrong_id);
                });
                ui.close();
            } else {
                ui.data_mut(|d| {
                    d.insert_temp(typed_id, typed);
                    d.insert_temp(wrong_id, wrong);
                });
            }
        });
    picked
}
