//! Runs the commands the screens pushed during the frame: view commands change the state here,
//! store work goes to the background runtime and answers with an event.

use super::command::{AppEvent, Command};
use super::state::ExportFormat;
use super::{App, Background, Message, Page, PeriodPreset, export};
use crate::domain::Actor;
use crate::report::{Column, Sort};

/// Starts the store work of a command on the background runtime; `false` for a view command.
pub(super) fn run_store_work(bg: &Background, command: &Command) -> bool {
    run_store_work_as(bg, command, None)
}

/// [`run_store_work`] whose writes the history records as made by `author`: on the embedded
/// store, the person chosen in the window. On a team database the signed-in login is the author.
fn run_store_work_as(bg: &Background, command: &Command, author: Option<&str>) -> bool {
    let store = match author.filter(|a| !a.is_empty()) {
        Some(author) if bg.store().embedded_dir().is_some() => {
            bg.store().acting_as(Actor { author: author.to_string(), origin: bg.store().actor().origin })
        }
        _ => bg.store().clone(),
    };
    match command {
        Command::Leads(c) => {
            let c = c.clone();
            bg.answer(async move { AppEvent::Leads(super::leads::run(store, c).await) });
        }
        Command::LoadCalls => bg.answer(async move {
            let loaded = async {
                let mut calls = store.calls().await?;
                calls.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
                let ids = calls.iter().filter_map(|c| c.lead_id).collect();
                Ok::<_, crate::store::StoreError>((calls, store.leads_by_ids(ids).await?))
            };
            AppEvent::Calls(loaded.await.map_err(|e| e.to_string()))
        }),
        Command::Admin(c) => {
            let c = c.clone();
            bg.answer(async move { AppEvent::Admin(super::admin::run(store, c).await) });
        }
        Command::Plans(c) => {
            let c = c.clone();
            bg.answer(async move { AppEvent::Plans(super::plans::run(store, c).await) });
        }
        _ => return false,
    }
    true
}

impl App {
    /// Runs the commands the screens emitted during the frame (and those the events gave).
    pub fn run_commands(&mut self) {
        while !self.commands.is_empty() {
            for command in std::mem::take(&mut self.commands) {
                self.run(command);
            }
        }
        self.ensure_view();
    }

