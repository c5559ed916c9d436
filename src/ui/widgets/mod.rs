//! Small reusable pieces of the screens.

pub mod calendar;
pub mod kpi;
pub mod period;

/// Green for a good change, red for a bad one (readable on both themes).
pub fn good_color(ui: &egui::Ui, good: bool) -> egui::Color32 {
    match (good, ui.visuals().dark_mode) {
        (true, true) => egui::Color32::from_rgb(110, 205, 120),
        (true, false) => egui::Color32::from_rgb(20, 130, 40),
        (false, true) => egui::Color32::from_rgb(240, 110, 100),
        (false, false) => egui::Color32::from_rgb(190, 30, 30),
    }
}

/// Names a combo box for screen readers (and tests): `Канал: Все каналы`.
pub fn name_combo(response: &egui::Response, name: &str, selected: &str) {
    let label = format!("{name}: {selected}");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, &label));
}

/// Names a button for screen readers (and tests) more precisely than its caption, where the same
/// caption repeats in a list: «Создать заявку Roistat R-4».
pub fn name_button(response: &egui::Response, name: &str) {
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name));
}
