//! Managers: one row per responsible (a person, a whole role, or «Не указан»).
//!
//! What each figure counts (the rules are in [`super::counting`]):
//! - `leads`: the responsible's leads created in the period;
//! - `without_action`: of those, the ones nobody acted on yet;
//! - `median_first_action_minutes`: over the period's leads that were acted on, minutes from
//!   creation to the first action — a status change, a comment or a task set, whichever came first;
//!   comments and tasks that Roistat sent are not actions (the lower middle for an even count);
//! - `sales`, `revenue`: the responsible's sales of the period by the basis (lead date: the lead's
//!   creation day; sale date: its sale day) and their prices;
//! - `cancelled`: leads created in the period whose status is now in the cancelled group;
//! - `overdue_tasks`: tasks not done whose deadline is before now, on all the responsible's leads
//!   whatever their date (a state of now, not of the period).

use super::counting::{Counting, first_action, json_minutes, median, minutes_between, minutes_cell, rubles, share};
use super::{LeadBook, ViewColumn, ViewOutput, ViewQuery, ViewRow, ViewTable, caption};
use crate::domain::{Money, Responsible, responsible_title};
use crate::report::{Cell, ReportError};
use serde_json::json;
use std::collections::HashMap;

#[derive(Default)]
struct Manager {
    leads: u64,
    sales: u64,
    revenue: Money,
    cancelled: u64,
    overdue_tasks: u64,
    first_action: Vec<u64>,
}

impl Manager {
    fn add(&mut self, other: &Manager) {
        self.leads += other.leads;
        self.sales += other.sales;
        self.revenue += other.revenue;
        self.cancelled += other.cancelled;
        self.overdue_tasks += other.overdue_tasks;
        self.first_action.extend_from_slice(&other.first_action);
    }
    fn without_action(&self) -> u64 {
        self.leads.saturating_sub(self.first_action.len() as u64)
    }
    fn median_first_action(&self) -> Option<u64> {
        median(&mut self.first_action.clone())
    }
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Count(self.leads),
            Cell::Count(self.without_action()),
            minutes_cell(self.median_first_action()),
            Cell::Count(self.sales),
            Cell::Money(Some(self.revenue)),
            Cell::Percent(share(self.sales, self.leads)),
            Cell::Count(self.cancelled),
            Cell::Count(self.overdue_tasks),
        ]
    }
    fn figures(&self) -> serde_json::Value {
        json!({
            "leads": self.leads,
            "without_action": self.without_action(),
            "median_first_action_minutes": json_minutes(self.median_first_action()),
            "sales": self.sales,
            "revenue": rubles(self.revenue),
            "cancelled": self.cancelled,
            "overdue_tasks": self.overdue_tasks,
        })
    }
}

fn columns() -> Vec<ViewColumn> {
    vec![
        ViewColumn::new("Заявки", ""),
        ViewColumn::new("Без действий", ""),
        ViewColumn::new("Медиана до первого действия", ", мин"),
        ViewColumn::new("Продажи", ""),
        ViewColumn::new("Выручка", ", ₽"),
        ViewColumn::new("Конв. в продажу", ", %"),
        ViewColumn::new("Отменены", ""),
        ViewColumn::new("Просроченные задачи", ""),
    ]
}

/// A responsible's key in the JSON: `user:5`, `role:Manager`, `none`.
fn key(responsible: Option<Responsible>) -> String {
    match responsible {
        Some(Responsible::User(id)) => format!("user:{id}"),
        Some(Responsible::Role(role)) => format!("role:{role:?}"),
        None => "none".into(),
    }
}

