//! «План продаж»: a month's plan per channel (budget, leads, sales, revenue) typed in a table and
//! written with «Записать», and under it how much of the plan is done and the forecast to the
//! month's end (the plan / fact view).

use crate::app::plans::{PlanCommand, PlanEvent, PlanPage};
use crate::app::{AppEvent, Change, Command};
use crate::domain::{Money, Month, Plan};
use crate::report::views::ViewTable;
use jiff::civil::Date;

/// One channel's line as typed.
#[derive(Clone, Debug, PartialEq)]
struct PlanLine {
    key: String,
    title: String,
    budget: String,
    leads: String,
    sales: String,
    revenue: String,
    /// The plan as stored; `None` when the channel has none this month.
    stored: Option<Plan>,
}

impl PlanLine {
    fn new(key: String, title: String, stored: Option<Plan>) -> PlanLine {
        let mut line = PlanLine {
            key,
            title,
            budget: String::new(),
            leads: String::new(),
            sales: String::new(),
            revenue: String::new(),
            stored: None,
        };
        line.show(stored);
        line
    }

    /// Shows `stored` in the fields.
    fn show(&mut self, stored: Option<Plan>) {
        let (money, count) = (|m: Money| m.to_input_text(), |n: u64| n.to_string());
        match &stored {
            Some(p) => {
                (self.budget, self.leads, self.sales) = (money(p.budget), count(p.leads), count(p.sales));
                self.revenue = money(p.revenue);
            }
            None => (self.budget, self.leads, self.sales, self.revenue) = Default::default(),
        }
        self.stored = stored;
    }

    /// Whether the fields say something else than what is stored (or what cannot be stored).
    fn edited(&self) -> bool {
        let stored = self.stored.as_ref().map(|p| (p.budget, p.leads, p.sales, p.revenue));
        let typed = self.plan_of(None);
        !matches!(typed, Ok(ref t) if t.as_ref().map(|p| (p.budget, p.leads, p.sales, p.revenue)) == stored)
    }

    #[cfg(test)]
    fn with_shown(mut self, stored: Option<Plan>) -> PlanLine {
        self.show(stored);
        self
    }

    /// The plan the fields describe: `None` when they are all empty and nothing is stored.
    fn plan(&self, month: Month) -> Result<Option<Plan>, String> {
        self.plan_of(Some(month))
    }

    /// [`PlanLine::plan`]; without a month, of the stored plan's (or any: for comparing figures).
    fn plan_of(&self, month: Option<Month>) -> Result<Option<Plan>, String> {
        let month = month.or(self.stored.as_ref().map(|p| p.month)).unwrap_or(Month::of(Date::constant(2000, 1, 1)));
        let blank = [&self.budget, &self.leads, &self.sales, &self.revenue].iter().all(|t| t.trim().is_empty());
        if blank && self.stored.is_none() {
            return Ok(None);
        }
        let money = |text: &str, what: &str| -> Result<Money, String> {
            if text.trim().is_empty() {
                return Ok(Money::ZERO);
            }
            match Money::parse(text) {
                Some(m) if m >= Money::ZERO => Ok(m),
                _ => Err(format!(
                    "«{}», {what}: «{text}» — не сумма; укажите рубли, например 150 000 или 150000,50",
                    self.title
                )),
            }
        };
        let count = |text: &str, what: &str| -> Result<u64, String> {
            let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            if digits.is_empty() {
                return Ok(0);
            }
            digits.parse().map_err(|_| {
                format!("«{}», {what}: «{text}» — не число; укажите целое число, например 120", self.title)
            })
        };
        Ok(Some(Plan {
            budget: money(&self.budget, "бюджет")?,
            leads: count(&self.leads, "заявки")?,
            sales: count(&self.sales, "продажи")?,
            revenue: money(&self.revenue, "выручка")?,
            ..Plan::new(month, self.key.clone())
        }))
    }
}

/// The plan page's view state.
pub struct PlanScreen {
    today: Date,
    month: Month,
    lines: Vec<PlanLine>,
    table: Option<ViewTable>,
    new_channel: String,
    /// A read is asked for or under way; `stale` asks for one.
    loading: bool,
    stale: bool,
    saving: bool,
    /// «Записано», or what went wrong.
    outcome: Option<Result<String, String>>,
}

/// «Декабрь 2026».
fn month_title(month: Month) -> String {
    crate::domain::month_title(month.first_day())
}

