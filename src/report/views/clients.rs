//! PLACEHOLDER: replaced by the real view.

use super::{LeadBook, ViewOutput, ViewQuery, ViewTable, caption};
use crate::report::ReportError;

pub fn build(query: &ViewQuery, _book: &LeadBook) -> Result<ViewOutput, ReportError> {
    let table = ViewTable {
        view: query.view,
        caption: caption(query, true),
        name_title: String::new(),
        columns: Vec::new(),
        rows: Vec::new(),
        totals: Vec::new(),
        heat_map: false,
    };
    Ok(ViewOutput { table, json: serde_json::json!({"rows": [], "totals": {"figures": {}}}) })
}
