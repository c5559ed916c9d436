//! «Сквозная аналитика»: the tabs (the ROI table, and the views of our own leads in
//! [`super::views`]); on the ROI tab period, filter, KPI cards, charts and the drill-down table,
//! all of them Roistat's figures.

use super::widgets::kpi::{Kpi, kpi_ui};
use super::widgets::period::period_ui;
use crate::app::{App, Command, ExportFormat, Page};
use crate::domain::Role;
use crate::report::chart::{ChannelLine, Chart};
use crate::report::views::View;
use crate::report::{
    Column, Comparison, Figures, Grouping, Report, Row, change, fmt_count, fmt_date, fmt_money, fmt_percent,
    fmt_ratio_money,
};
use egui::{Align, Layout, RichText};
use egui_extras::{Column as TableColumn, TableBuilder};
use egui_plot::{Bar, BarChart, GridMark, Line, Plot, PlotPoints};

/// What the ROI tab's figures are, said as each view says where its own come from.
pub const SOURCE_ROISTAT: &str =
    "Источник данных: Roistat (визиты, расходы, заявки, продажи и выручка — как их считает Roistat)";

/// The ROI tab's title: the page's own name.
const ROI_TAB: &str = "Сквозная аналитика";

pub fn ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    reconciliation_badge(ui, app, commands);
    tabs_ui(ui, app, commands);
    match app.state.view {
        None => roi_ui(ui, app, commands),
        Some(view) => super::views::ui(ui, app, view, commands),
    }
}

/// «Сквозная аналитика | Воронка | Новые и повторные | Менеджеры | Когорты | План / факт».
fn tabs_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let tabs = std::iter::once((None, ROI_TAB)).chain(View::ALL.iter().map(|v| (Some(*v), v.title())));
        for (view, title) in tabs {
            let on = app.state.view == view;
            let tab =
                ui.add(egui::Button::selectable(on, RichText::new(title).size(14.0)).min_size(egui::vec2(0.0, 26.0)));
            // Tabs, not buttons, for screen readers (and tests): the page's own button is named alike.
            tab.widget_info(|| egui::WidgetInfo::selected(egui::Role::Tab, true, on, title));
            if tab.clicked() && !on {
                commands.push(Command::ShowView(view));
            }
        }
    });
    ui.separator();
}

/// The ROI tab: Roistat's figures.
fn roi_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    if !app.has_facts() {
        empty_ui(ui, app, commands);
        return;
    }
    controls_ui(ui, app, commands);
    ui.add_space(4.0);
    let Some(report) = &app.dashboard.report else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Считаем отчёт…");
        });
        return;
    };
    if let Some(e) = &app.dashboard.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    let width = ui.available_width();
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        // The wide table scrolls on its own; the page keeps the window's width.
        ui.set_max_width(width);
        if let Some(last) = app.data_end_before_period_end() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "Данные Roistat загружены по {}: более поздние дни появятся после следующей загрузки",
                    fmt_date(last)
                ),
            );
        }
        ui.label(RichText::new(SOURCE_ROISTAT).weak());
        kpis_ui(ui, report);
        comparison_ui(ui, app, report, commands);
        ui.add_space(8.0);
        charts_ui(ui, report, &drilled_channels(app, report));
        ui.add_space(8.0);
        table_ui(ui, app, report, commands);
    });
}

