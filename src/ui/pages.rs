//! Pages other issues fill in; for now they list what the store holds, read-only. The admin's
//! pages live in `ui/admin/`.

use crate::app::App;
use crate::report::fmt_count;
use egui::RichText;
use egui_extras::{Column, TableBuilder};

fn note(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).weak());
    ui.add_space(6.0);
}

fn time(ts: jiff::Timestamp) -> String {
    ts.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M").to_string()
}

pub fn leads_ui(ui: &mut egui::Ui, app: &App) {
    ui.heading(format!("Заявки: {}", fmt_count(app.lists.lead_count as u64)));
    note(ui, "Последние 200 заявок. Карточка заявки, шаблоны и групповое изменение появятся здесь.");
    let statuses = &app.lists.statuses;
    let leads = &app.lists.leads;
    TableBuilder::new(ui)
        .id_salt("leads")
        .striped(true)
        .column(Column::exact(70.0))
        .column(Column::exact(130.0))
        .column(Column::initial(260.0).clip(true))
        .column(Column::initial(140.0).clip(true))
        .column(Column::initial(110.0))
        .column(Column::remainder().clip(true))
        .header(22.0, |mut h| {
            for t in ["№", "Создана", "Заявка", "Статус", "Сумма", "Roistat маркер"] {
                h.col(|ui| {
                    ui.strong(t);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, leads.len(), |mut row| {
                let lead = &leads[row.index()];
                row.col(|ui| {
                    ui.label(lead.number.to_string());
                });
                row.col(|ui| {
                    ui.label(time(lead.created));
                });
                row.col(|ui| {
                    ui.label(lead.display_title());
                });
                row.col(|ui| {
                    let s = statuses.iter().find(|s| Some(s.id) == lead.status_id).map(|s| s.name.as_str());
                    ui.label(s.unwrap_or("—"));
                });
                row.col(|ui| {
                    ui.label(crate::report::fmt_money(lead.price));
                });
                row.col(|ui| {
                    ui.label(lead.marker.as_ref().map(|m| m.as_str()).unwrap_or("—"));
                });
            });
        });
}
