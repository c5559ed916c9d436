//! Exporters of the report table: CSV for Russian Excel (UTF-8 with BOM, `;`) and XLSX.
//!
//! Both write the whole drill-down (every level spelled out in its own column, and the level's
//! number in the first, so a filter on it keeps subtotals from being counted twice) and the totals
//! row; a file made in the window starts with what it shows (period, grouping, comparison).

use crate::domain::Money;
use crate::report::views::ViewTable;
use crate::report::{Cell, Column, Figures, Grouping, Row, flatten, name_columns};
use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("Не удалось записать файл: {0}. Проверьте, что файл не открыт в другой программе и есть место на диске")]
    Io(#[from] std::io::Error),
    #[error("Не удалось сформировать файл Excel: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The totals row's label.
pub const TOTAL: &str = "Итого";

/// The first column: 1 for a channel (or a day), 2 for a source, 3 for a campaign; empty for totals.
const LEVEL: &str = "Уровень";

fn header(grouping: Grouping) -> Vec<String> {
    let mut h: Vec<String> = vec![LEVEL.to_string()];
    h.extend(name_columns(grouping).iter().map(|s| s.to_string()));
    for c in Column::METRICS {
        let title = c.title(grouping);
        h.push(match c.metric(&Figures::default()) {
            Cell::Percent(_) => format!("{title}, %"),
            Cell::Money(_) => format!("{title}, ₽"),
            _ => title.to_string(),
        });
    }
    h
}

/// One line per row: its level, the name columns (the row's title at its depth) and its metric
/// cells.
fn lines<'a>(rows: &'a [Row], totals: &'a Figures, grouping: Grouping) -> Vec<(Vec<String>, Vec<Cell>)> {
    let width = name_columns(grouping).len();
    let mut out = Vec::new();
    // Parent titles at each depth so a source line also names its channel.
    let mut path: Vec<String> = vec![String::new(); width];
    for (depth, row) in flatten(rows) {
        let depth = depth.min(width - 1);
        path[depth] = row.title.clone();
        let mut names = vec![(depth + 1).to_string()];
        names.extend((0..width).map(|i| if i <= depth { path[i].clone() } else { String::new() }));
        out.push((names, Column::METRICS.iter().map(|c| c.cell(row)).collect()));
    }
    let mut names = vec![String::new(); width + 1];
    names[1] = TOTAL.to_string();
    out.push((names, Column::METRICS.iter().map(|c| c.metric(totals)).collect()));
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// Decimal with a comma, as Russian Excel reads numbers.
fn csv_money(m: Money) -> String {
    m.to_decimal_string().replace('.', ",")
}

fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => csv_field(t),
        Cell::Count(n) => n.to_string(),
        Cell::Money(Some(m)) => csv_money(*m),
        Cell::Percent(Some(p)) if p.is_finite() => format!("{:.1}", p * 100.0).replace('.', ","),
        Cell::Money(None) | Cell::Percent(_) => crate::report::dash().to_string(),
    }
}

/// Writes the table as CSV: UTF-8 with BOM, `;`-separated, decimal commas, «—» for undefined
/// values; `caption` (what the figures are) as the first line when given.
pub fn write_csv(
    out: &mut impl Write,
    rows: &[Row],
    totals: &Figures,
    grouping: Grouping,
    caption: Option<&str>,
) -> Result<(), ExportError> {
    out.write_all("\u{feff}".as_bytes())?;
    if let Some(caption) = caption {
        writeln!(out, "{}", csv_field(caption))?;
    }
    let h: Vec<String> = header(grouping).iter().map(|s| csv_field(s)).collect();
    writeln!(out, "{}", h.join(";"))?;
    for (names, cells) in lines(rows, totals, grouping) {
        let mut fields: Vec<String> = names.iter().map(|n| csv_field(n)).collect();
        fields.extend(cells.iter().map(csv_cell));
        writeln!(out, "{}", fields.join(";"))?;
    }
    out.flush()?;
    Ok(())
}

/// The number formats Excel shows with the reader's own separators: money in roubles, counts,
/// ratios as percents; bold ones for the totals row.
struct NumberFormats {
    money: rust_xlsxwriter::Format,
    count: rust_xlsxwriter::Format,
    percent: rust_xlsxwriter::Format,
}

impl NumberFormats {
    fn new(bold: bool) -> NumberFormats {
        use rust_xlsxwriter::Format;
        let weight = |f: Format| if bold { f.set_bold() } else { f };
        NumberFormats {
            money: weight(Format::new().set_num_format("#,##0.00\\ \"₽\"")),
            count: weight(Format::new().set_num_format("#,##0")),
            percent: weight(Format::new().set_num_format("0.0%")),
        }
    }