/// A red badge while Roistat has sent leads that we do not have («Сверка с Roistat»).
fn reconciliation_badge(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    let missing: Vec<(u64, usize)> = app
        .lists
        .analytics_sources
        .iter()
        .filter_map(|s| s.reconciliation.as_ref().map(|r| (s.id, r.missing_count)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let Some(&(first, _)) = missing.first() else { return };
    let total: usize = missing.iter().map(|(_, n)| n).sum();
    let text =
        RichText::new(format!("⚠ Сверка с Roistat: нет у нас заявок — {total}")).color(egui::Color32::WHITE).strong();
    let badge = egui::Button::new(text).fill(ui.visuals().error_fg_color);
    if ui.add(badge).on_hover_text("Roistat отправил эти заявки, а у нас их нет: открыть сверку").clicked()
    {
        commands.push(Command::OpenReconciliation(first));
    }
    ui.add_space(4.0);
}

fn empty_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.25);
        ui.heading("Данных сквозной аналитики пока нет");
        ui.add_space(6.0);
        ui.label("Подключите источник получения аналитики Roistat — визиты и расходы загрузятся по расписанию.");
        ui.label("Или загрузите демо-данные, чтобы посмотреть, как выглядит отчёт.");
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            // Centre the two buttons.
            ui.add_space((ui.available_width() - 470.0).max(0.0) / 2.0);
            ui.add_enabled_ui(!app.demo_loading, |ui| {
                if ui.add(egui::Button::new("Загрузить демо-данные").min_size(egui::vec2(220.0, 30.0))).clicked()
                {
                    commands.push(Command::LoadDemo);
                }
            });
            let can_configure = app.pages().contains(&Page::Sources);
            let configure = ui.add_enabled(
                can_configure,
                egui::Button::new("Настроить источник аналитики").min_size(egui::vec2(240.0, 30.0)),
            );
            if configure.clicked() {
                commands.push(Command::Navigate(Page::Sources));
            }
            if !can_configure {
                configure.on_disabled_hover_text("Источники настраивает администратор");
            }
        });
        if app.demo_loading {
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                ui.add_space((ui.available_width() - 200.0).max(0.0) / 2.0);
                ui.spinner();
                ui.label("Загружаем демо-данные…");
            });
        }
    });
}

fn controls_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    period_ui(ui, app.state.preset, app.period(), app.today, commands);
    ui.horizontal(|ui| {
        ui.label("Группировка:");
        let combo =
            egui::ComboBox::from_id_salt("grouping").selected_text(app.state.grouping.title()).show_ui(ui, |ui| {
                for g in Grouping::ALL {
                    if ui.selectable_label(app.state.grouping == g, g.title()).clicked() && g != app.state.grouping {
                        commands.push(Command::SetGrouping(g));
                    }
                }
            });
        super::widgets::name_combo(&combo.response, "Группировка", app.state.grouping.title());
        ui.add_space(8.0);
        channel_ui(ui, app, commands);
        if app.dashboard.loading {
            ui.spinner();
        }
        export_ui(ui, app, app.dashboard.report.is_some(), commands);
    });
}

/// «Канал:» and the channels Roistat's figures name; the views filter by it too.
pub(super) fn channel_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    ui.label("Канал:");
    let channels = app.dashboard.report.as_ref().map(|r| r.channels.as_slice()).unwrap_or_default();
    let current = app.dashboard.channel.as_deref();
    let selected = current
        .map(|key| channels.iter().find(|c| c.key == key).map(|c| c.title.as_str()).unwrap_or(key))
        .unwrap_or("Все каналы");
    let combo = egui::ComboBox::from_id_salt("channel").selected_text(selected).width(180.0).show_ui(ui, |ui| {
        if ui.selectable_label(current.is_none(), "Все каналы").clicked() && current.is_some() {
            commands.push(Command::SetChannel(None));
        }
        for c in channels {
            let on = current == Some(c.key.as_str());
            if ui.selectable_label(on, &c.title).clicked() && !on {
                commands.push(Command::SetChannel(Some(c.key.clone())));
            }
        }
    });
    super::widgets::name_combo(&combo.response, "Канал", selected);
}

/// The export buttons on the right of the controls' line, for what the tab shows.
pub(super) fn export_ui(ui: &mut egui::Ui, app: &App, ready: bool, commands: &mut Vec<Command>) {
    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
        ui.add_enabled_ui(!app.export_running && ready, |ui| {
            if ui.button("Выгрузить в Excel").on_hover_text("Таблица со всеми уровнями, файл XLSX").clicked()
            {
                commands.push(Command::Export(ExportFormat::Xlsx));
            }
            if ui.button("Выгрузить в CSV").on_hover_text("UTF-8, разделитель «;» — открывается в Excel").clicked()
            {
                commands.push(Command::Export(ExportFormat::Csv));
            }
        });
        if app.role() == Role::Manager {
            ui.label(RichText::new("Только просмотр").weak());
        }
    });
}

