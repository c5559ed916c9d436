//! A view's table as the window shows it, whatever view made it: the caption lines (what the
//! figures are, their period, basis and source), the rows with the first column frozen while the
//! figures scroll sideways (as in the ROI table), levels indented, numbers right-aligned, the
//! totals line, and for a heat map cells coloured by their value.

use crate::app::export::TOTAL;
use crate::report::Cell;
use crate::report::views::{ViewRow, ViewTable};
use egui::{Align, Color32, Layout, RichText};
use egui_extras::{Column as TableColumn, TableBuilder};

const ROW_HEIGHT: f32 = 22.0;
const HEADER_HEIGHT: f32 = 26.0;
/// Indentation per level (channel → source → campaign), as in the ROI table.
const INDENT: f32 = 18.0;
/// Cells measured for the columns' widths: enough to see the widest figures of a long table.
const MEASURED_ROWS: usize = 60;

/// Shows `table`: caption, then the table (or a line saying there is nothing in the period).
pub fn view_table_ui(ui: &mut egui::Ui, table: &ViewTable) {
    caption_ui(ui, &table.caption);
    if table.heat_map && !table.rows.is_empty() {
        heat_legend_ui(ui, ui.visuals().dark_mode);
    }
    ui.add_space(4.0);
    // Zero totals under no rows say nothing more than this line.
    if table.columns.is_empty() || table.rows.is_empty() {
        ui.label(RichText::new("За выбранный период заявок нет").weak());
        return;
    }
    let heat = table.heat_map.then(|| HeatScale::of(&table.rows, ui.visuals().dark_mode));
    let name_width = name_width(ui, table);
    let widths: Vec<f32> = (0..table.columns.len()).map(|i| column_width(ui, table, i)).collect();
    let id = table.view.key();

    // Two tables side by side with the same rows: the names stay while the figures scroll.
    let top = ui.cursor().min;
    let width = ui.available_width();
    let mut names = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(egui::Rect::from_min_size(top, egui::vec2(name_width, f32::INFINITY)))
            .layout(Layout::top_down(Align::Min)),
    );
    TableBuilder::new(&mut names)
        .id_salt(("view_names", id))
        .striped(true)
        .vscroll(false)
        .cell_layout(Layout::left_to_right(Align::Center))
        .column(TableColumn::exact(name_width - 8.0).clip(true))
        .header(HEADER_HEIGHT, |mut header| {
            header.col(|ui| {
                ui.label(RichText::new(&table.name_title).strong());
            });
        })
        .body(|mut body| {
            for row in &table.rows {
                body.row(ROW_HEIGHT, |mut r| {
                    r.col(|ui| name_cell(ui, row));
                });
            }
            if !table.totals.is_empty() {
                body.row(ROW_HEIGHT + 2.0, |mut r| {
                    r.col(|ui| {
                        ui.label(RichText::new(TOTAL).strong());
                    });
                });
            }
        });
    let height = names.min_rect().height();
    let mut figures = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(egui::Rect::from_min_size(
                top + egui::vec2(name_width, 0.0),
                egui::vec2((width - name_width).max(100.0), f32::INFINITY),
            ))
            .layout(Layout::top_down(Align::Min)),
    );
    egui::ScrollArea::horizontal().id_salt(("view_scroll", id)).show(&mut figures, |ui| {
        let mut builder = TableBuilder::new(ui)
            .id_salt(("view_table", id))
            .striped(true)
            .resizable(true)
            .vscroll(false)
            .cell_layout(Layout::left_to_right(Align::Center));
        for w in &widths {
            builder = builder.column(TableColumn::initial(*w).at_least(50.0).clip(true));
        }
        builder
            .header(HEADER_HEIGHT, |mut header| {
                for column in &table.columns {
                    header.col(|ui| {
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            let title = ui.label(RichText::new(screen_title(column)).strong());
                            if !column.unit.is_empty() {
                                title.on_hover_text(format!("{}{}", column.title, column.unit));
                            }
                        });
                    });
                }
            })
            .body(|mut body| {
                for row in &table.rows {
                    body.row(ROW_HEIGHT, |mut r| {
                        for cell in &row.cells {
                            r.col(|ui| cell_ui(ui, cell, false, heat.as_ref()));
                        }
                    });
                }
                if !table.totals.is_empty() {
                    body.row(ROW_HEIGHT + 2.0, |mut r| {
                        for cell in &table.totals {
                            r.col(|ui| cell_ui(ui, cell, true, None));
                        }
                    });
                }
            });
    });
    let height = height.max(figures.min_rect().height());
    ui.allocate_rect(egui::Rect::from_min_size(top, egui::vec2(width, height)), egui::Sense::hover());
}

