//! «Подключение»: where the window works — «На этом компьютере» or «Сервер PostgreSQL» — and the
//! screens shown while a store opens or when it cannot be opened.

use crate::app::Location;
use crate::app::connection::{ConnectionChoice, Place, TlsMode};
use egui::RichText;
use std::path::Path;

/// What the dialog asks its owner to do.
pub enum DialogAction {
    None,
    Close,
    /// «Проверить»: try the connection without switching.
    Check(Location),
    /// «Подключиться»: remember the choice and switch to it.
    Connect {
        location: Location,
        choice: ConnectionChoice,
    },
}

/// The dialog's fields. The password is only here, in memory, while the dialog lives.
pub struct ConnectionDialog {
    choice: ConnectionChoice,
    port: String,
    password: String,
    show_password: bool,
    /// The «Проверить» under way.
    checking: Option<u64>,
    /// The last check's answer, or why the fields are not usable.
    outcome: Option<Result<String, String>>,
    /// The window was started with `--database-url`.
    command_line: bool,
}

fn tls_title(mode: TlsMode) -> &'static str {
    match mode {
        TlsMode::Disable => "Без шифрования (disable)",
        TlsMode::Prefer => "Шифровать, если сервер умеет (prefer)",
        TlsMode::Require => "Всегда шифровать (require)",
        TlsMode::VerifyFull => "Шифровать и проверять сертификат (verify-full)",
    }
}

/// A text field in a two-column grid row, named by its label for screen readers and tests.
fn text_row(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).hint_text(hint).desired_width(320.0)).labelled_by(l.id);
    ui.end_row();
}

impl ConnectionDialog {
    pub fn new(choice: ConnectionChoice, command_line: bool) -> ConnectionDialog {
        ConnectionDialog {
            port: choice.port.to_string(),
            choice,
            password: String::new(),
            show_password: false,
            checking: None,
            outcome: None,
            command_line,
        }
    }

    /// The answer to a «Проверить»; an older check's answer is ignored.
    pub fn checked(&mut self, attempt: u64, result: Result<String, String>) {
        if self.checking == Some(attempt) {
            self.checking = None;
            self.outcome = Some(result);
        }
    }

    /// The check the owner started for this dialog.
    pub fn check_started(&mut self, attempt: u64) {
        self.checking = Some(attempt);
        self.outcome = None;
    }

    pub fn is_checking(&self) -> bool {
        self.checking.is_some()
    }

    /// Where the fields lead, or why they lead nowhere.
    fn location(&mut self, data_dir: &Path) -> Option<Location> {
        if self.choice.place == Place::Server {
            match self.port.trim().parse::<u16>() {
                Ok(port) if port > 0 => self.choice.port = port,
                _ => {
                    self.outcome = Some(Err("Порт — число от 1 до 65535, обычно 5432".into()));
                    return None;
                }
            }
        }
        match self.choice.location(data_dir, Some(self.password.as_str())) {
            Ok(location) => Some(location),
            Err(e) => {
                self.outcome = Some(Err(e));
                None
            }
        }
    }