pub fn build(query: &ViewQuery, book: &LeadBook) -> Result<ViewOutput, ReportError> {
    let counting = Counting::new(query, book);
    let mut managers: HashMap<Option<Responsible>, Manager> = HashMap::new();
    for lead in book.counted() {
        if counting.path(lead).is_none() {
            continue;
        }
        let created = counting.created_in_period(lead);
        let sold = counting.sold_in_period(lead);
        let overdue = lead.tasks.iter().filter(|t| !t.done && t.deadline.is_some_and(|d| d < book.now)).count() as u64;
        if !created && !sold && overdue == 0 {
            continue;
        }
        let m = managers.entry(lead.responsible).or_default();
        m.overdue_tasks += overdue;
        if created {
            m.leads += 1;
            m.cancelled += u64::from(counting.is_cancelled(lead));
            if let Some(at) = first_action(lead) {
                m.first_action.push(minutes_between(lead.created, at));
            }
        }
        if sold {
            m.sales += 1;
            m.revenue += lead.price;
        }
    }
    let mut rows: Vec<(String, String, Manager)> =
        managers.into_iter().map(|(r, m)| (key(r), responsible_title(r, &book.users), m)).collect();
    rows.sort_by(|a, b| b.2.leads.cmp(&a.2.leads).then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0)));
    let mut total = Manager::default();
    for (_, _, m) in &rows {
        total.add(m);
    }
    let table = ViewTable {
        view: query.view,
        caption: caption(query, true),
        name_title: "Ответственный".into(),
        columns: columns(),
        rows: rows.iter().map(|(_, title, m)| ViewRow { depth: 0, title: title.clone(), cells: m.cells() }).collect(),
        totals: total.cells(),
        heat_map: false,
    };
    let json = json!({
        "view": query.view,
        "basis": query.basis,
        "caption": table.caption,
        "rows": rows.iter().map(|(key, title, m)| json!({"key": key, "title": title, "figures": m.figures()})).collect::<Vec<_>>(),
        "totals": {"from": query.from, "to": query.to, "figures": total.figures()},
    });
    Ok(ViewOutput { table, json })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Basis, View, compute};
    use super::*;
    use crate::domain::{Comment, Role, Task, User};

    #[test]
    fn each_responsible_with_first_action_sales_and_overdue_tasks() {
        let petrov = Some(Responsible::User(7));
        let mut a =
            lead(1, at(1, 9, 0), ("direct", "brand"), None, &[(at(1, 10, 0), WORK), (at(3, 9, 0), PAID)], 9_000);
        a.responsible = petrov;
        // A comment after 20 minutes comes before the status change after an hour.
        a.comments.push(Comment {
            at: at(1, 9, 20),
            title: String::new(),
            text: "позвонил".into(),
            from_roistat: false,
        });
        let mut b = lead(2, at(2, 9, 0), ("direct", "brand"), None, &[], 0);
        b.responsible = petrov;
        // Roistat's comment is no action; the task set after 40 minutes is; its deadline passed.
        b.comments.push(Comment {
            at: at(2, 9, 5),
            title: String::new(),
            text: "из Roistat".into(),
            from_roistat: true,
        });
        b.tasks.push(Task {
            id: 1,
            deadline: Some(at(20, 9, 0)),
            text: "перезвонить".into(),
            done: false,
            from_roistat: false,
            created: Some(at(2, 9, 40)),
        });
        let mut c = lead(3, at(3, 9, 0), ("seo", "yandex"), None, &[(at(3, 9, 3), CANCELLED)], 0);
        c.responsible = Some(Responsible::Role(Role::Manager));
        // Untouched, nobody's.
        let d = lead(4, at(4, 9, 0), ("seo", "yandex"), None, &[], 0);
        // A November lead with an overdue task and a done one: counted in overdue tasks only.
        let mut e = lead(5, on(11, 2), ("seo", "yandex"), None, &[], 0);
        e.responsible = petrov;
        for (id, done) in [(1, false), (2, true)] {
            e.tasks.push(Task {
                id,
                deadline: Some(on(11, 5)),
                text: "t".into(),
                done,
                from_roistat: false,
                created: None,
            });
        }
        let mut book = book(vec![a, b, c, d, e]);
        book.users
            .push(User { id: 7, name: "Петров Сергей".into(), role: Role::Manager, ..User::default() });
        let out = compute(&december(View::Managers, Basis::Lead), &book).unwrap();
        let rows = out.json["rows"].as_array().unwrap();
        let titles: Vec<&str> = rows.iter().map(|r| r["title"].as_str().unwrap()).collect();
        assert_eq!(titles, vec!["Петров Сергей", "Не указан", "Роль: Менеджер"]);
        assert_eq!(
            rows[0]["figures"],
            json!({"leads": 2, "without_action": 0, "median_first_action_minutes": 20, "sales": 1, "revenue": 9000,
                   "cancelled": 0, "overdue_tasks": 2})
        );
        assert_eq!(rows[0]["key"], "user:7");
        assert_eq!(rows[1]["figures"]["without_action"], 1);
        assert_eq!(rows[1]["figures"]["median_first_action_minutes"], serde_json::Value::Null);
        assert_eq!(rows[2]["figures"]["cancelled"], 1);
        assert_eq!(rows[2]["figures"]["median_first_action_minutes"], 3);
        let t = &out.json["totals"]["figures"];
        assert_eq!(
            (t["leads"].as_u64(), t["sales"].as_u64(), t["overdue_tasks"].as_u64()),
            (Some(4), Some(1), Some(2))
        );
        assert_eq!(t["median_first_action_minutes"], 20, "of 20, 40 and 3 minutes");
        assert_eq!(out.table.rows[0].cells[2], Cell::Count(20));
        assert_eq!(out.table.totals[0], Cell::Count(4));
    }
}
