//! The bell in the top bar: how many alerts there are now, and their list on a click. The app
//! reads them in the background (on changes, and every minute); the bell only draws.

use crate::app::App;
use egui::RichText;
use std::time::{Duration, Instant};

pub fn ui(ui: &mut egui::Ui, app: &App) {
    let view = &app.alerts;
    // The list refreshes every minute even when nothing else makes a frame.
    ui.ctx().request_repaint_after(view.due_in(Instant::now()).max(Duration::from_secs(1)));
    let count = view.list.len();
    let text = if count == 0 { RichText::new("🔔") } else { RichText::new(format!("🔔 {count}")).strong() };
    let text = if count > 0 { text.color(crate::ui::widgets::good_color(ui, false)) } else { text };
    let name = format!("Оповещения: {count}");
    let response = ui.add(egui::Button::new(text)).on_hover_text(&name);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    egui::Popup::from_toggle_button_response(&response).width(420.0).show(|ui| list_ui(ui, app));
}

fn list_ui(ui: &mut egui::Ui, app: &App) {
    let view = &app.alerts;
    ui.label(RichText::new("Оповещения").strong());
    if let Some(e) = &view.error {
        ui.colored_label(crate::ui::widgets::good_color(ui, false), format!("Не удалось проверить: {e}"));
    }
    if !view.loaded {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Проверяем…");
        });
        return;
    }
    if view.list.is_empty() {
        ui.label("Оповещений нет: всё в порядке");
        return;
    }
    egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
        for alert in &view.list {
            ui.label(RichText::new(&alert.title).strong());
            ui.label(RichText::new(&alert.details).weak());
            ui.label(RichText::new(format!("с {}", super::admin::time(alert.since))).small().weak());
            ui.separator();
        }
    });
}