impl PlanScreen {
    /// The page opens on the month of `today`.
    pub fn new(today: Date) -> PlanScreen {
        PlanScreen {
            today,
            month: Month::of(today),
            lines: Vec::new(),
            table: None,
            new_channel: String::new(),
            loading: false,
            stale: true,
            saving: false,
            outcome: None,
        }
    }

    fn edited(&self) -> bool {
        self.lines.iter().any(PlanLine::edited)
    }

    fn loaded(&mut self, page: Result<Box<PlanPage>, String>) {
        self.loading = false;
        let page = match page {
            Ok(page) if page.month == self.month => page,
            // An answer for a month no longer shown: the read for this one follows.
            Ok(_) => return,
            Err(e) => {
                self.outcome = Some(Err(format!("Не удалось прочитать планы: {e}")));
                return;
            }
        };
        let mut lines = Vec::new();
        for channel in &page.channels {
            let stored = page.plans.iter().find(|p| p.channel == channel.key).cloned();
            // What is typed and not yet written stays.
            match self.lines.iter().find(|l| l.key == channel.key && l.edited()) {
                Some(typed) => lines.push(PlanLine { stored, ..typed.clone() }),
                None => lines.push(PlanLine::new(channel.key.clone(), channel.title.clone(), stored)),
            }
        }
        // A channel added by hand and not yet written stays too.
        let added: Vec<PlanLine> =
            self.lines.iter().filter(|l| l.edited() && !lines.iter().any(|n| n.key == l.key)).cloned().collect();
        lines.extend(added);
        self.lines = lines;
        self.table = Some(page.table);
    }

    fn saved(&mut self, result: Result<usize, String>) {
        self.saving = false;
        self.outcome = Some(match result {
            Ok(_) => Ok("Записано".into()),
            Err(e) => Err(format!("Не записано: {e}")),
        });
        self.stale = true;
    }

    fn save(&mut self, commands: &mut Vec<Command>) {
        let mut plans = Vec::new();
        for line in self.lines.iter().filter(|l| l.edited()) {
            match line.plan(self.month) {
                Ok(Some(plan)) => plans.push(plan),
                Ok(None) => {}
                Err(e) => {
                    self.outcome = Some(Err(e));
                    return;
                }
            }
        }
        if plans.is_empty() {
            return;
        }
        self.saving = true;
        self.outcome = None;
        commands.push(Command::Plans(PlanCommand::Save(plans)));
    }

    fn switch_month(&mut self, month: Month) {
        if self.edited() {
            self.outcome = Some(Err("Сначала запишите изменения этого месяца или верните прежние значения".into()));
            return;
        }
        self.month = month;
        self.lines.clear();
        self.table = None;
        self.outcome = None;
        self.stale = true;
    }

    fn add_channel(&mut self) {
        let key = self.new_channel.trim().to_string();
        if key.is_empty() || self.lines.iter().any(|l| l.key == key) {
            return;
        }
        self.lines.push(PlanLine::new(key.clone(), key, None));
        self.new_channel.clear();
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        if self.stale && !self.loading {
            self.stale = false;
            self.loading = true;
            let now = self.today.at(12, 0, 0, 0).to_zoned(jiff::tz::TimeZone::system()).map(|z| z.timestamp());
            commands.push(Command::Plans(PlanCommand::Load {
                month: self.month,
                now: now.unwrap_or_else(|_| jiff::Timestamp::now()),
            }));
        }
        ui.horizontal(|ui| {
            ui.heading("План продаж");
            if self.loading || self.saving {
                ui.spinner();
            }
        });
        ui.horizontal(|ui| {
            ui.label("Месяц:");
            if ui.button("◀").on_hover_text("Предыдущий месяц").clicked() {
                self.switch_month(self.month.previous());
            }
            ui.label(egui::RichText::new(month_title(self.month)).strong());
            if ui.button("▶").on_hover_text("Следующий месяц").clicked() {
                self.switch_month(self.month.next());
            }
        });
        ui.add_space(6.0);
        self.lines_ui(ui);
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut self.new_channel).hint_text("значение канала, например direct"))
                .accessible_name("Новый канал");
            if ui.button("Добавить канал").clicked() {
                self.add_channel();
            }
        });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let can_save = self.edited() && !self.saving;
            if ui.add_enabled(can_save, egui::Button::new("Записать")).clicked() {
                self.save(commands);
            }
            if self.saving {
                ui.label("Записывается…");
            }
            match &self.outcome {
                Some(Ok(text)) => {
                    ui.label(text);
                }
                Some(Err(text)) => {
                    ui.colored_label(ui.visuals().error_fg_color, text);
                }
                None => {}
            }
        });
        ui.separator();
        if let Some(table) = &self.table {
            done_ui(ui, table);
        }
    }

    fn lines_ui(&mut self, ui: &mut egui::Ui) {
        if self.lines.is_empty() && !self.loading {
            ui.label(
                "Каналов пока нет: они появляются с данными Roistat и заявками. Канал можно добавить вручную — \
                 по значению первого уровня маркера.",
            );
            return;
        }
        egui::Grid::new("plan_lines").striped(true).num_columns(5).spacing([12.0, 4.0]).show(ui, |ui| {
            for title in ["Канал", "Бюджет, ₽", "Заявки", "Продажи", "Выручка, ₽"] {
                ui.strong(title);
            }
            ui.end_row();
            for line in &mut self.lines {
                let label = ui.label(&line.title);
                if line.title != line.key {
                    label.on_hover_text(format!("Значение канала: {}", line.key));
                }
                let title = line.title.clone();
                for (field, what, width) in [
                    (&mut line.budget, "Бюджет", 120.0),
                    (&mut line.leads, "Заявки", 70.0),
                    (&mut line.sales, "Продажи", 70.0),
                    (&mut line.revenue, "Выручка", 120.0),
                ] {
                    // A grid cell offers only last frame's column width: the size is asked for outright.
                    let height = ui.spacing().interact_size.y;
                    ui.add_sized([width, height], egui::TextEdit::singleline(field))
                        .accessible_name(format!("{what}: {title}"));
                }
                ui.end_row();
            }
        });
    }
}

