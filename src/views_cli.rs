//! `skvoz report --view V`: the views beyond the ROI table (funnel, new vs repeat clients,
//! managers, cohorts, plan) on the command line, computed from the leads the store holds.

use crate::{Access, FormatArg};
use anyhow::Result;
use skvoz::report::views::{Basis, View, ViewOutput, ViewQuery, ViewTable, compute};
use std::io::Write;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ViewArg {
    Funnel,
    Clients,
    Managers,
    Cohorts,
    Plan,
}

impl From<ViewArg> for View {
    fn from(v: ViewArg) -> View {
        match v {
            ViewArg::Funnel => View::Funnel,
            ViewArg::Clients => View::Clients,
            ViewArg::Managers => View::Managers,
            ViewArg::Cohorts => View::Cohorts,
            ViewArg::Plan => View::Plan,
        }
    }
}

#[derive(Clone, Copy, Default, clap::ValueEnum)]
pub enum BasisArg {
    #[default]
    Lead,
    Sale,
}

impl From<BasisArg> for Basis {
    fn from(b: BasisArg) -> Basis {
        match b {
            BasisArg::Lead => Basis::Lead,
            BasisArg::Sale => Basis::Sale,
        }
    }
}

/// What `skvoz report --view` was asked.
pub struct ViewRequest {
    pub view: ViewArg,
    pub basis: BasisArg,
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    pub channel: Option<String>,
    pub format: FormatArg,
    pub sale_field: Option<String>,
}

/// Computes the view over the store's leads (through the running process when it holds the
/// store) and prints it.
pub async fn run(access: Access, request: ViewRequest) -> Result<()> {
    let now = jiff::Timestamp::now();
    let book = match &access {
        Access::Store(store) => skvoz::app::views::lead_book(store, now).await?,
        Access::Running(running) => running.lead_book(now)?,
    };
    access.close().await?;
    // Days are the calendar days of this computer, as in the list of leads.
    let query = ViewQuery {
        view: request.view.into(),
        basis: request.basis.into(),
        from: request.from,
        to: request.to,
        channel: request.channel,
        zone: jiff::tz::TimeZone::system(),
        sale_field: request.sale_field,
    };
    let ViewOutput { table, json } = compute(&query, &book)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match request.format {
        FormatArg::Json => {
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        FormatArg::Csv => skvoz::app::export::write_view_csv(&mut out, &table)?,
        FormatArg::Table => print_view(&mut out, &table)?,
    }
    out.flush()?;
    Ok(())
}

/// The caption lines, then a plain aligned table, the drill-down indented, totals last.
fn print_view(out: &mut impl Write, table: &ViewTable) -> Result<()> {
    for line in &table.caption {
        writeln!(out, "{line}")?;
    }
    let mut header = vec![table.name_title.clone()];
    header.extend(table.columns.iter().map(|c| format!("{}{}", c.title, c.unit)));
    let mut lines = vec![header];
    for row in &table.rows {
        let mut line = vec![format!("{}{}", "  ".repeat(row.depth), row.title)];
        line.extend(row.cells.iter().map(|c| c.display()));
        lines.push(line);
    }
    if !table.totals.is_empty() {
        let mut line = vec![skvoz::app::export::TOTAL.to_string()];
        line.extend(table.totals.iter().map(|c| c.display()));
        lines.push(line);
    }
    crate::text_table::write(out, &lines)?;
    if table.rows.is_empty() {
        writeln!(out, "За этот период заявок нет: выберите другой период")?;
    }
    Ok(())
}
