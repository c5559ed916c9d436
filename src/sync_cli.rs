//! `skvoz sync` and `skvoz sources`: the analytics load from the command line.

use super::SyncArgs;
use anyhow::{Context, Result, anyhow, bail};
use skvoz::domain::{AnalyticsSource, DEFAULT_API_BASE, Secret};
use skvoz::roistat::{Cancel, ClientConfig, RoistatClient, SyncOptions, SyncProgress, reconcile_source, run_sync};
use skvoz::store::Store;
use std::process::ExitCode;

/// Picks the source the arguments name, creating one for `--api-key/--project` so the result
/// stays visible in the window and in `skvoz sources`.
async fn choose_source(store: &Store, args: &SyncArgs) -> Result<AnalyticsSource> {
    let sources = store.list::<AnalyticsSource>().await?;
    if let Some(name) = &args.source {
        if args.project.is_some() || args.api_base.is_some() {
            bail!("укажите либо --source, либо --api-key и --project, но не всё вместе");
        }
        let wanted = name.trim().to_lowercase();
        return sources.into_iter().find(|s| s.name.trim().to_lowercase() == wanted).with_context(|| {
            format!("источник аналитики «{name}» не найден: список источников покажет skvoz sources")
        });
    }
    let Some(project) = args.project.as_deref().map(str::trim).filter(|p| !p.is_empty()) else {
        return match sources.len() {
            1 => Ok(sources.into_iter().next().ok_or_else(|| anyhow!("нет источников"))?),
            0 => bail!(
                "нет ни одного источника аналитики: укажите --api-key и --project (или переменную SKVOZ_ROISTAT_API_KEY)"
            ),
            _ => bail!(
                "источников аналитики несколько ({}): выберите один через --source",
                sources.iter().map(|s| format!("«{}»", s.name)).collect::<Vec<_>>().join(", ")
            ),
        };
    };
    let key =
        args.api_key.as_deref().map(str::trim).filter(|k| !k.is_empty()).context(
            "не указан API-ключ Roistat: передайте --api-key или переменную окружения SKVOZ_ROISTAT_API_KEY",
        )?;
    let base = args.api_base.as_deref().map(str::trim).filter(|b| !b.is_empty()).unwrap_or(DEFAULT_API_BASE);
    let same_base = |s: &AnalyticsSource| s.api_base_or_default().trim_end_matches('/') == base.trim_end_matches('/');
    let existing = sources.into_iter().find(|s| s.project.trim() == project && same_base(s));
    let mut source = existing.unwrap_or_else(|| AnalyticsSource {
        name: format!("Проект Roistat {project}"),
        project: project.to_string(),
        api_base: if base == DEFAULT_API_BASE { String::new() } else { base.to_string() },
        ..AnalyticsSource::default()
    });
    source.api_key = Secret::new(key);
    Ok(store.put(source).await?)
}