    fn run(&mut self, command: Command) {
        let author = self.current_user().map(|u| u.name.clone());
        if run_store_work_as(&self.bg, &command, author.as_deref()) {
            return;
        }
        match command {
            Command::Navigate(page) => {
                if self.pages().contains(&page) {
                    self.state.page = page;
                }
            }
            // The window opens the source's form (its own view state); here only the page.
            Command::OpenReconciliation(source_id) => {
                if !self.pages().contains(&Page::Sources) {
                    self.message = Some(Message::Info(
                        "Сверку с Roistat открывает администратор: «Источники» → «Источники получения аналитики»"
                            .into(),
                    ));
                } else if self.lists.analytics_sources.iter().any(|s| s.id == source_id) {
                    self.state.page = Page::Sources;
                }
            }
            // The window opens the form (the leads screen's own state); here only the page.
            Command::OpenLead(_) => {
                if self.pages().contains(&Page::Leads) {
                    self.state.page = Page::Leads;
                }
            }
            Command::SetPreset(preset) => {
                if preset == PeriodPreset::Custom && self.state.preset != PeriodPreset::Custom {
                    // Start the custom period from what is on screen.
                    let (from, to) = self.period();
                    self.state.custom_from = Some(from);
                    self.state.custom_to = Some(to);
                }
                self.state.preset = preset;
                self.request_report();
            }
            Command::SetCustomPeriod(from, to) => {
                let (from, to) = if from <= to { (from, to) } else { (to, from) };
                self.state.preset = PeriodPreset::Custom;
                self.state.custom_from = Some(from);
                self.state.custom_to = Some(to);
                self.request_report();
            }
            Command::SetGrouping(grouping) => {
                // Days read in date order; leaving them, the figures' default order comes back.
                let by_name = crate::report::Sort { column: crate::report::Column::Name, descending: false };
                if grouping == crate::report::Grouping::Day {
                    self.state.sort = by_name;
                } else if self.state.grouping == crate::report::Grouping::Day && self.state.sort == by_name {
                    self.state.sort = crate::report::Sort::default();
                }
                self.state.grouping = grouping;
                self.dashboard.expanded.clear();
                self.request_report();
            }
            Command::SetChannel(channel) => {
                self.dashboard.channel = channel;
                self.request_report();
            }
            // The view tab follows by itself (`ensure_view`, after the commands).
            Command::ShowView(view) => self.state.view = view,
            Command::SetBasis(basis) => self.state.basis = basis,
            Command::SetSaleField(field) => self.state.sale_field = field,
            Command::SetComparison(comparison) => {
                self.state.comparison = comparison;
                self.request_report();
            }
            Command::SortBy(column) => {
                let sort = &mut self.state.sort;
                if sort.column == column {
                    sort.descending = !sort.descending;
                } else {
                    *sort = Sort { column, descending: column != Column::Name };
                }
                self.resort();
            }
            Command::ToggleRow(path) => {
                if !self.dashboard.expanded.remove(&path) {
                    self.dashboard.expanded.insert(path);
                }
            }
            Command::SetUser(id) => {
                if self.users.iter().any(|u| u.id == id) {
                    self.state.user_id = Some(id);
                    self.state.theme = self.state.themes.get(&id).copied().unwrap_or_default();
                    self.fit_page_to_role();
                }
            }
            Command::SetTheme(theme) => {
                self.state.theme = theme;
                if let Some(id) = self.state.user_id {
                    self.state.themes.insert(id, theme);
                }
            }
            Command::LoadDemo => self.load_demo(),
            Command::Export(format) => self.export(format),
            Command::DismissMessage => self.message = None,
            Command::OpenConnection => self.connection_asked = true,
            Command::RestartService => {
                if self.services.is_started() {
                    // Stops the old listener (requests in flight finish), then listens on the new address.
                    self.services.restart_service(&self.store);
                    self.message = Some(Message::Info(
                        "HTTP-сервис перезапускается с новыми настройками; его состояние — в строке состояния внизу"
                            .into(),
                    ));
                } else {
                    self.message = Some(Message::Info(
                        "Настройки сохранены; HTTP-сервис в этом окне не запущен. Если он работает в «skvoz serve», перезапустите её"
                            .into(),
                    ));
                }
            }
            Command::Leads(_) | Command::LoadCalls | Command::Admin(_) | Command::Plans(_) => {}
        }
    }

    fn load_demo(&mut self) {
        if self.demo_loading {
            return;
        }
        self.demo_loading = true;
        let (store, today) = (self.store.clone(), self.today);
        self.bg.answer(async move {
            AppEvent::DemoLoaded(
                crate::demo::fill(&store, crate::demo::DEFAULT_SEED, today).await.map_err(|e| e.to_string()),
            )
        });
    }

    /// The suggested file name: `Сквозная аналитика 2026-10-26 — 2026-11-24.xlsx`, or the view's
    /// title on a view tab (`Воронка 2026-10-26 — 2026-11-24.csv`).
    pub fn export_file_name(&self, format: ExportFormat) -> String {
        let (from, to) = self.period();
        let title = self.state.view.map_or(EXPORT_TITLE, |v| v.title());
        format!("{} {from} — {to}.{}", file_safe(title), format.extension())
    }