    pub fn ui(&mut self, ctx: &egui::Context, data_dir: &Path) -> DialogAction {
        let mut action = DialogAction::None;
        egui::Modal::new(egui::Id::unique("connection_dialog")).show(ctx, |ui| {
            ui.set_width(620.0);
            ui.heading("Подключение к базе данных");
            if self.command_line {
                ui.label(
                    RichText::new(
                        "Сейчас база задана при запуске (--database-url или SKVOZ_DATABASE_URL): она действует до закрытия окна.",
                    )
                    .weak(),
                );
            }
            ui.add_space(6.0);
            ui.radio_value(&mut self.choice.place, Place::Local, "На этом компьютере");
            ui.indent("local_note", |ui| {
                ui.label(
                    RichText::new(format!(
                        "Данные в каталоге {} — для одного человека на одном компьютере",
                        data_dir.display()
                    ))
                    .weak(),
                );
            });
            ui.radio_value(&mut self.choice.place, Place::Server, "Сервер PostgreSQL");
            ui.indent("server_note", |ui| {
                ui.label(
                    RichText::new("База команды: окна сотрудников и «skvoz serve» работают с ней одновременно").weak(),
                );
            });
            if self.choice.place == Place::Server {
                ui.add_space(6.0);
                self.server_fields_ui(ui);
            }
            ui.add_space(8.0);
            match &self.outcome {
                _ if self.checking.is_some() => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Проверка связи…");
                    });
                }
                Some(Ok(text)) => {
                    ui.colored_label(egui::Color32::from_rgb(0x2e, 0x8b, 0x57), format!("✔ {text}"));
                }
                Some(Err(text)) => {
                    ui.colored_label(ui.visuals().error_fg_color, text);
                }
                None => {}
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Подключиться").clicked()
                    && let Some(location) = self.location(data_dir)
                {
                    action = DialogAction::Connect { location, choice: self.choice.clone() };
                }
                if ui.add_enabled(self.checking.is_none(), egui::Button::new("Проверить")).clicked()
                    && let Some(location) = self.location(data_dir)
                {
                    action = DialogAction::Check(location);
                }
                if ui.button("Отмена").clicked() {
                    action = DialogAction::Close;
                }
            });
        });
        action
    }

    fn server_fields_ui(&mut self, ui: &mut egui::Ui) {
        egui::Grid::new("connection_fields").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            text_row(ui, "Сервер", &mut self.choice.host, "db.example.ru");
            text_row(ui, "Порт", &mut self.port, "5432");
            text_row(ui, "База данных", &mut self.choice.database, "skvoz");
            text_row(ui, "Логин", &mut self.choice.user, "");
            let l = ui.label("Пароль");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.password).password(!self.show_password).desired_width(220.0),
                )
                .labelled_by(l.id);
                ui.checkbox(&mut self.show_password, "Показать");
            });
            ui.end_row();
            let l = ui.label("Шифрование");
            let mut tls = self.choice.tls();
            let combo =
                egui::ComboBox::from_id_salt("sslmode").selected_text(tls_title(tls)).width(320.0).show_ui(ui, |ui| {
                    for mode in TlsMode::ALL {
                        ui.selectable_value(&mut tls, mode, tls_title(mode));
                    }
                });
            combo.response.labelled_by(l.id);
            self.choice.sslmode = tls.name().into();
            ui.end_row();
            if tls == TlsMode::VerifyFull {
                text_row(ui, "Корневой сертификат", &mut self.choice.root_cert, "пусто — сертификаты системы");
            }
        });
        ui.label(
            RichText::new(
                "Пароль не запоминается. Чтобы не вводить его при каждом запуске, запишите его в файл .pgpass \
                 или в переменную PGPASSWORD; пустое поле — пароль оттуда.",
            )
            .weak(),
        );
    }
}

/// While the store opens: the first frame of every start. True when «Подключение…» was pressed
/// (a server that does not answer need not be waited for).
pub fn opening_ui(ui: &mut egui::Ui, label: &str) -> bool {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() / 3.0);
        ui.spinner();
        ui.add_space(8.0);
        ui.label(RichText::new("Подключение к базе…").size(18.0));
        ui.label(RichText::new(label).weak());
        ui.add_space(12.0);
        ui.button("Подключение…").clicked()
    })
    .inner
}

/// What the failure screen asks for.
#[derive(PartialEq, Eq)]
pub enum FailedAction {
    None,
    Retry,
    OpenDialog,
}

/// The store could not be opened: why, and the two ways on.
pub fn failed_ui(ui: &mut egui::Ui, label: &str, error: &str) -> FailedAction {
    let mut action = FailedAction::None;
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() / 4.0);
        ui.label(RichText::new("Не удалось подключиться к базе данных").size(20.0).strong());
        ui.label(RichText::new(label).weak());
        ui.add_space(8.0);
        ui.scope(|ui| {
            ui.set_max_width(720.0);
            ui.colored_label(ui.visuals().error_fg_color, error);
        });
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            // Centred: the two buttons' width is known only after the first frame; near enough.
            ui.add_space(((ui.available_width() - 260.0) / 2.0).max(0.0));
            if ui.button("Повторить").clicked() {
                action = FailedAction::Retry;
            }
            if ui.button("Подключение…").clicked() {
                action = FailedAction::OpenDialog;
            }
        });
    });
    action
}
