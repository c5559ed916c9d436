//! Pages other issues fill in; for now they list what the store holds, read-only.

use crate::app::App;
use crate::report::fmt_count;
use egui::RichText;

fn note(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).weak());
    ui.add_space(6.0);
}

fn time(ts: jiff::Timestamp) -> String {
    ts.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M").to_string()
}

pub fn sources_ui(ui: &mut egui::Ui, app: &App) {
    ui.heading("Источники");
    note(ui, "Редактор источников появится здесь; пока — список из хранилища.");
    ui.label(RichText::new("Источники получения аналитики").strong());
    if app.lists.analytics_sources.is_empty() {
        ui.label("Не настроено ни одного источника получения аналитики.");
    }
    for s in &app.lists.analytics_sources {
        let state = match (&s.last_error, s.last_success) {
            (Some(e), _) => format!("ошибка: {e}"),
            (None, Some(t)) => format!("загружено {}", time(t)),
            (None, None) => "ещё не загружался".to_string(),
        };
        ui.label(format!("• {} (проект {}): {state}", s.name, s.project));
    }
    ui.add_space(10.0);
    ui.label(RichText::new("Источники получения заявок").strong());
    if app.lists.lead_sources.is_empty() {
        ui.label("Не настроено ни одного источника получения заявок.");
    }
    for s in &app.lists.lead_sources {
        ui.label(format!("• {} — {}, {}", s.name, s.kind.title(), s.source_type.title()));
    }
}

pub fn catalog_ui(ui: &mut egui::Ui, app: &App) {
    ui.heading("Доп. реквизиты и статусы");
    note(ui, "Редакторы появятся здесь; пока — списки из хранилища.");
    ui.columns(2, |cols| {
        cols[0].label(RichText::new(format!("Статусы ({})", app.lists.statuses.len())).strong());
        for s in &app.lists.statuses {
            cols[0].label(format!("• {} — {}", s.name, s.group.title()));
        }
        cols[1].label(RichText::new(format!("Доп. реквизиты ({})", app.lists.extra_fields.len())).strong());
        for f in &app.lists.extra_fields {
            cols[1].label(format!("• {} ({})", f.name, f.dev_name));
        }
    });
}

pub fn exchange_ui(ui: &mut egui::Ui, app: &App) {
    ui.heading("Журнал обмена");
    note(ui, "Последние 100 запросов Roistat к HTTP-сервису.");
    if app.lists.exchange.is_empty() {
        ui.label("Запросов ещё не было.");
    }
    for e in &app.lists.exchange {
        let error = if e.error.is_empty() { String::new() } else { format!(" — {}", e.error) };
        ui.label(format!("{}  {}  {}  {}{error}", time(e.at), e.action, e.outcome.title(), e.http_status));
    }
}

pub fn settings_ui(ui: &mut egui::Ui, app: &App) {
    ui.heading("Настройки");
    note(ui, "Настройки HTTP-сервиса появятся здесь.");
    egui::Grid::new("settings").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        ui.label("Хранилище:");
        ui.label(app.store.path().display().to_string());
        ui.end_row();
        ui.label("Фактов аналитики:");
        ui.label(fmt_count(app.lists.fact_count as u64));
        ui.end_row();
        ui.label("Пользователи:");
        ui.label(app.users.iter().map(|u| format!("{} ({})", u.name, u.role.title())).collect::<Vec<_>>().join(", "));
        ui.end_row();
    });
}
