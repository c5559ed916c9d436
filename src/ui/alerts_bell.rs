//! The bell in the top bar: how many alerts there are now, and their list on a click. The app
//! reads them in the background (on changes, and every minute); the bell only draws.

use crate::app::{App, Command, Page};
use egui::RichText;
use std::time::{Duration, Instant};

pub fn ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    let view = &app.alerts;
    // The list refreshes every minute even when nothing else makes a frame.
    ui.ctx().request_repaint_after(view.due_in(Instant::now()).max(Duration::from_secs(1)));
    let count = view.list.len();
    let name = format!("Оповещения: {count}");
    let response = bell_button(ui, count).on_hover_text(&name);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    egui::Popup::from_toggle_button_response(&response).width(420.0).show(|ui| list_ui(ui, app, commands));
}

/// A bell drawn with shapes (the fonts have no bell), with the count beside it when there are alerts.
fn bell_button(ui: &mut egui::Ui, count: usize) -> egui::Response {
    use egui::{Shape, Stroke, pos2, vec2};
    let count_text = (count > 0).then(|| count.to_string());
    let width = 30.0 + count_text.as_ref().map_or(0.0, |t| 9.0 * t.len() as f32);
    let (rect, response) = ui.allocate_exact_size(vec2(width, 24.0), egui::Sense::click());
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let visuals = ui.style().interact(&response);
    let painter = ui.painter();
    painter.rect(rect, 4.0, visuals.weak_bg_fill, visuals.bg_stroke, egui::StrokeKind::Inside);
    let color = if count > 0 { crate::ui::widgets::good_color(ui, false) } else { visuals.text_color() };
    let c = pos2(rect.left() + 15.0, rect.center().y - 1.0);
    let dome = [(-6.0, 5.0), (-5.0, -1.0), (-4.0, -5.0), (0.0, -7.0), (4.0, -5.0), (5.0, -1.0), (6.0, 5.0)];
    painter.add(Shape::convex_polygon(dome.iter().map(|(x, y)| c + vec2(*x, *y)).collect(), color, Stroke::NONE));
    painter.line_segment([c + vec2(-8.0, 5.5), c + vec2(8.0, 5.5)], Stroke::new(1.5, color));
    painter.circle_filled(c + vec2(0.0, 8.0), 2.0, color);
    if let Some(text) = count_text {
        let font = egui::FontId::proportional(14.0);
        painter.text(pos2(rect.right() - 5.0, rect.center().y), egui::Align2::RIGHT_CENTER, text, font, color);
    }
    response
}

fn list_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
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
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("с {}", super::admin::time(alert.since))).small().weak());
                if let Some(lead) = alert.lead.filter(|_| app.pages().contains(&Page::Leads))
                    && ui.small_button("Открыть заявку").clicked()
                {
                    commands.push(Command::OpenLead(lead));
                }
            });
            ui.separator();
        }
    });
}
