//! Small reusable pieces of the screens.

pub mod calendar;
pub mod kpi;
pub mod period;
pub mod view_table;

/// Green for a good change, red for a bad one (readable on both themes).
pub fn good_color(ui: &egui::Ui, good: bool) -> egui::Color32 {
    match (good, ui.visuals().dark_mode) {
        (true, true) => egui::Color32::from_rgb(110, 205, 120),
        (true, false) => egui::Color32::from_rgb(20, 130, 40),
        (false, true) => egui::Color32::from_rgb(240, 110, 100),
        (false, false) => egui::Color32::from_rgb(190, 30, 30),
    }
}

/// Runs `add_contents` (a message, or nothing) in at least one line's height, so a message
/// appearing or going does not move what is below it.
pub fn reserved_line(ui: &mut egui::Ui, add_contents: impl FnOnce(&mut egui::Ui)) {
    // As tall as a button's row: a spinner line put in its place does not move anything either.
    let line = ui.text_style_height(&egui::TextStyle::Body).max(ui.spacing().interact_size.y);
    let shown = ui.scope(add_contents);
    let height = shown.response.rect.height();
    if height < line {
        ui.add_space(line - height);
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