fn ratio_change(cur: Option<f64>, prev: Option<f64>) -> Option<f64> {
    change(cur, prev)
}

fn money_f(m: Option<crate::domain::Money>) -> Option<f64> {
    m.map(|m| m.kopecks() as f64)
}

fn kpis_ui(ui: &mut egui::Ui, report: &Report) {
    let (f, p) = (&report.totals.figures, &report.previous.figures);
    let c = |a: u64, b: u64| change(Some(a as f64), Some(b as f64));
    let cards = [
        Kpi {
            title: "Визиты",
            value: fmt_count(f.visits),
            change: c(f.visits, p.visits),
            lower_is_better: false,
            hint: "",
        },
        Kpi {
            title: "Заявки",
            value: fmt_count(f.leads),
            change: c(f.leads, p.leads),
            lower_is_better: false,
            hint: "",
        },
        Kpi {
            title: "Продажи",
            value: fmt_count(f.sales),
            change: c(f.sales, p.sales),
            lower_is_better: false,
            hint: "",
        },
        Kpi {
            title: "Выручка",
            value: fmt_money(f.revenue),
            change: money_change(f.revenue, p.revenue),
            lower_is_better: false,
            hint: "",
        },
        Kpi {
            title: "Расходы",
            value: fmt_money(f.cost),
            change: money_change(f.cost, p.cost),
            lower_is_better: true,
            hint: "Расходы на рекламу",
        },
        Kpi {
            title: "Прибыль",
            value: fmt_money(f.profit()),
            change: money_change(f.profit(), p.profit()),
            lower_is_better: false,
            hint: Column::Profit.hint(),
        },
        Kpi {
            title: "CPL",
            value: fmt_ratio_money(f.cpl()),
            change: ratio_change(money_f(f.cpl()), money_f(p.cpl())),
            lower_is_better: true,
            hint: Column::Cpl.hint(),
        },
        Kpi {
            title: "ROI",
            value: fmt_percent(f.roi()),
            change: ratio_change(f.roi(), p.roi()),
            lower_is_better: false,
            hint: Column::Roi.hint(),
        },
    ];
    // One row of eight when each card gets room for «13 821 000 ₽», else two rows of four.
    let per_row = if ui.available_width() >= 8.0 * 160.0 { 8 } else { 4 };
    for chunk in cards.chunks(per_row) {
        ui.columns(per_row, |cols| {
            for (col, card) in cols.iter_mut().zip(chunk) {
                kpi_ui(col, card);
            }
        });
    }
}

/// «Изменения — с теми же днями прошлого месяца: 01.10.2026 — 15.10.2026», the comparison chosen in place.
fn comparison_ui(ui: &mut egui::Ui, app: &App, report: &Report, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let l = ui.label("Изменения —");
        let current = app.state.comparison;
        egui::ComboBox::from_id_salt("comparison")
            .selected_text(current.title())
            .show_ui(ui, |ui| {
                for comparison in Comparison::ALL {
                    if ui.selectable_label(comparison == current, comparison.title()).clicked() && comparison != current
                    {
                        commands.push(Command::SetComparison(comparison));
                    }
                }
            })
            .response
            .labelled_by(l.id);
        ui.label(format!("{} — {}", fmt_date(report.previous.from), fmt_date(report.previous.to)));
    });
}

fn money_change(a: crate::domain::Money, b: crate::domain::Money) -> Option<f64> {
    change(Some(a.kopecks() as f64), Some(b.kopecks() as f64))
}

const COST_COLOR: egui::Color32 = egui::Color32::from_rgb(86, 140, 220);
const VISITS_COLOR: egui::Color32 = egui::Color32::from_rgb(235, 140, 40);

/// Channel colours, picked by the channel's key so a channel looks the same in every period.
const CHANNEL_COLORS: [egui::Color32; 8] = [
    egui::Color32::from_rgb(220, 90, 80),
    egui::Color32::from_rgb(80, 170, 220),
    egui::Color32::from_rgb(120, 190, 90),
    egui::Color32::from_rgb(200, 110, 200),
    egui::Color32::from_rgb(230, 170, 50),
    egui::Color32::from_rgb(70, 190, 170),
    egui::Color32::from_rgb(150, 130, 230),
    egui::Color32::from_rgb(200, 140, 100),
];

