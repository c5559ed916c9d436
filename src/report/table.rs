//! The columns of the report table: one definition for the screen, the exporters and sorting.

use super::{Figures, Grouping, Row, fmt_count, fmt_percent, fmt_ratio_money};
use crate::domain::Money;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Column {
    /// The group's title (channel, source, campaign or day).
    #[default]
    Name,
    Visits,
    Leads,
    Sales,
    Revenue,
    Cost,
    Profit,
    Cpl,
    Cpo,
    Roi,
    ConversionToLeads,
    ConversionToSales,
    AverageCheck,
}

/// A cell's value, typed so exporters write numbers as numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    Money(Option<Money>),
    /// A fraction (0.125 = 12,5 %).
    Percent(Option<f64>),
}

impl Cell {
    /// What the screen shows.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => fmt_count(*n),
            Cell::Money(m) => fmt_ratio_money(*m),
            Cell::Percent(p) => fmt_percent(*p),
        }
    }
}

impl Column {
    pub const ALL: [Column; 13] = [
        Column::Name,
        Column::Visits,
        Column::Leads,
        Column::Sales,
        Column::Revenue,
        Column::Cost,
        Column::Profit,
        Column::Cpl,
        Column::Cpo,
        Column::Roi,
        Column::ConversionToLeads,
        Column::ConversionToSales,
        Column::AverageCheck,
    ];
    pub const METRICS: &[Column] = Column::ALL.split_at(1).1;

    pub fn title(self, grouping: Grouping) -> &'static str {
        match self {
            Column::Name => grouping.column_title(),
            Column::Visits => "Визиты",
            Column::Leads => "Заявки",
            Column::Sales => "Продажи",
            Column::Revenue => "Выручка",
            Column::Cost => "Расходы",
            Column::Profit => "Прибыль",
            Column::Cpl => "CPL",
            Column::Cpo => "CPO",
            Column::Roi => "ROI",
            Column::ConversionToLeads => "Конв. в заявки",
            Column::ConversionToSales => "Конв. в продажи",
            Column::AverageCheck => "Средний чек",
        }
    }

    /// A longer explanation for a header's tooltip.
    pub fn hint(self) -> &'static str {
        match self {
            Column::Profit => "Выручка − расходы на рекламу",
            Column::Cpl => "Стоимость заявки: расходы / заявки",
            Column::Cpo => "Стоимость продажи: расходы / продажи",
            Column::Roi => "Окупаемость: (выручка − расходы) / расходы",
            Column::ConversionToLeads => "Заявки / визиты",
            Column::ConversionToSales => "Продажи / заявки",
            Column::AverageCheck => "Выручка / продажи",
            _ => "",
        }
    }

    pub fn metric(self, f: &Figures) -> Cell {
        match self {
            Column::Name => Cell::Text(String::new()),
            Column::Visits => Cell::Count(f.visits),
            Column::Leads => Cell::Count(f.leads),
            Column::Sales => Cell::Count(f.sales),
            Column::Revenue => Cell::Money(Some(f.revenue)),
            Column::Cost => Cell::Money(Some(f.cost)),
            Column::Profit => Cell::Money(Some(f.profit())),
            Column::Cpl => Cell::Money(f.cpl()),
            Column::Cpo => Cell::Money(f.cpo()),
            Column::Roi => Cell::Percent(f.roi()),
            Column::ConversionToLeads => Cell::Percent(f.conversion_to_leads()),
            Column::ConversionToSales => Cell::Percent(f.conversion_to_sales()),
            Column::AverageCheck => Cell::Money(f.average_check()),
        }
    }

    pub fn cell(self, row: &Row) -> Cell {
        match self {
            Column::Name => Cell::Text(row.title.clone()),
            other => other.metric(&row.figures),
        }
    }

    /// Orders two rows by this column, ascending; undefined values sort before every number.
    pub fn compare(self, a: &Row, b: &Row) -> Ordering {
        let (fa, fb) = (&a.figures, &b.figures);
        let by_f64 = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        };
        match self {
            // Day rows show `24.11.2026` but their keys are ISO dates, which order by time.
            Column::Name => match (a.key.parse::<jiff::civil::Date>(), b.key.parse::<jiff::civil::Date>()) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                _ => a.title.cmp(&b.title).then_with(|| a.key.cmp(&b.key)),
            },
            Column::Visits => fa.visits.cmp(&fb.visits),
            Column::Leads => fa.leads.cmp(&fb.leads),
            Column::Sales => fa.sales.cmp(&fb.sales),
            Column::Revenue => fa.revenue.cmp(&fb.revenue),
            Column::Cost => fa.cost.cmp(&fb.cost),
            Column::Profit => fa.profit().cmp(&fb.profit()),
            Column::Cpl => fa.cpl().cmp(&fb.cpl()),
            Column::Cpo => fa.cpo().cmp(&fb.cpo()),
            Column::Roi => by_f64(fa.roi(), fb.roi()),
            Column::ConversionToLeads => by_f64(fa.conversion_to_leads(), fb.conversion_to_leads()),
            Column::ConversionToSales => by_f64(fa.conversion_to_sales(), fb.conversion_to_sales()),
            Column::AverageCheck => fa.average_check().cmp(&fb.average_check()),
        }
    }
}

/// How the table is sorted; persisted with the window state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort { column: Column::Cost, descending: true }
    }
}

/// Sorts rows and, recursively, their children; ties keep the title order.
pub fn sort_rows(rows: &mut [Row], sort: Sort) {
    rows.sort_by(|a, b| {
        let o = sort.column.compare(a, b);
        let o = if sort.descending { o.reverse() } else { o };
        o.then_with(|| a.title.cmp(&b.title))
    });
    for row in rows {
        sort_rows(&mut row.children, sort);
    }
}

/// The header titles of the name columns for a grouping: the drill-down levels an export spells out.
pub fn name_columns(grouping: Grouping) -> &'static [&'static str] {
    match grouping {
        Grouping::Channel => &["Канал", "Источник", "Кампания"],
        Grouping::Source => &["Источник", "Кампания"],
        Grouping::Campaign => &["Кампания"],
        Grouping::Day => &["День"],
    }
}

/// Rows in display order with their depth (0 = top), the whole drill-down expanded.
pub fn flatten(rows: &[Row]) -> Vec<(usize, &Row)> {
    fn walk<'a>(rows: &'a [Row], depth: usize, out: &mut Vec<(usize, &'a Row)>) {
        for r in rows {
            out.push((depth, r));
            walk(&r.children, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(rows, 0, &mut out);
    out
}
