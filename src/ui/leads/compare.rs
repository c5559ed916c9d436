//! «Сравнить» after a conflict: the fields both people changed, this form's value beside the
//! stored one, in the words the form uses.

use super::Catalog;
use crate::domain::{LeadValue, describe_lead_value as describe};

/// The side-by-side table: field, this form's value, the stored value.
pub(crate) fn table_ui(ui: &mut egui::Ui, clashes: &[(LeadValue, LeadValue)], by: &str, catalog: &Catalog) {
    if clashes.is_empty() {
        ui.label("Ваши изменения больше не расходятся с записанными: нажмите «Записать».");
        return;
    }
    egui::Grid::new("lead_form_compare").num_columns(3).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
        ui.strong("Реквизит");
        ui.strong("Ваше значение");
        ui.strong(format!("Записал {by}"));
        ui.end_row();
        for (mine, stored) in clashes {
            let (name, mine) = describe(mine, catalog);
            let (_, stored) = describe(stored, catalog);
            ui.label(name);
            ui.label(mine);
            ui.label(stored);
            ui.end_row();
        }
    });
}