fn channel_color(line: &ChannelLine) -> egui::Color32 {
    CHANNEL_COLORS[line.color % CHANNEL_COLORS.len()]
}

/// A round scale so visits share the cost axis: the right axis shows visits.
fn visits_scale(chart: &Chart) -> f64 {
    let max_cost = chart.buckets.iter().map(|b| b.cost.as_f64_rubles()).fold(0.0, f64::max);
    let max_visits = chart.buckets.iter().map(|b| b.visits as f64).fold(0.0, f64::max);
    if max_cost <= 0.0 || max_visits <= 0.0 {
        return 1.0;
    }
    let raw = max_cost / max_visits;
    let magnitude = 10f64.powf(raw.log10().floor());
    let nice = [1.0, 2.0, 5.0, 10.0].into_iter().find(|m| m * magnitude >= raw).unwrap_or(10.0);
    nice * magnitude
}

fn y_money(mark: GridMark, _: &std::ops::RangeInclusive<f64>) -> String {
    if mark.value < 0.0 {
        return String::new();
    }
    compact(mark.value)
}

/// `1,2 млн`, `350 тыс.`, `900`.
fn compact(v: f64) -> String {
    if v.abs() >= 1_000_000.0 {
        format!("{:.1} млн", v / 1_000_000.0).replace('.', ",").replace(",0 ", " ")
    } else if v.abs() >= 1_000.0 {
        format!("{:.0} тыс.", v / 1_000.0)
    } else {
        format!("{v:.0}")
    }
}

/// The bucket under the pointer.
fn hovered(pos: &egui_plot::HoverPosition) -> Option<usize> {
    let x = match pos {
        egui_plot::HoverPosition::NearDataPoint { position, .. } => position.x,
        egui_plot::HoverPosition::Elsewhere { position } => position.x,
    }
    .round();
    (x >= 0.0).then_some(x as usize)
}

/// The legend above a chart, outside the plot: it never covers a line.
fn legend_ui(ui: &mut egui::Ui, items: &[(String, egui::Color32)]) {
    ui.horizontal_wrapped(|ui| {
        for (title, color) in items {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
            ui.painter().circle_filled(rect.center(), 5.0, *color);
            ui.label(title);
            ui.add_space(6.0);
        }
    });
}

/// The channels opened in the table's drill-down (grouped by channel): the charts follow them.
fn drilled_channels<'a>(app: &'a App, report: &Report) -> Vec<&'a str> {
    if report.query.grouping != Grouping::Channel {
        return Vec::new();
    }
    // A top-level path is the channel's key itself (see `visible_rows`).
    let mut keys: Vec<&str> = app
        .dashboard
        .sorted_rows
        .iter()
        .map(|r| r.key.as_str())
        .filter(|k| app.dashboard.expanded.contains(*k))
        .collect();
    keys.dedup();
    keys
}