/// The first line says what the table is (strong); the next ones (the source of the figures) are
/// quieter.
fn caption_ui(ui: &mut egui::Ui, caption: &[String]) {
    for (i, line) in caption.iter().enumerate() {
        if i == 0 {
            ui.label(RichText::new(line).strong().size(15.0));
        } else {
            ui.label(RichText::new(line).weak());
        }
    }
}

fn name_cell(ui: &mut egui::Ui, row: &ViewRow) {
    ui.add_space(row.depth as f32 * INDENT + 2.0);
    let text = if row.depth == 0 { RichText::new(&row.title) } else { RichText::new(&row.title).weak() };
    ui.add(egui::Label::new(text).truncate()).on_hover_text(&row.title);
}

fn cell_ui(ui: &mut egui::Ui, cell: &Cell, strong: bool, heat: Option<&HeatScale>) {
    let mut text = RichText::new(cell.display());
    if strong {
        text = text.strong();
    }
    if let Some(fill) = heat.and_then(|h| h.fill(cell)) {
        // The cell's own rectangle, under the text; the text keeps a colour readable on it.
        ui.painter().rect_filled(ui.max_rect(), 0.0, fill);
        text = text.color(readable_on(fill));
    }
    let layout = if matches!(cell, Cell::Text(_)) {
        Layout::left_to_right(Align::Center)
    } else {
        Layout::right_to_left(Align::Center)
    };
    ui.with_layout(layout, |ui| {
        ui.add_space(2.0);
        ui.label(text);
    });
}

/// A cell's number for the heat map, and which scale it is on: counts, money and fractions are
/// each coloured against their own largest value (a count of clients beside roubles would
/// otherwise always look empty).
fn value(cell: &Cell) -> Option<(usize, f64)> {
    match cell {
        Cell::Count(n) => Some((0, *n as f64)),
        Cell::Money(Some(m)) => Some((1, m.kopecks() as f64)),
        Cell::Percent(Some(p)) if p.is_finite() => Some((2, *p)),
        _ => None,
    }
}

/// The lightest and the strongest colour of the heat map on a light and on a dark page; the
/// text colour follows the fill.
const HEAT_LIGHT: [[f32; 3]; 2] = [[225.0, 242.0, 228.0], [48.0, 68.0, 54.0]];
const HEAT_STRONG: [[f32; 3]; 2] = [[22.0, 110.0, 52.0], [46.0, 160.0, 86.0]];

fn heat_color(t: f32, dark: bool) -> Color32 {
    let t = t.clamp(0.0, 1.0);
    let (from, to) = (HEAT_LIGHT[dark as usize], HEAT_STRONG[dark as usize]);
    let mix = |i: usize| (from[i] + (to[i] - from[i]) * t).round() as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

/// Dark text on light fills, white on strong ones.
fn readable_on(fill: Color32) -> Color32 {
    let luminance = 0.299 * fill.r() as f32 + 0.587 * fill.g() as f32 + 0.114 * fill.b() as f32;
    if luminance > 140.0 { Color32::from_rgb(20, 30, 20) } else { Color32::WHITE }
}

/// Where a value lies between nothing and the table's largest value of its kind (the totals left
/// out).
struct HeatScale {
    max: [f64; 3],
    dark: bool,
}

impl HeatScale {
    fn of(rows: &[ViewRow], dark: bool) -> HeatScale {
        let mut max = [0.0; 3];
        for (kind, v) in rows.iter().flat_map(|r| r.cells.iter()).filter_map(value) {
            max[kind] = f64::max(max[kind], v);
        }
        HeatScale { max, dark }
    }

    /// The cell's fill; none for empty cells and zeros, so that what happened stands out.
    fn fill(&self, cell: &Cell) -> Option<Color32> {
        let (kind, v) = value(cell)?;
        let max = self.max[kind];
        if v <= 0.0 || max <= 0.0 {
            return None;
        }
        Some(heat_color((v / max) as f32, self.dark))
    }
}

/// «меньше ■■■■■ больше» under the caption of a heat map.
fn heat_legend_ui(ui: &mut egui::Ui, dark: bool) {
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 2.0;
        ui.label(RichText::new("меньше").weak());
        for step in 1..=5 {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(18.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, heat_color(step as f32 / 5.0, dark));
        }
        ui.label(RichText::new("больше").weak());
    });
}