pub async fn run(store: &Store, args: SyncArgs) -> Result<ExitCode> {
    let source = choose_source(store, &args).await?;
    let mut options = SyncOptions::default();
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if from > to {
            bail!("дата --from ({from}) позже даты --to ({to}): поменяйте их местами");
        }
        options.range = Some((from, to));
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} периодов  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    println!("{}", source.job_name());
    let cancel = Cancel::new();
    let on_ctrl_c = cancel.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let progress = |p: &SyncProgress| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(p.message.clone());
    };
    let result = run_sync(store, source.id, &options, &cancel, &progress).await;
    ctrl_c.abort();
    bar.finish_and_clear();
    let report = result.map_err(|e| anyhow!(e.to_string()))?;
    println!(
        "Загружено фактов аналитики: {} за {} — {} (периодов: {}, звонков: {}, ожиданий лимита Roistat: {})",
        report.facts,
        ru_date(report.from),
        ru_date(report.to),
        report.periods,
        report.calls,
        report.retries
    );
    if !report.missing_metrics.is_empty() {
        println!("Нет в проекте (считаются нулём): {}", report.missing_metrics.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

fn ru_date(d: jiff::civil::Date) -> String {
    format!("{:02}.{:02}.{}", d.day(), d.month(), d.year())
}

fn ru_time(ts: Option<jiff::Timestamp>) -> String {
    match ts {
        Some(ts) => ts.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M:%S").to_string(),
        None => "—".into(),
    }
}

pub async fn list(store: &Store) -> Result<ExitCode> {
    let sources = store.list::<AnalyticsSource>().await?;
    if sources.is_empty() {
        println!(
            "Источников получения аналитики нет. Добавьте источник в окне программы или загрузите проект: skvoz sync --api-key КЛЮЧ --project НОМЕР"
        );
        return Ok(ExitCode::SUCCESS);
    }
    for s in sources {
        println!(
            "{}. {} — проект {}, {}, часовой пояс {}, каждые {} мин, {}",
            s.id,
            s.name,
            if s.project.is_empty() { "не указан" } else { &s.project },
            s.api_base_or_default(),
            s.time_zone,
            s.interval_minutes,
            if s.enabled { "по расписанию" } else { "расписание выключено" }
        );
        println!(
            "   последний запуск: {}; последний успех: {}; загружено фактов: {}",
            ru_time(s.last_start),
            ru_time(s.last_success),
            s.facts_loaded
        );
        if !s.missing_metrics.is_empty() {
            println!("   нет в проекте: {}", s.missing_metrics.join(", "));
        }
        match &s.reconciliation {
            Some(r) if r.error.is_some() => {
                println!("   сверка с Roistat не выполнена: {}", r.error.as_deref().unwrap_or(""))
            }
            Some(r) => println!(
                "   сверка с Roistat: пришли {}, с опозданием {}, нет у нас {}",
                r.arrived, r.late_count, r.missing_count
            ),
            None => {}
        }
        if let Some(error) = &s.last_error {
            println!("   ошибка: {error}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `skvoz projects`: the projects a key sees, the same call as the source form's «Проверить ключ».
pub async fn projects(api_base: Option<&str>, api_key: &str) -> Result<ExitCode> {
    let key = api_key.trim();
    if key.is_empty() {
        bail!("не указан API-ключ Roistat: передайте --api-key или переменную окружения SKVOZ_ROISTAT_API_KEY");
    }
    let base = api_base.map(str::trim).filter(|b| !b.is_empty()).unwrap_or(DEFAULT_API_BASE);
    let client =
        RoistatClient::new(ClientConfig::new(base, Secret::new(key), "")).map_err(|e| anyhow!(e.to_string()))?;
    let projects = client.projects().await.map_err(|e| anyhow!(e.to_string()))?;
    if projects.is_empty() {
        println!("Ключ принят, но проектов Roistat ему не видно: проверьте, чей это ключ");
        return Ok(ExitCode::SUCCESS);
    }
    let width = projects.iter().map(|p| p.id.chars().count()).max().unwrap_or(0).max("Проект".chars().count());
    println!("{:<width$}  {:<6}  Название", "Проект", "Валюта");
    for p in projects {
        println!("{:<width$}  {:<6}  {}", p.id, if p.currency.is_empty() { "—" } else { &p.currency }, p.name);
    }
    Ok(ExitCode::SUCCESS)
}

/// `skvoz reconcile`: Roistat's proxy leads of a period matched with ours; the result is also kept
/// on the source, for the window.
pub async fn reconcile(
    store: &Store,
    name: Option<&str>,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
) -> Result<ExitCode> {
    let sources = store.list::<AnalyticsSource>().await?;
    let source = match name {
        Some(name) => {
            let wanted = name.trim().to_lowercase();
            sources.into_iter().find(|s| s.name.trim().to_lowercase() == wanted).with_context(|| {
                format!("источник аналитики «{name}» не найден: список источников покажет skvoz sources")
            })?
        }
        None if sources.len() == 1 => sources.into_iter().next().context("нет источников")?,
        None if sources.is_empty() => {
            bail!("нет ни одного источника аналитики: добавьте его в окне программы или через skvoz sync")
        }
        None => bail!(
            "источников аналитики несколько ({}): выберите один через --source",
            sources.iter().map(|s| format!("«{}»", s.name)).collect::<Vec<_>>().join(", ")
        ),
    };
    let today = jiff::Zoned::now().date();
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to.checked_sub(jiff::Span::new().days(6)).unwrap_or(to));
    if from > to {
        bail!("дата --from ({from}) позже даты --to ({to}): поменяйте их местами");
    }
    let result = reconcile_source(store, source.id, from, to).await.map_err(|e| anyhow!(e.to_string()))?;
    println!("Сверка с Roistat «{}» за {} — {}", source.name, ru_date(from), ru_date(to));
    println!("Пришли вовремя: {}", result.arrived);
    println!("С опозданием: {}", result.late_count);
    for late in &result.late {
        println!(
            "  заявка {} «{}» (Roistat {}): через {} мин после создания в Roistat",
            late.lead_id, late.roistat.title, late.roistat.id, late.delay_minutes
        );
    }
    println!("Нет у нас: {}", result.missing_count);
    for m in &result.missing {
        println!(
            "  Roistat {} «{}», телефон {}, создана {}{}",
            if m.id.is_empty() { "—" } else { &m.id },
            m.title,
            if m.phone.is_empty() { "—" } else { &m.phone },
            if m.created.is_empty() { "—" } else { &m.created },
            if m.name.is_empty() { String::new() } else { format!(", {}", m.name) }
        );
    }
    if result.missing_count > result.missing.len() {
        println!("  … и ещё {}", result.missing_count - result.missing.len());
    }
    if result.missing_count > 0 {
        println!(
            "Недостающие заявки можно создать из данных Roistat в окне: «Источники получения аналитики» → «Сверка с Roistat»."
        );
    }
    Ok(ExitCode::SUCCESS)
}