fn charts_ui(ui: &mut egui::Ui, report: &Report, drilled: &[&str]) {
    let chart = Chart::of_channels(report, CHANNEL_COLORS.len(), drilled);
    let n = chart.buckets.len();
    let height = 240.0;
    let by = if chart.weekly { "по неделям" } else { "по дням" };
    // Narrowed to the channels open in the table: said in the titles, so nothing below moves.
    let only = if chart.only.is_empty() {
        String::new()
    } else {
        format!(" — только {}", chart.only.iter().map(|t| format!("«{t}»")).collect::<Vec<_>>().join(", "))
    };
    let title = |ui: &mut egui::Ui, text: String| {
        let text = RichText::new(text).strong();
        let l = ui.label(if only.is_empty() { text } else { text.color(ui.visuals().warn_fg_color) });
        if !only.is_empty() {
            l.on_hover_text("Канал раскрыт в таблице: сверните его, чтобы видеть все каналы");
        }
    };
    ui.columns(2, |cols| {
        {
            let ui = &mut cols[0];
            title(ui, format!("Расходы и визиты {by}{only}"));
            legend_ui(ui, &[("Расходы, ₽".into(), COST_COLOR), ("Визиты".into(), VISITS_COLOR)]);
            let scale = visits_scale(&chart);
            let bars: Vec<Bar> = chart
                .buckets
                .iter()
                .enumerate()
                .map(|(i, b)| Bar::new(i as f64, b.cost.as_f64_rubles()).width(0.7))
                .collect();
            let visits: Vec<[f64; 2]> =
                chart.buckets.iter().enumerate().map(|(i, b)| [i as f64, b.visits as f64 * scale]).collect();
            let chart = &chart;
            fixed_plot(ui, "cost_visits", height, chart)
                .custom_y_axes(vec![
                    egui_plot::AxisHints::new_y().label("Расходы, ₽").formatter(y_money),
                    egui_plot::AxisHints::new_y().placement(egui_plot::HPlacement::Right).formatter(move |mark, _| {
                        if mark.value < 0.0 { String::new() } else { compact(mark.value / scale) }
                    }),
                ])
                .label_formatter(move |pos| chart.cost_visits_hover(hovered(pos)?))
                .show(ui, |plot| {
                    plot.bar_chart(BarChart::new("Расходы", bars).color(COST_COLOR));
                    // A line of one or two points is hard to see: they get dots.
                    if n <= 2 {
                        plot.points(egui_plot::Points::new("Визиты", visits.clone()).radius(4.0).color(VISITS_COLOR));
                    }
                    plot.line(Line::new("Визиты", PlotPoints::from(visits)).color(VISITS_COLOR).width(2.0));
                });
        }
        {
            let ui = &mut cols[1];
            title(ui, format!("Расходы по каналам {by}{only}"));
            let legend: Vec<(String, egui::Color32)> =
                chart.channels.iter().map(|c| (c.title.clone(), channel_color(c))).collect();
            legend_ui(ui, &legend);
            let chart = &chart;
            fixed_plot(ui, "cost_by_channel", height, chart)
                .custom_y_axes(vec![
                    egui_plot::AxisHints::new_y().label("Расходы, ₽").formatter(y_money).min_thickness(58.0),
                ])
                .label_formatter(move |pos| chart.channels_hover(hovered(pos)?))
                .show(ui, |plot| {
                    for line in &chart.channels {
                        let points: Vec<[f64; 2]> =
                            line.cost.iter().enumerate().map(|(i, c)| [i as f64, c.as_f64_rubles()]).collect();
                        let color = channel_color(line);
                        if n <= 2 {
                            plot.points(
                                egui_plot::Points::new(line.title.clone(), points.clone()).radius(4.0).color(color),
                            );
                        }
                        plot.line(Line::new(line.title.clone(), PlotPoints::from(points)).color(color).width(1.5));
                    }
                    if chart.channels.is_empty() {
                        plot.line(Line::new("", PlotPoints::default()));
                    }
                });
            if !chart.free_channels.is_empty() {
                ui.weak(format!("Без расходов: {}", chart.free_channels.join(", ")));
            }
        }
    });
}

/// A row as the table shows it: depth, path for expanding, the row.
struct Visible<'a> {
    depth: usize,
    path: String,
    row: &'a Row,
}

