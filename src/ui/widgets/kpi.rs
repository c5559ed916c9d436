//! A KPI card: the figure, and its change versus the previous period.

use crate::report::fmt_change;

pub struct Kpi<'a> {
    pub title: &'a str,
    pub value: String,
    /// The relative change versus the previous period.
    pub change: Option<f64>,
    /// Costs and CPL: a fall is good news.
    pub lower_is_better: bool,
    pub hint: &'a str,
}

pub fn kpi_ui(ui: &mut egui::Ui, kpi: &Kpi<'_>) {
    let width = ui.available_width() - 22.0;
    egui::Frame::group(ui.style()).inner_margin(egui::Margin::symmetric(10, 8)).show(ui, |ui| {
        ui.set_width(width);
        ui.vertical(|ui| {
            let title = ui.label(egui::RichText::new(kpi.title).color(ui.visuals().weak_text_color()));
            if !kpi.hint.is_empty() {
                title.on_hover_text(kpi.hint);
            }
            let value = ui.add(egui::Label::new(egui::RichText::new(&kpi.value).size(19.0).strong()).truncate());
            // A label per card that screen readers (and tests) can tell apart.
            let label = format!("{}: {}", kpi.title, kpi.value);
            value.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
            let text = fmt_change(kpi.change);
            let color = match kpi.change {
                Some(c) if c.abs() > 0.0005 => super::good_color(ui, (c < 0.0) == kpi.lower_is_better),
                _ => ui.visuals().weak_text_color(),
            };
            // As large as body text: a delta is read as often as the figure above it.
            let change = ui.label(egui::RichText::new(&text).color(color).size(13.0));
            let label = format!("{}, изменение: {text}", kpi.title);
            change.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
            change.on_hover_text("Изменение к предыдущему периоду той же длины");
        });
    });
}
