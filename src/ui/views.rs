//! The dashboard's view tabs («Воронка», «Новые и повторные», «Менеджеры», «Когорты», «План /
//! факт»): the dashboard's period and channel, the date basis where it changes the figures, the
//! export buttons, and the view's table. The figures are computed off the UI thread (`app::views`);
//! this only draws what arrived.

use super::widgets::period::period_ui;
use super::widgets::view_table::view_table_ui;
use crate::app::{App, Command};
use crate::report::views::{Basis, View};
use egui::RichText;

pub fn ui(ui: &mut egui::Ui, app: &App, view: View, commands: &mut Vec<Command>) {
    let table = app.views.table_for(view);
    controls_ui(ui, app, table.is_some(), commands);
    ui.add_space(4.0);
    let Some(table) = table else {
        if app.views.loading {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Считаем «{}»…", view.title()));
            });
        }
        return;
    };
    let width = ui.available_width();
    egui::ScrollArea::vertical().id_salt(("view_page", view.key())).auto_shrink(false).show(ui, |ui| {
        // The wide table scrolls on its own; the page keeps the window's width.
        ui.set_max_width(width);
        view_table_ui(ui, table);
    });
}

/// The controls' line is this wide with the basis switch in it; a narrower window puts the switch
/// on a line of its own rather than under the export buttons.
const ONE_LINE_WIDTH: f32 = 880.0;

fn controls_ui(ui: &mut egui::Ui, app: &App, ready: bool, commands: &mut Vec<Command>) {
    period_ui(ui, app.state.preset, app.period(), app.today, commands);
    let one_line = ui.available_width() >= ONE_LINE_WIDTH;
    ui.horizontal(|ui| {
        super::dashboard::channel_ui(ui, app, commands);
        if one_line {
            ui.add_space(8.0);
            basis_ui(ui, app, commands);
        }
        if app.views.loading {
            ui.spinner();
        }
        super::dashboard::export_ui(ui, app, ready, commands);
    });
    if !one_line {
        basis_ui(ui, app, commands);
    }
}

/// «Считать: по дате заявки | по дате продажи», and by sale date where the date comes from: the first
/// entry into a paid status or an extra field that holds it.
fn basis_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    let current = app.state.basis;
    ui.horizontal(|ui| {
        ui.label("Считать:").on_hover_text(
            "По дате заявки — заявки, созданные в периоде, и всё, что с ними стало; по дате продажи — \
             продажи, сделанные в периоде (первый переход заявки в оплаченный статус или дата из выбранного реквизита)",
        );
        ui.spacing_mut().item_spacing.x = 4.0;
        for basis in [Basis::Lead, Basis::Sale] {
            if ui.selectable_label(current == basis, RichText::new(basis.title())).clicked() && current != basis {
                commands.push(Command::SetBasis(basis));
            }
        }
        if current != Basis::Sale {
            return;
        }
        const FIRST_PAID: &str = "первый переход в «Оплачен»";
        let field_name = |dev: &str| {
            app.lists.extra_fields.iter().find(|f| f.dev_name == dev).map_or(dev.to_string(), |f| f.name.clone())
        };
        let shown = app.state.sale_field.as_deref().map_or(FIRST_PAID.to_string(), field_name);
        let combo = egui::ComboBox::from_id_salt("sale_field").selected_text(&shown).show_ui(ui, |ui| {
            if ui.selectable_label(app.state.sale_field.is_none(), FIRST_PAID).clicked() {
                commands.push(Command::SetSaleField(None));
            }
            // skvoz's own fields (the marker, Roistat's ids, UTM) hold no dates.
            for field in app.lists.extra_fields.iter().filter(|f| !f.service) {
                let on = app.state.sale_field.as_deref() == Some(field.dev_name.as_str());
                if ui.selectable_label(on, &field.name).clicked() && !on {
                    commands.push(Command::SetSaleField(Some(field.dev_name.clone())));
                }
            }
        });
        super::widgets::name_combo(&combo.response, "Дата продажи", &shown);
    });
}