fn visible_rows<'a>(rows: &'a [Row], app: &App) -> Vec<Visible<'a>> {
    fn walk<'a>(rows: &'a [Row], depth: usize, prefix: &str, app: &App, out: &mut Vec<Visible<'a>>) {
        for row in rows {
            // By depth, not by an empty prefix: a channel's value may be empty (direct visits).
            let path = if depth == 0 { row.key.clone() } else { format!("{prefix}/{}", row.key) };
            let open = app.dashboard.expanded.contains(&path);
            out.push(Visible { depth, path: path.clone(), row });
            if open {
                walk(&row.children, depth + 1, &path, app, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(rows, 0, "", app, &mut out);
    out
}

/// The first column's width: it stays in place while the figures scroll sideways.
const NAME_WIDTH: f32 = 220.0;
const ROW_HEIGHT: f32 = 22.0;
const HEADER_HEIGHT: f32 = 26.0;

/// Columns hidden until chosen: with the rest, ROI fits at 1280 pixels.
const DEFAULT_HIDDEN: [Column; 3] = [Column::Cpo, Column::ConversionToSales, Column::AverageCheck];

fn hidden_columns_id() -> egui::Id {
    egui::Id::unique("report_hidden_columns")
}

/// The metric columns hidden by «Столбцы»; kept with the window's memory between runs.
pub fn hidden_columns(ctx: &egui::Context) -> Vec<Column> {
    ctx.data_mut(|d| d.get_persisted::<Vec<Column>>(hidden_columns_id())).unwrap_or_else(|| DEFAULT_HIDDEN.to_vec())
}

/// «Столбцы ▾»: a tick per metric column.
fn columns_menu_ui(ui: &mut egui::Ui, grouping: Grouping) {
    let mut hidden = hidden_columns(ui.ctx());
    let before = hidden.clone();
    ui.menu_button("Столбцы таблицы…", |ui| {
        for column in Column::METRICS {
            let mut shown = !hidden.contains(column);
            if ui.checkbox(&mut shown, column.title(grouping)).changed() {
                if shown {
                    hidden.retain(|c| c != column);
                } else {
                    hidden.push(*column);
                }
            }
        }
        if ui.button("Как было").on_hover_text("Столбцы по умолчанию").clicked() {
            hidden = DEFAULT_HIDDEN.to_vec();
        }
    });
    if hidden != before {
        ui.data_mut(|d| d.insert_persisted(hidden_columns_id(), hidden));
    }
}

fn header_cell(
    ui: &mut egui::Ui,
    column: Column,
    grouping: Grouping,
    sort: crate::report::Sort,
    commands: &mut Vec<Command>,
) {
    let title = column.title(grouping);
    let arrow = match (sort.column == column, sort.descending) {
        (true, true) => " ▼",
        (true, false) => " ▲",
        _ => "",
    };
    let layout = if column == Column::Name {
        Layout::left_to_right(Align::Center)
    } else {
        Layout::right_to_left(Align::Center)
    };
    ui.with_layout(layout, |ui| {
        let b = ui.add(egui::Button::new(RichText::new(format!("{title}{arrow}")).strong()).frame(false));
        let label = format!("Сортировать: {title}");
        b.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
        let b = if column.hint().is_empty() { b } else { b.on_hover_text(column.hint()) };
        if b.clicked() {
            commands.push(Command::SortBy(column));
        }
    });
}

fn table_ui(ui: &mut egui::Ui, app: &App, report: &Report, commands: &mut Vec<Command>) {
    let grouping = report.query.grouping;
    let rows = visible_rows(&app.dashboard.sorted_rows, app);
    let sort = app.state.sort;
    columns_menu_ui(ui, grouping);
    let hidden = hidden_columns(ui.ctx());
    let shown: Vec<Column> = Column::METRICS.iter().copied().filter(|c| !hidden.contains(c)).collect();
    // Two tables side by side with the same rows: the names stay while the figures scroll.
    let top = ui.cursor().min;
    let width = ui.available_width();
    let mut names = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(egui::Rect::from_min_size(top, egui::vec2(NAME_WIDTH, f32::INFINITY)))
            .layout(Layout::top_down(Align::Min)),
    );
    TableBuilder::new(&mut names)
        .id_salt("report_names")
        .striped(true)
        .vscroll(false)
        .cell_layout(Layout::left_to_right(Align::Center))
        .column(TableColumn::exact(NAME_WIDTH - 8.0).clip(true))
        .header(HEADER_HEIGHT, |mut header| {
            header.col(|ui| header_cell(ui, Column::Name, grouping, sort, commands));
        })
        .body(|mut body| {
            for v in &rows {
                body.row(ROW_HEIGHT, |mut row| {
                    row.col(|ui| name_cell(ui, app, v, commands));
                });
            }
            body.row(ROW_HEIGHT + 2.0, |mut row| {
                row.col(|ui| {
                    ui.label(RichText::new(crate::app::export::TOTAL).strong());
                });
            });
        });
    let height = names.min_rect().height();
    let mut figures = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(egui::Rect::from_min_size(
                top + egui::vec2(NAME_WIDTH, 0.0),
                egui::vec2((width - NAME_WIDTH).max(100.0), f32::INFINITY),
            ))
            .layout(Layout::top_down(Align::Min)),
    );
    egui::ScrollArea::horizontal().id_salt("table_scroll").show(&mut figures, |ui| {
        let mut table = TableBuilder::new(ui)
            .id_salt("report_table")
            .striped(true)
            .resizable(true)
            .vscroll(false)
            .cell_layout(Layout::left_to_right(Align::Center));
        for _ in &shown {
            table = table.column(TableColumn::initial(92.0).at_least(60.0).clip(true));
        }
        table
            .header(HEADER_HEIGHT, |mut header| {
                for column in &shown {
                    header.col(|ui| header_cell(ui, *column, grouping, sort, commands));
                }
            })
            .body(|mut body| {
                for v in &rows {
                    body.row(ROW_HEIGHT, |mut row| metric_cells(&mut row, &shown, &v.row.figures, false));
                }
                body.row(ROW_HEIGHT + 2.0, |mut row| metric_cells(&mut row, &shown, &report.totals.figures, true));
            });
    });
    let height = height.max(figures.min_rect().height());
    ui.allocate_rect(egui::Rect::from_min_size(top, egui::vec2(width, height)), egui::Sense::hover());
    if rows.is_empty() {
        ui.label(RichText::new("За выбранный период данных нет").weak());
    }
}