/// The plan / fact table: % done and the forecast, as the view gives it.
fn done_ui(ui: &mut egui::Ui, table: &ViewTable) {
    ui.strong("Выполнение и прогноз");
    for line in &table.caption {
        ui.weak(line);
    }
    if table.rows.is_empty() {
        ui.label("В этом месяце нет ни планов, ни расходов, ни заявок.");
        return;
    }
    egui::ScrollArea::horizontal().id_salt("plan_done_scroll").show(ui, |ui| {
        egui::Grid::new("plan_done").striped(true).num_columns(table.columns.len() + 1).show(ui, |ui| {
            ui.strong(&table.name_title);
            for column in &table.columns {
                ui.strong(&column.title);
            }
            ui.end_row();
            let rows = table.rows.iter().map(|r| (r.title.as_str(), &r.cells));
            let totals = (!table.totals.is_empty()).then_some(("Итого", &table.totals));
            for (title, cells) in rows.chain(totals) {
                ui.label(title);
                for cell in cells {
                    ui.label(cell.display());
                }
                ui.end_row();
            }
        });
    });
}

impl crate::app::Screen for PlanScreen {
    fn ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        PlanScreen::ui(self, ui, commands);
    }

    fn on_event(&mut self, event: AppEvent, _commands: &mut Vec<Command>) {
        match event {
            AppEvent::Plans(PlanEvent::Loaded(page)) => self.loaded(page),
            AppEvent::Plans(PlanEvent::Saved(result)) => self.saved(result),
            AppEvent::Changed(
                Change::Plans | Change::Facts | Change::Leads(_) | Change::Catalog | Change::Reloaded,
            ) => self.stale = true,
            _ => {}
        }
    }

    fn is_busy(&self) -> bool {
        self.loading || self.saving
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_its_plan_and_names_what_is_not_a_number() {
        let month: Month = "2026-12".parse().unwrap();
        let mut line = PlanLine::new("direct".into(), "Яндекс.Директ".into(), None);
        assert!(!line.edited());
        assert_eq!(line.plan(month), Ok(None), "an empty line is no plan");
        line.budget = "150 000".into();
        line.leads = "120".into();
        assert!(line.edited());
        let plan = line.plan(month).unwrap().unwrap();
        assert_eq!((plan.budget, plan.leads, plan.sales), (Money::from_rubles(150_000), 120, 0));
        let stored = line.clone().with_shown(Some(plan.clone()));
        assert!(!stored.edited(), "the stored plan shows as it was typed");
        line.sales = "много".into();
        assert!(line.plan(month).unwrap_err().contains("«Яндекс.Директ», продажи: «много» — не число"));
        assert_eq!(month_title(month), "Декабрь 2026");
    }
}