    /// Exports what the dashboard's tab shows: the ROI table or the view's table.
    fn export(&mut self, format: ExportFormat) {
        if self.export_running {
            return;
        }
        let name = self.export_file_name(format);
        let write: WriteFile = if let Some(view) = self.state.view {
            let Some(table) = self.views.table_for(view).cloned() else {
                self.message =
                    Some(Message::Error("Нет данных для выгрузки: дождитесь, пока отчёт посчитается".into()));
                return;
            };
            let sheet = file_safe(view.title());
            Box::new(move |path| match format {
                ExportFormat::Csv => std::fs::File::create(path)
                    .map_err(export::ExportError::from)
                    .and_then(|f| export::write_view_csv(&mut std::io::BufWriter::new(f), &table)),
                ExportFormat::Xlsx => export::view_xlsx_bytes(&table, &sheet)
                    .and_then(|bytes| std::fs::write(path, bytes).map_err(export::ExportError::from)),
            })
        } else {
            let Some(report) = &self.dashboard.report else {
                self.message = Some(Message::Error("Нет данных для выгрузки: выберите период с данными".into()));
                return;
            };
            let rows = self.dashboard.sorted_rows.clone();
            let totals = report.totals.figures;
            let grouping = report.query.grouping;
            let caption = report.caption();
            Box::new(move |path| match format {
                ExportFormat::Csv => std::fs::File::create(path).map_err(export::ExportError::from).and_then(|f| {
                    export::write_csv(&mut std::io::BufWriter::new(f), &rows, &totals, grouping, Some(&caption))
                }),
                ExportFormat::Xlsx => export::xlsx_bytes(&rows, &totals, grouping, EXPORT_TITLE, Some(&caption))
                    .and_then(|bytes| std::fs::write(path, bytes).map_err(export::ExportError::from)),
            })
        };
        self.export_running = true;
        let picker = self.file_picker.clone();
        self.bg
            .run_blocking(move || save_export(picker.as_ref(), &name, format, write), |e| AppEvent::Exported(Err(e)));
    }
}

/// Writes an export's file at the path chosen, on the background.
type WriteFile = Box<dyn FnOnce(&std::path::Path) -> Result<(), export::ExportError> + Send>;

/// The ROI table's title in file names and as the sheet's name.
const EXPORT_TITLE: &str = "Сквозная аналитика";

/// A title as a file or sheet name: «План / факт» → «План - факт» (a slash would make a folder).
fn file_safe(title: &str) -> String {
    title.replace(['/', '\\'], "-")
}

/// Asks where to save (or falls back to «Загрузки» when no dialog can be shown), then `write`s the
/// file there; says what happened.
fn save_export(
    picker: &dyn super::FilePicker,
    name: &str,
    format: ExportFormat,
    write: impl FnOnce(&std::path::Path) -> Result<(), export::ExportError>,
) -> AppEvent {
    let (mut path, note) = match picker.save_path(name, format) {
        Ok(Some(path)) => (path, None),
        Ok(None) => return AppEvent::Exported(Ok(None)),
        // No dialog: the file still gets written, to «Загрузки», and the window says where.
        Err(why) => match picker.fallback_dir() {
            Some(dir) => (free_path(&dir, name), Some(why)),
            None => {
                return AppEvent::Exported(Err(format!(
                    "Отчёт не сохранён: {why}, а папка «Загрузки» не найдена. Выгрузите отчёт \
                     командой skvoz report --format csv"
                )));
            }
        },
    };
    // The file opens in the program its extension names: a name typed without it gets it.
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case(format.extension())) {
        let mut with = path.into_os_string();
        with.push(".");
        with.push(format.extension());
        path = with.into();
    }
    let result = write(&path);
    let shown = path.display();
    AppEvent::Exported(match (result, note) {
        (Ok(()), None) => Ok(Some(format!("Отчёт сохранён: {shown}"))),
        (Ok(()), Some(why)) => Ok(Some(format!("{why}, поэтому отчёт сохранён в папку «Загрузки»: {shown}"))),
        (Err(e), None) => Err(e.to_string()),
        (Err(e), Some(why)) => Err(format!("Отчёт не сохранён: {why}, а в папку «Загрузки» записать не удалось. {e}")),
    })
}

/// `dir/name`, or `dir/stem (2).ext` and so on when that is taken: a fallback never overwrites.
fn free_path(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    (2..)
        .map(|n| dir.join(if ext.is_empty() { format!("{stem} ({n})") } else { format!("{stem} ({n}).{ext}") }))
        .find(|p| !p.exists())
        .unwrap_or(first)
}