/// The width of a text in the body font.
fn text_width(ui: &egui::Ui, text: &str, strong: bool) -> f32 {
    let text = if strong { RichText::new(text).strong() } else { RichText::new(text) };
    egui::WidgetText::from(text)
        .into_galley(ui, Some(egui::TextWrapMode::Extend), f32::INFINITY, egui::TextStyle::Body)
        .size()
        .x
}

/// The frozen column: as wide as its longest title with its indentation, within reason.
fn name_width(ui: &egui::Ui, table: &ViewTable) -> f32 {
    let widest = table
        .rows
        .iter()
        .take(MEASURED_ROWS)
        .map(|r| r.depth as f32 * INDENT + text_width(ui, &r.title, false))
        .chain([text_width(ui, &table.name_title, true), text_width(ui, TOTAL, true)])
        .fold(0.0, f32::max);
    (widest + 24.0).clamp(160.0, 300.0)
}

/// A column's title on screen: money and percent cells carry their sign, other units (minutes)
/// are said in the title.
fn screen_title(column: &crate::report::views::ViewColumn) -> String {
    match column.unit {
        "" | ", ₽" | ", %" => column.title.clone(),
        unit => format!("{}{unit}", column.title),
    }
}

/// A figures column: as wide as its title or its widest figure, within reason.
fn column_width(ui: &egui::Ui, table: &ViewTable, i: usize) -> f32 {
    let title = text_width(ui, &screen_title(&table.columns[i]), true);
    let cells = table
        .rows
        .iter()
        .take(MEASURED_ROWS)
        .filter_map(|r| r.cells.get(i))
        .map(|c| text_width(ui, &c.display(), false))
        .chain(table.totals.get(i).map(|c| text_width(ui, &c.display(), true)))
        .fold(0.0, f32::max);
    (title.max(cells) + 18.0).clamp(64.0, 280.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_runs_from_light_to_strong_on_a_scale_per_kind_and_text_stays_readable() {
        for dark in [false, true] {
            let (light, strong) = (heat_color(0.0, dark), heat_color(1.0, dark));
            assert_ne!(light, strong);
            // The strong end stands out from the page more than the light one.
            let page = if dark { 27.0 } else { 248.0 };
            let distance = |c: Color32| (c.g() as f32 - page).abs();
            assert!(distance(strong) > distance(light), "dark: {dark}");
            for t in [0.0, 0.3, 0.6, 1.0] {
                let fill = heat_color(t, dark);
                let text = readable_on(fill);
                let contrast = (fill.g() as f32 - text.g() as f32).abs();
                assert!(contrast > 90.0, "text on {fill:?} (dark: {dark})");
            }
        }
        let money = |r: i64| Cell::Money(Some(crate::domain::Money::from_rubles(r)));
        let rows = vec![ViewRow {
            depth: 0,
            title: "2026-10".into(),
            cells: vec![Cell::Count(3), money(0), money(5_000), money(10_000), Cell::Text("—".into())],
        }];
        let scale = HeatScale::of(&rows, false);
        assert_eq!(scale.fill(&rows[0].cells[0]), Some(heat_color(1.0, false)), "clients against clients");
        assert_eq!(scale.fill(&rows[0].cells[1]), None, "nothing happened: no colour");
        assert_eq!(scale.fill(&rows[0].cells[2]), Some(heat_color(0.5, false)));
        assert_eq!(scale.fill(&rows[0].cells[3]), Some(heat_color(1.0, false)));
        assert_eq!(scale.fill(&rows[0].cells[4]), None);
    }
}
