//! «Сквозная аналитика»: period, filter, KPI cards, charts and the drill-down table.

use super::widgets::kpi::{Kpi, kpi_ui};
use super::widgets::period::period_ui;
use crate::app::{App, Command, ExportFormat, Page};
use crate::domain::Role;
use crate::report::{
    Column, Figures, Grouping, Report, Row, change, fmt_count, fmt_date, fmt_money, fmt_percent, fmt_ratio_money,
};
use egui::{Align, Layout, RichText};
use egui_extras::{Column as TableColumn, TableBuilder};
use egui_plot::{Bar, BarChart, GridMark, Legend, Line, Plot, PlotPoints};
use jiff::civil::Date;

pub fn ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    reconciliation_badge(ui, app, commands);
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
        kpis_ui(ui, report);
        ui.add_space(8.0);
        charts_ui(ui, report);
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
        if app.dashboard.loading {
            ui.spinner();
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            ui.add_enabled_ui(!app.export_running && app.dashboard.report.is_some(), |ui| {
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
    ui.label(
        RichText::new(format!(
            "Сравнение с периодом {} — {}",
            fmt_date(report.previous.from),
            fmt_date(report.previous.to)
        ))
        .small()
        .weak(),
    );
}

fn money_change(a: crate::domain::Money, b: crate::domain::Money) -> Option<f64> {
    change(Some(a.kopecks() as f64), Some(b.kopecks() as f64))
}

/// `24.11` under a day index; nothing between days.
fn day_axis(dates: &[Date]) -> impl Fn(GridMark, &std::ops::RangeInclusive<f64>) -> String + '_ {
    move |mark, _| {
        let x = mark.value;
        if (x - x.round()).abs() > 1e-6 || x < 0.0 {
            return String::new();
        }
        dates.get(x.round() as usize).map(|d| format!("{:02}.{:02}", d.day(), d.month())).unwrap_or_default()
    }
}

const COST_COLOR: egui::Color32 = egui::Color32::from_rgb(86, 140, 220);
const VISITS_COLOR: egui::Color32 = egui::Color32::from_rgb(235, 140, 40);

/// A round scale so visits share the cost axis: the right axis shows visits.
fn visits_scale(report: &Report) -> f64 {
    let max_cost = report.daily.iter().map(|d| d.figures.cost.as_f64_rubles()).fold(0.0, f64::max);
    let max_visits = report.daily.iter().map(|d| d.figures.visits as f64).fold(0.0, f64::max);
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

fn charts_ui(ui: &mut egui::Ui, report: &Report) {
    let dates: Vec<Date> = report.daily.iter().map(|d| d.date).collect();
    let n = dates.len();
    let height = 240.0;
    ui.columns(2, |cols| {
        {
            let ui = &mut cols[0];
            ui.label(RichText::new("Расходы и визиты по дням").strong());
            let scale = visits_scale(report);
            let bars: Vec<Bar> = report
                .daily
                .iter()
                .enumerate()
                .map(|(i, d)| Bar::new(i as f64, d.figures.cost.as_f64_rubles()).width(0.7))
                .collect();
            let visits: PlotPoints =
                report.daily.iter().enumerate().map(|(i, d)| [i as f64, d.figures.visits as f64 * scale]).collect();
            let daily = &report.daily;
            fixed_plot("cost_visits", height, &dates)
                .y_axis_formatter(y_money)
                .custom_y_axes(vec![
                    egui_plot::AxisHints::new_y().formatter(y_money),
                    egui_plot::AxisHints::new_y().placement(egui_plot::HPlacement::Right).formatter(move |mark, _| {
                        if mark.value < 0.0 { String::new() } else { compact(mark.value / scale) }
                    }),
                ])
                .label_formatter(move |pos| {
                    let x = match pos {
                        egui_plot::HoverPosition::NearDataPoint { position, .. } => position.x,
                        egui_plot::HoverPosition::Elsewhere { position } => position.x,
                    };
                    let i = x.round();
                    if i < 0.0 {
                        return None;
                    }
                    let d = daily.get(i as usize)?;
                    Some(format!(
                        "{}\nРасходы: {}\nВизиты: {}",
                        fmt_date(d.date),
                        fmt_money(d.figures.cost),
                        fmt_count(d.figures.visits)
                    ))
                })
                .show(ui, |plot| {
                    plot.bar_chart(BarChart::new("Расходы", bars).color(COST_COLOR));
                    plot.line(Line::new("Визиты", visits).color(VISITS_COLOR).width(2.0));
                });
        }
        {
            let ui = &mut cols[1];
            ui.label(RichText::new("Расходы по каналам").strong());
            let series = &report.daily_by_channel;
            let dates_ref = &dates;
            fixed_plot("cost_by_channel", height, &dates)
                .custom_y_axes(vec![egui_plot::AxisHints::new_y().formatter(y_money).min_thickness(58.0)])
                .label_formatter(move |pos| match pos {
                    egui_plot::HoverPosition::NearDataPoint { plot_name, position, .. } => {
                        let i = position.x.round();
                        let date = if i >= 0.0 { dates_ref.get(i as usize).copied() } else { None }?;
                        Some(format!("{plot_name}\n{}\n{}", fmt_date(date), fmt_money(rubles(position.y))))
                    }
                    _ => None,
                })
                .show(ui, |plot| {
                    for s in series {
                        let points: PlotPoints =
                            s.days.iter().enumerate().map(|(i, f)| [i as f64, f.cost.as_f64_rubles()]).collect();
                        plot.line(Line::new(s.title.clone(), points).width(1.5));
                    }
                    if n == 0 {
                        plot.line(Line::new("", PlotPoints::default()));
                    }
                });
        }
    });
}

fn rubles(v: f64) -> crate::domain::Money {
    crate::domain::Money((v * 100.0).round() as i64)
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

fn table_ui(ui: &mut egui::Ui, app: &App, report: &Report, commands: &mut Vec<Command>) {
    let grouping = report.query.grouping;
    let rows = visible_rows(&app.dashboard.sorted_rows, app);
    let sort = app.state.sort;
    let row_height = 22.0;
    let width = ui.available_width();
    egui::ScrollArea::horizontal().id_salt("table_scroll").max_width(width).show(ui, |ui| {
        let mut table = TableBuilder::new(ui)
            .id_salt("report_table")
            .striped(true)
            .resizable(true)
            .vscroll(false)
            .cell_layout(Layout::left_to_right(Align::Center))
            .column(TableColumn::initial(210.0).at_least(150.0).clip(true));
        for _ in Column::METRICS {
            table = table.column(TableColumn::initial(92.0).at_least(60.0).clip(true));
        }
        table
            .header(26.0, |mut header| {
                for column in Column::ALL {
                    header.col(|ui| {
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
                            let b = ui
                                .add(egui::Button::new(RichText::new(format!("{title}{arrow}")).strong()).frame(false));
                            let label = format!("Сортировать: {title}");
                            b.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
                            let b = if column.hint().is_empty() { b } else { b.on_hover_text(column.hint()) };
                            if b.clicked() {
                                commands.push(Command::SortBy(column));
                            }
                        });
                    });
                }
            })
            .body(|mut body| {
                for v in &rows {
                    body.row(row_height, |mut row| {
                        row.col(|ui| {
                            ui.add_space(v.depth as f32 * 18.0);
                            if v.row.children.is_empty() {
                                ui.add_space(2.0);
                                ui.label(&v.row.title).on_hover_text(&v.row.title);
                            } else {
                                let open = app.dashboard.expanded.contains(&v.path);
                                let arrow = if open { "▼" } else { "▶" };
                                let b = ui.add(egui::Button::new(format!("{arrow} {}", v.row.title)).frame(false));
                                if b.on_hover_text("Показать уровень ниже").clicked() {
                                    commands.push(Command::ToggleRow(v.path.clone()));
                                }
                            }
                        });
                        metric_cells(&mut row, &v.row.figures, false);
                    });
                }
                body.row(row_height + 2.0, |mut row| {
                    row.col(|ui| {
                        ui.label(RichText::new(crate::app::export::TOTAL).strong());
                    });
                    metric_cells(&mut row, &report.totals.figures, true);
                });
            });
    });
    if rows.is_empty() {
        ui.label(RichText::new("За выбранный период данных нет").weak());
    }
}

fn metric_cells(row: &mut egui_extras::TableRow<'_, '_>, f: &Figures, strong: bool) {
    for column in Column::METRICS {
        row.col(|ui| {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let text = column.metric(f).display();
                ui.label(if strong { RichText::new(text).strong() } else { RichText::new(text) });
            });
        });
    }
}

/// A chart that stays put (no drag or zoom: the period picker chooses what is shown), with the legend
/// top left, zero on the y axis and days on the x axis.
fn fixed_plot<'a>(id: &str, height: f32, dates: &'a [jiff::civil::Date]) -> Plot<'a> {
    Plot::new(id)
        .height(height)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_y(0.0)
        .x_axis_formatter(day_axis(dates))
}
