//! The channel → source → campaign tree of the grouped views: a lead's figures are added at every
//! level of its path (and to the total), then read out as the table's rows (depth 0, 1, 2) and as
//! the main report's JSON rows (`key`, `title`, the view's figures, `children`).

use super::{ViewColumn, ViewOutput, ViewQuery, ViewRow, ViewTable};
use crate::report::Cell;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(super) struct Tree<F> {
    pub total: F,
    children: BTreeMap<String, Node<F>>,
    /// Roistat's titles of channels by their keys: a channel row reads «Яндекс.Директ», not `direct`.
    titles: BTreeMap<String, String>,
}

#[derive(Default)]
struct Node<F> {
    figures: F,
    children: BTreeMap<String, Node<F>>,
}

impl<F: Default> Tree<F> {
    pub fn new(titles: &BTreeMap<String, String>) -> Tree<F> {
        Tree { total: F::default(), children: BTreeMap::new(), titles: titles.clone() }
    }

    /// Applies `add` to the total and to each level of `path` (three at most).
    pub fn add(&mut self, path: &[String], mut add: impl FnMut(&mut F)) {
        add(&mut self.total);
        let mut level = &mut self.children;
        for key in path.iter().take(3) {
            if !level.contains_key(key) {
                level.insert(key.clone(), Node { figures: F::default(), children: BTreeMap::new() });
            }
            let Some(node) = level.get_mut(key) else { return };
            add(&mut node.figures);
            level = &mut node.children;
        }
    }

    /// The table's rows depth-first; each level ordered by `order` descending, then by title.
    pub fn rows(&self, cells: &impl Fn(&F) -> Vec<Cell>, order: &impl Fn(&F) -> i64) -> Vec<ViewRow> {
        let mut out = Vec::new();
        rows_of(&self.children, 0, cells, order, &mut out);
        for row in out.iter_mut().filter(|r| r.depth == 0) {
            if let Some(title) = self.titles.get(&row.title) {
                row.title = title.clone();
            }
        }
        out
    }

    /// The JSON rows in the same order: `figures_of` gives each row's object (its `figures`, and
    /// `metrics` where the view has them); `key`, `title` and `children` are added to it.
    pub fn json(&self, figures_of: &impl Fn(&F) -> Value, order: &impl Fn(&F) -> i64) -> Vec<Value> {
        let mut rows = json_of(&self.children, figures_of, order);
        for row in &mut rows {
            if let Some(title) = row["key"].as_str().and_then(|key| self.titles.get(key)) {
                row["title"] = Value::from(title.as_str());
            }
        }
        rows
    }
}

impl<F: Default> Tree<F> {
    /// The view's output: its table under `caption`, and the JSON every grouped view gives
    /// (`view`, `basis`, `caption`, `rows`, `totals` with the period); `figures` gives a row's object.
    pub fn output(
        &self,
        query: &ViewQuery,
        caption: Vec<String>,
        columns: Vec<ViewColumn>,
        cells: &impl Fn(&F) -> Vec<Cell>,
        figures: &impl Fn(&F) -> Value,
        order: &impl Fn(&F) -> i64,
    ) -> ViewOutput {
        let mut totals = figures(&self.total);
        totals["from"] = json!(query.from);
        totals["to"] = json!(query.to);
        let json = json!({
            "view": query.view,
            "basis": query.basis,
            "caption": caption,
            "rows": self.json(figures, order),
            "totals": totals,
        });
        let table = ViewTable {
            view: query.view,
            caption,
            name_title: "Канал / источник / кампания".into(),
            columns,
            rows: self.rows(cells, order),
            totals: cells(&self.total),
            heat_map: false,
        };
        ViewOutput { table, json }
    }
}

fn ordered<'a, F>(level: &'a BTreeMap<String, Node<F>>, order: &impl Fn(&F) -> i64) -> Vec<(&'a String, &'a Node<F>)> {
    let mut nodes: Vec<_> = level.iter().collect();
    // The map is ordered by key already; a stable sort keeps that among equals.
    nodes.sort_by_key(|(_, node)| std::cmp::Reverse(order(&node.figures)));
    nodes
}

fn rows_of<F>(
    level: &BTreeMap<String, Node<F>>,
    depth: usize,
    cells: &impl Fn(&F) -> Vec<Cell>,
    order: &impl Fn(&F) -> i64,
    out: &mut Vec<ViewRow>,
) {
    for (key, node) in ordered(level, order) {
        out.push(ViewRow { depth, title: key.clone(), cells: cells(&node.figures) });
        rows_of(&node.children, depth + 1, cells, order, out);
    }
}

fn json_of<F>(
    level: &BTreeMap<String, Node<F>>,
    figures_of: &impl Fn(&F) -> Value,
    order: &impl Fn(&F) -> i64,
) -> Vec<Value> {
    ordered(level, order)
        .into_iter()
        .map(|(key, node)| {
            let mut row = serde_json::Map::new();
            row.insert("key".into(), Value::from(key.as_str()));
            row.insert("title".into(), Value::from(key.as_str()));
            if let Value::Object(figures) = figures_of(&node.figures) {
                row.extend(figures);
            }
            row.insert("children".into(), Value::Array(json_of(&node.children, figures_of, order)));
            Value::Object(row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_and_the_total_get_the_figures() {
        let titles = [("seo".to_string(), "SEO".to_string())].into();
        let mut tree: Tree<u64> = Tree::new(&titles);
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        tree.add(&path(&["direct", "brand", "ad1"]), |n| *n += 1);
        tree.add(&path(&["direct", "search"]), |n| *n += 2);
        tree.add(&path(&["seo"]), |n| *n += 5);
        assert_eq!(tree.total, 8);
        let rows = tree.rows(&|n| vec![Cell::Count(*n)], &|n| *n as i64);
        let lines: Vec<(usize, &str, &Cell)> = rows.iter().map(|r| (r.depth, r.title.as_str(), &r.cells[0])).collect();
        assert_eq!(
            lines,
            vec![
                (0, "SEO", &Cell::Count(5)),
                (0, "direct", &Cell::Count(3)),
                (1, "search", &Cell::Count(2)),
                (1, "brand", &Cell::Count(1)),
                (2, "ad1", &Cell::Count(1)),
            ]
        );
        let json = tree.json(&|n| serde_json::json!({"figures": {"leads": n}}), &|n| *n as i64);
        assert_eq!((&json[0]["key"], &json[0]["title"]), (&Value::from("seo"), &Value::from("SEO")));
        assert_eq!(json[1]["key"], "direct");
        assert_eq!(json[1]["figures"]["leads"], 3);
        assert_eq!(json[1]["children"][1]["children"][0]["title"], "ad1");
    }
}