    /// Writes a cell as a number in its format; text as text, «—» where there is no value.
    fn write(
        &self,
        ws: &mut rust_xlsxwriter::Worksheet,
        r: u32,
        c: u16,
        cell: &Cell,
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        match cell {
            Cell::Text(t) => ws.write_string(r, c, t)?,
            Cell::Count(n) => ws.write_number_with_format(r, c, *n as f64, &self.count)?,
            Cell::Money(Some(m)) => ws.write_number_with_format(r, c, m.as_f64_rubles(), &self.money)?,
            Cell::Percent(Some(p)) if p.is_finite() => ws.write_number_with_format(r, c, *p, &self.percent)?,
            Cell::Money(None) | Cell::Percent(_) => ws.write_string(r, c, crate::report::dash())?,
        };
        Ok(())
    }
}

/// Builds the XLSX file in memory: numbers as numbers, money with a rouble format, ratios as
/// percents (formats Excel shows with the reader's own separators); `caption` above the table.
pub fn xlsx_bytes(
    rows: &[Row],
    totals: &Figures,
    grouping: Grouping,
    sheet: &str,
    caption: Option<&str>,
) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold();
    let (plain, strong) = (NumberFormats::new(false), NumberFormats::new(true));
    // The caption, a blank row, then the table.
    let top: u32 = if caption.is_some() { 2 } else { 0 };
    if let Some(caption) = caption {
        ws.write_string_with_format(0, 0, caption, &bold)?;
    }
    for (col, title) in header(grouping).iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        ws.write_string_with_format(top, col, title, &bold)?;
        let width = match col as usize {
            0 => 9,
            c if c <= name_columns(grouping).len() => 28,
            _ => 15,
        };
        ws.set_column_width(col, width)?;
    }
    let all = lines(rows, totals, grouping);
    let last = all.len();
    for (i, (names, cells)) in all.into_iter().enumerate() {
        let r = top + u32::try_from(i + 1).unwrap_or(u32::MAX - top - 1);
        let is_total = i + 1 == last;
        for (c, name) in names.iter().enumerate() {
            if c == 0 && !name.is_empty() {
                // The level is a number, so that Excel's filter offers 1, 2 and 3.
                ws.write_number(r, 0, name.parse::<f64>().unwrap_or(0.0))?;
            } else if !name.is_empty() {
                let c = c as u16;
                if is_total {
                    ws.write_string_with_format(r, c, name, &bold)?
                } else {
                    ws.write_string(r, c, name)?
                };
            }
        }
        let offset = names.len();
        for (c, cell) in cells.iter().enumerate() {
            let c = u16::try_from(offset + c).unwrap_or(u16::MAX);
            if is_total { &strong } else { &plain }.write(ws, r, c, cell)?;
        }
    }
    ws.set_freeze_panes(top + 1, 0)?;
    Ok(book.save_to_buffer()?)
}

/// A view's table as lines: the depth's number, the title, then its cells; the totals line last.
fn view_lines(table: &ViewTable) -> Vec<(String, String, Vec<Cell>)> {
    let mut out: Vec<(String, String, Vec<Cell>)> =
        table.rows.iter().map(|r| ((r.depth + 1).to_string(), r.title.clone(), r.cells.clone())).collect();
    if !table.totals.is_empty() {
        out.push((String::new(), TOTAL.to_string(), table.totals.clone()));
    }
    out
}

fn view_header(table: &ViewTable) -> Vec<String> {
    let mut h = vec![LEVEL.to_string(), table.name_title.clone()];
    h.extend(table.columns.iter().map(|c| format!("{}{}", c.title, c.unit)));
    h
}

/// Writes a view's table as CSV like the main report, its caption lines (the view, period, date
/// basis and source of the figures) first.
pub fn write_view_csv(out: &mut impl Write, table: &ViewTable) -> Result<(), ExportError> {
    out.write_all("\u{feff}".as_bytes())?;
    for line in &table.caption {
        writeln!(out, "{}", csv_field(line))?;
    }
    let h: Vec<String> = view_header(table).iter().map(|s| csv_field(s)).collect();
    writeln!(out, "{}", h.join(";"))?;
    for (level, title, cells) in view_lines(table) {
        let mut fields = vec![level, csv_field(&title)];
        fields.extend(cells.iter().map(csv_cell));
        writeln!(out, "{}", fields.join(";"))?;
    }
    out.flush()?;
    Ok(())
}

