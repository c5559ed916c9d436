//! `skvoz plan`: the monthly plans per channel (План продаж) on the command line.

use anyhow::Result;
use clap::Subcommand;
use skvoz::domain::{Actor, Money, Month, Plan};
use skvoz::report::{fmt_count, fmt_money};
use skvoz::store::{Location, Store};
use std::io::Write;

#[derive(Subcommand)]
pub enum PlanCommand {
    /// Задать план канала на месяц; не указанные показатели остаются прежними (у нового плана — 0)
    Set {
        /// Месяц, ГГГГ-ММ (например 2026-12)
        #[arg(long, value_name = "МЕСЯЦ", value_parser = parse_month)]
        month: Month,
        /// Канал: значение уровня 1 маркера, например direct
        #[arg(long, value_name = "КАНАЛ")]
        channel: String,
        /// Бюджет (расходы) в рублях, например 150000 или 150 000,50
        #[arg(long, value_name = "РУБЛИ", value_parser = parse_rubles)]
        budget: Option<Money>,
        /// Заявки, штук
        #[arg(long, value_name = "ЧИСЛО")]
        leads: Option<u64>,
        /// Продажи, штук
        #[arg(long, value_name = "ЧИСЛО")]
        sales: Option<u64>,
        /// Выручка в рублях
        #[arg(long, value_name = "РУБЛИ", value_parser = parse_rubles)]
        revenue: Option<Money>,
    },
    /// Планы по каналам: все или одного месяца
    List {
        /// Только этот месяц, ГГГГ-ММ
        #[arg(long, value_name = "МЕСЯЦ", value_parser = parse_month)]
        month: Option<Month>,
    },
    /// Удалить план канала на месяц
    Delete {
        /// Месяц, ГГГГ-ММ
        #[arg(long, value_name = "МЕСЯЦ", value_parser = parse_month)]
        month: Month,
        /// Канал
        #[arg(long, value_name = "КАНАЛ")]
        channel: String,
    },
}

/// `ГГГГ-ММ` for clap, with our Russian words when it is not a month (`report --month` may use it too).
pub fn parse_month(text: &str) -> std::result::Result<Month, String> {
    text.parse().map_err(|e: skvoz::domain::MonthError| e.to_string())
}

fn parse_rubles(text: &str) -> std::result::Result<Money, String> {
    match Money::parse(text) {
        Some(money) if money >= Money::ZERO => Ok(money),
        Some(_) => Err("сумма не может быть отрицательной: укажите 0 или больше".into()),
        None => Err(format!("сумма «{text}» не распознана: укажите рубли, например 150000 или 150 000,50")),
    }
}

pub async fn run(at: &Location, command: PlanCommand) -> Result<()> {
    let store = Store::open(at)
        .await?
        .acting_as(Actor { origin: "командная строка".into(), ..Actor::default() });
    let mut out = std::io::stdout().lock();
    match command {
        PlanCommand::Set { month, channel, budget, leads, sales, revenue } => {
            let channel = channel.trim().to_string();
            let stored = store.plans(Some(month)).await?.into_iter().find(|p| p.channel == channel);
            let old = stored.unwrap_or_else(|| Plan::new(month, channel.clone()));
            let plan = Plan {
                budget: budget.unwrap_or(old.budget),
                leads: leads.unwrap_or(old.leads),
                sales: sales.unwrap_or(old.sales),
                revenue: revenue.unwrap_or(old.revenue),
                ..old
            };
            let plan = store.put_plan(plan).await?;
            writeln!(out, "План записан:")?;
            write_plans(&mut out, &[plan])?;
        }
        PlanCommand::List { month } => {
            let plans = store.plans(month).await?;
            if plans.is_empty() {
                writeln!(out, "Планов нет: задайте их командой skvoz plan set --month ГГГГ-ММ --channel КАНАЛ …")?;
            } else {
                write_plans(&mut out, &plans)?;
            }
        }
        PlanCommand::Delete { month, channel } => {
            store.delete_plan(month, channel.trim()).await?;
            writeln!(out, "План канала {} на {month} удалён", channel.trim())?;
        }
    }
    store.close().await?;
    Ok(())
}

fn write_plans(out: &mut impl Write, plans: &[Plan]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<8} {:<20} {:>16} {:>8} {:>8} {:>16}",
        "Месяц", "Канал", "Бюджет", "Заявки", "Продажи", "Выручка"
    )?;
    for plan in plans {
        writeln!(
            out,
            "{:<8} {:<20} {:>16} {:>8} {:>8} {:>16}",
            plan.month.to_string(),
            plan.channel,
            fmt_money(plan.budget),
            fmt_count(plan.leads),
            fmt_count(plan.sales),
            fmt_money(plan.revenue)
        )?;
    }
    Ok(())
}