/// A row's name, indented by its level; a name too long for the column is cut with «…» and shown
/// whole on hover.
fn name_cell(ui: &mut egui::Ui, app: &App, v: &Visible<'_>, commands: &mut Vec<Command>) {
    ui.add_space(v.depth as f32 * 18.0);
    if v.row.children.is_empty() {
        ui.add_space(2.0);
        ui.add(egui::Label::new(&v.row.title).truncate()).on_hover_text(&v.row.title);
    } else {
        let open = app.dashboard.expanded.contains(&v.path);
        let arrow = if open { "▼" } else { "▶" };
        let b = ui.add(egui::Button::new(format!("{arrow} {}", v.row.title)).frame(false).truncate());
        let hint = if open { "свернуть" } else { "показать уровень ниже" };
        if b.on_hover_text(format!("{} — {hint}", v.row.title)).clicked() {
            commands.push(Command::ToggleRow(v.path.clone()));
        }
    }
}

fn metric_cells(row: &mut egui_extras::TableRow<'_, '_>, columns: &[Column], f: &Figures, strong: bool) {
    for column in columns {
        row.col(|ui| {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let text = column.metric(f).display();
                ui.label(if strong { RichText::new(text).strong() } else { RichText::new(text) });
            });
        });
    }
}

/// A chart that stays put (no drag or zoom: the period picker chooses what is shown), zero on the
/// y axis, as many dates on the x axis as fit, whatever the period.
fn fixed_plot<'a>(ui: &egui::Ui, id: &str, height: f32, chart: &'a Chart) -> Plot<'a> {
    // A date label takes about 70 pixels with its gap.
    let step = chart.tick_step((ui.available_width() / 70.0) as usize);
    let n = chart.buckets.len();
    Plot::new(id)
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_y(0.0)
        .include_x(-0.5)
        .include_x(n as f64 - 0.5)
        .x_grid_spacer(move |_| {
            // A large step size keeps the labels fully drawn even where the marks stand close.
            (0..n).step_by(step).map(|i| GridMark { value: i as f64, step_size: (step * 4) as f64 }).collect()
        })
        .x_axis_formatter(move |mark, _| {
            let x = mark.value;
            if (x - x.round()).abs() > 1e-6 || x < 0.0 {
                return String::new();
            }
            chart
                .buckets
                .get(x.round() as usize)
                .map(|b| format!("{:02}.{:02}", b.from.day(), b.from.month()))
                .unwrap_or_default()
        })
}
