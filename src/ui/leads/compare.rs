//! «Сравнить» after a conflict: the fields both people changed, this form's value beside the
//! stored one, in the words the form uses.

use super::Catalog;
use crate::domain::{LeadValue, Money};

/// The field's name and its value as text.
pub(crate) fn describe(value: &LeadValue, catalog: &Catalog) -> (String, String) {
    let empty = |text: String| if text.trim().is_empty() { "—".to_string() } else { text };
    let money = |m: &Money| if *m == Money::ZERO { "—".to_string() } else { m.to_string() };
    let yes_no = |b: &bool| if *b { "Да" } else { "Нет" }.to_string();
    match value {
        LeadValue::Title(v) => ("Наименование".into(), empty(v.clone())),
        LeadValue::Text(v) => ("Описание".into(), empty(v.clone())),
        LeadValue::Client(v) => ("Клиент".into(), v.map(|id| format!("клиент с id {id}")).unwrap_or("—".into())),
        LeadValue::Status(v) => ("Статус".into(), empty(catalog.status_name(*v))),
        LeadValue::Price(v) => ("Выручка, руб.".into(), money(v)),
        LeadValue::Cost(v) => ("Себестоимость, руб.".into(), money(v)),
        LeadValue::Marker(v) => ("Roistat маркер".into(), v.as_ref().map(|m| m.to_string()).unwrap_or("—".into())),
        LeadValue::LeadSource(v) => ("Источник получения заявок".into(), empty(catalog.source_name(*v))),
        LeadValue::Responsible(v) => ("Ответственный".into(), catalog.responsible_title(*v)),
        LeadValue::Extra(name, v) => (catalog.field_name(name), empty(v.clone().unwrap_or_default())),
        LeadValue::Utm(u) => {
            let parts = [&u.source, &u.medium, &u.campaign, &u.content, &u.term];
            (
                "UTM".into(),
                empty(parts.iter().filter(|p| !p.is_empty()).map(|p| p.as_str()).collect::<Vec<_>>().join(" / ")),
            )
        }
        LeadValue::Attraction(a) => {
            let parts = [&a.channel, &a.source, &a.campaign];
            (
                "Канал / источник / кампания".into(),
                empty(parts.iter().filter(|p| !p.is_empty()).map(|p| p.as_str()).collect::<Vec<_>>().join(" / ")),
            )
        }
        LeadValue::Origin(v) => ("Происхождение".into(), v.title().to_string()),
        LeadValue::Template(v) => ("Шаблон".into(), yes_no(v)),
        LeadValue::Deleted(v) => ("Помечена на удаление".into(), yes_no(v)),
        LeadValue::Task(_, task) => (
            "Задача".into(),
            task.as_ref()
                .map(|t| format!("{}{}", t.text, if t.done { " (выполнена)" } else { "" }))
                .unwrap_or("удалена".into()),
        ),
    }
}

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