/// A view's table as XLSX, formatted like the main report's; the caption lines above it.
pub fn view_xlsx_bytes(table: &ViewTable, sheet: &str) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold();
    let formats = NumberFormats::new(false);
    let mut row: u32 = 0;
    for line in &table.caption {
        ws.write_string_with_format(row, 0, line, &bold)?;
        row += 1;
    }
    if !table.caption.is_empty() {
        row += 1;
    }
    let top = row;
    for (col, title) in view_header(table).iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        ws.write_string_with_format(top, col, title, &bold)?;
        ws.set_column_width(
            col,
            if col == 0 {
                9
            } else if col == 1 {
                28
            } else {
                15
            },
        )?;
    }
    for (i, (level, title, cells)) in view_lines(table).into_iter().enumerate() {
        let r = top + u32::try_from(i + 1).unwrap_or(u32::MAX - top - 1);
        if let Ok(level) = level.parse::<f64>() {
            ws.write_number(r, 0, level)?;
        }
        ws.write_string(r, 1, &title)?;
        for (c, cell) in cells.iter().enumerate() {
            let c = u16::try_from(c + 2).unwrap_or(u16::MAX);
            formats.write(ws, r, c, cell)?;
        }
    }
    ws.set_freeze_panes(top + 1, 2)?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DailyFact, Level};
    use crate::report::{Query, build};
    use jiff::civil::Date;

    fn report() -> crate::report::Report {
        let mut f = DailyFact::new(
            Date::constant(2026, 1, 5),
            [Level::new("direct", "Яндекс.Директ"), Level::new("brand", "Бренд; \"основной\""), Level::new("ad1", "")],
        );
        f.visits = 1200;
        f.leads = 8;
        f.cost = Money(1_234_550);
        let q = Query::new(Date::constant(2026, 1, 1), Date::constant(2026, 1, 7), Grouping::Channel);
        build(&[f], &q).unwrap()
    }

    #[test]
    fn csv_for_russian_excel() {
        let r = report();
        let mut out = Vec::new();
        write_csv(&mut out, &r.rows, &r.totals.figures, Grouping::Channel, Some(&r.caption())).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with('\u{feff}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines.len(), 6);
        assert!(lines[0].starts_with("Сквозная аналитика за 01.01.2026 — 07.01.2026 (по каналам)"), "{}", lines[0]);
        assert!(lines[1].starts_with("Уровень;Канал;Источник;Кампания;Визиты;Заявки;Продажи;Выручка, ₽;Расходы, ₽"));
        assert!(
            lines[2].starts_with("1;Яндекс.Директ;;;1200;8;0;0;12345,50;-12345,50;1543,19;—;-100,0;0,7;0,0;—"),
            "{}",
            lines[2]
        );
        assert!(lines[3].starts_with("2;Яндекс.Директ;\"Бренд; \"\"основной\"\"\";;1200"), "{}", lines[3]);
        assert!(lines[4].starts_with("3;Яндекс.Директ;\"Бренд; \"\"основной\"\"\";ad1;1200"));
        assert!(lines[5].starts_with(";Итого;;;1200;8;0;0;12345,50"));
    }

    #[test]
    fn xlsx_is_a_zip() {
        let r = report();
        let bytes = xlsx_bytes(&r.rows, &r.totals.figures, Grouping::Channel, "Отчёт", Some(&r.caption())).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }

    #[test]
    fn a_views_csv_starts_with_its_caption_and_ends_with_totals() {
        use crate::report::views::{View, ViewColumn, ViewRow};
        let table = ViewTable {
            view: View::Funnel,
            caption: vec![
                "Воронка за 01.12.2026 — 31.12.2026, по дате продажи".into(),
                "Источник данных: заявки".into(),
            ],
            name_title: "Канал / источник / кампания".into(),
            columns: vec![ViewColumn::new("Заявки", ""), ViewColumn::new("Выручка", ", ₽")],
            rows: vec![
                ViewRow {
                    depth: 0,
                    title: "direct".into(),
                    cells: vec![Cell::Count(3), Cell::Money(Some(Money(150_000)))],
                },
                ViewRow {
                    depth: 1,
                    title: "brand".into(),
                    cells: vec![Cell::Count(1), Cell::Money(Some(Money(50_000)))],
                },
            ],
            totals: vec![Cell::Count(3), Cell::Money(Some(Money(150_000)))],
            heat_map: false,
        };
        let mut out = Vec::new();
        write_view_csv(&mut out, &table).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "Воронка за 01.12.2026 — 31.12.2026, по дате продажи");
        assert_eq!(lines[2], "Уровень;Канал / источник / кампания;Заявки;Выручка, ₽");
        assert_eq!(lines[3], "1;direct;3;1500");
        assert_eq!(lines[4], "2;brand;1;500");
        assert_eq!(lines[5], ";Итого;3;1500");
        assert_eq!(&view_xlsx_bytes(&table, "Воронка").unwrap()[..2], b"PK");
    }
}
