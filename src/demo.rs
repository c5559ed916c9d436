//! Demo data: a deterministic generator of 180 days of plausible analytics, leads and calls.

use crate::domain::{
    Attraction, Call, CallStatus, Contact, DailyFact, ExtraField, FieldKind, Lead, LeadSource, LeadSourceKind,
    LeadSourceType, Level, Marker, MarkerPath, Money, Month, Origin, Plan, Responsible, Role, StatusGroup, User, Utm,
};
use crate::store::{Result, Store};
use jiff::civil::{Date, Weekday};
use jiff::{Timestamp, ToSpan, tz::TimeZone};

pub const DEFAULT_SEED: u64 = 2026;
pub const DAYS: i32 = 180;
/// Leads are generated for the most recent days only: enough to fill the list.
const LEAD_DAYS: i32 = 45;

/// SplitMix64: tiny, and stable across versions, unlike library generators.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// An integer count with expectation `mean` (floor plus a Bernoulli remainder).
    fn count(&mut self, mean: f64) -> u64 {
        let mean = mean.max(0.0);
        let base = mean.floor();
        base as u64 + u64::from(self.unit() < mean - base)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One ad (a marker path) with its economics.
struct DemoAd {
    path: MarkerPath,
    utm: (&'static str, &'static str),
    base_visits: f64,
    lead_rate: f64,
    sale_rate: f64,
    /// Cost per visit in kopecks; zero for free channels.
    cpc: i64,
    check_rubles: (f64, f64),
}

/// Channel value, title, (utm_source, utm_medium), cost per visit in kopecks, sources (value, title).
type ChannelSpec =
    (&'static str, &'static str, (&'static str, &'static str), i64, &'static [(&'static str, &'static str)]);

fn ads(rng: &mut Rng) -> Vec<DemoAd> {
    let channels: [ChannelSpec; 5] = [
        (
            "direct",
            "Яндекс.Директ",
            ("yandex", "cpc"),
            4200,
            &[("brand", "Брендовая кампания"), ("search", "Поиск: общие запросы"), ("rsya", "РСЯ")],
        ),
        ("google", "Google Ads", ("google", "cpc"), 5100, &[("search", "Поиск"), ("remarketing", "Ремаркетинг")]),
        ("seo", "Поисковые системы", ("yandex", "organic"), 0, &[("yandex", "Яндекс"), ("google", "Google")]),
        ("vk", "ВКонтакте", ("vk", "cpm"), 2300, &[("target", "Таргетированная реклама"), ("community", "Сообщество")]),
        ("direct_visit", "Прямые заходы", ("", ""), 0, &[("direct_visit", "Прямые заходы")]),
    ];
    let mut out = Vec::new();
    for (channel, channel_title, utm, cpc, sources) in channels {
        for (source, source_title) in sources {
            let ads = if cpc > 0 { 3 } else { 1 };
            for ad in 1..=ads {
                let (ad_value, ad_title) = if cpc > 0 {
                    (format!("ad{ad}"), format!("Объявление {ad}"))
                } else {
                    ("main".to_string(), "Главная страница".to_string())
                };
                out.push(DemoAd {
                    path: MarkerPath::new(
                        Level::new(channel, channel_title),
                        Level::new(*source, *source_title),
                        Level::new(ad_value, ad_title),
                    ),
                    utm,
                    base_visits: rng.range(25.0, 140.0) * if cpc > 0 { 1.0 } else { 1.6 },
                    lead_rate: rng.range(0.018, 0.045),
                    sale_rate: rng.range(0.18, 0.34),
                    cpc: (cpc as f64 * rng.range(0.75, 1.3)) as i64,
                    check_rubles: (6_000.0, 38_000.0),
                });
            }
        }
    }
    out
}

fn weekday_factor(day: Weekday) -> f64 {
    match day {
        Weekday::Monday => 1.08,
        Weekday::Tuesday => 1.1,
        Weekday::Wednesday => 1.05,
        Weekday::Thursday => 1.02,
        Weekday::Friday => 0.95,
        Weekday::Saturday => 0.72,
        Weekday::Sunday => 0.68,
    }
}

const FIRST_NAMES: &[&str] = &[
    "Иван",
    "Мария",
    "Алексей",
    "Ольга",
    "Дмитрий",
    "Анна",
    "Сергей",
    "Елена",
    "Андрей",
    "Наталья",
    "Павел",
    "Татьяна",
];
const LAST_NAMES: &[&str] = &[
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Зайцев",
];
/// Patronymics without their ending: «-ич» for a man, «-на» for a woman.
const PATRONYMIC_STEMS: &[&str] = &[
    "Александров",
    "Сергеев",
    "Иванов",
    "Петров",
    "Андреев",
    "Дмитриев",
    "Николаев",
    "Михайлов",
    "Алексеев",
    "Владимиров",
    "Викторов",
    "Павлов",
];
const TITLES: &[&str] = &["Заявка с сайта", "Пойманный лид", "Обратный звонок", "Заказ из корзины", "Запрос прайса"];

/// A proxy-lead-like record before it gets ids.
pub struct DemoLead {
    pub lead: Lead,
    pub contact: Contact,
    pub paid: bool,
    pub cancelled: bool,
}

pub struct DemoData {
    pub facts: Vec<DailyFact>,
    pub leads: Vec<DemoLead>,
    pub calls: Vec<Call>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub facts: usize,
    pub leads: usize,
    pub calls: usize,
}

fn at(date: Date, hour: i8, minute: i8) -> Timestamp {
    date.at(hour, minute, 0, 0)
        .to_zoned(TimeZone::fixed(jiff::tz::offset(3)))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Generates the data for the 180 days that end with `today`; the same seed and day give the same data.
pub fn generate(seed: u64, today: Date) -> DemoData {
    let mut rng = Rng(seed);
    let ads = ads(&mut rng);
    let mut facts = Vec::new();
    let mut leads = Vec::new();
    let mut calls = Vec::new();
    for offset in (0..DAYS).rev() {
        let date = today.checked_sub(offset.days()).unwrap_or(today);
        let trend = 0.85 + 0.3 * f64::from(DAYS - offset) / f64::from(DAYS);
        let season = weekday_factor(date.weekday()) * trend;
        for (index, ad) in ads.iter().enumerate() {
            let noise = rng.range(0.8, 1.2);
            let visits = rng.count(ad.base_visits * season * noise);
            let lead_count = rng.count(visits as f64 * ad.lead_rate);
            let sales = rng.count(lead_count as f64 * ad.sale_rate);
            let mut revenue = Money::ZERO;
            for _ in 0..sales {
                let check = rng.range(ad.check_rubles.0, ad.check_rubles.1);
                revenue += Money::from_rubles((check / 100.0).round() as i64 * 100);
            }
            let cost = Money(visits as i64 * ad.cpc);
            let fact = DailyFact {
                visits,
                leads: lead_count,
                sales,
                revenue,
                cost,
                calls: rng.count(lead_count as f64 * 0.3),
                ..DailyFact::new(date, ad.path.clone())
            };
            if offset < LEAD_DAYS {
                for n in 0..lead_count {
                    leads.push(demo_lead(&mut rng, date, index, n, ad, n < sales));
                }
            }
            facts.push(fact);
        }
        if offset < LEAD_DAYS && rng.unit() < 0.9 {
            let caller = format!("7916{:07}", rng.next_u64() % 10_000_000);
            calls.push(Call {
                roistat_call_id: Some(format!("demo-call-{date}")),
                caller,
                callee: "74951234567".into(),
                at: at(date, 10 + rng.below(8) as i8, rng.below(60) as i8),
                status: rng
                    .pick(&[CallStatus::Answer, CallStatus::Answer, CallStatus::NoAnswer, CallStatus::Busy])
                    .clone(),
                duration_seconds: 20 + rng.below(400) as u32,
                marker: "direct_brand".into(),
                ..Call::default()
            });
        }
    }
    DemoData { facts, leads, calls }
}

fn demo_lead(rng: &mut Rng, date: Date, ad_index: usize, n: u64, ad: &DemoAd, paid: bool) -> DemoLead {
    let first = rng.pick(FIRST_NAMES);
    let last = rng.pick(LAST_NAMES);
    let patronymic = PATRONYMIC_STEMS[(rng.next_u64() % PATRONYMIC_STEMS.len() as u64) as usize];
    // One draw kept from when e-mails were random, so the facts that follow stay the same.
    rng.next_u64();
    let female = matches!(*first, "Мария" | "Ольга" | "Анна" | "Елена" | "Наталья" | "Татьяна");
    let name =
        if female { format!("{last}а {first} {patronymic}на") } else { format!("{last} {first} {patronymic}ич") };
    // A person is one name with one phone and e-mail: a name that comes again is a repeat client.
    let person = Rng(name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)))
        .next_u64();
    let phone = format!("79{:09}", person % 1_000_000_000);
    let email = format!("client{}@example.ru", person % 1_000_000);
    let created = at(date, 9 + rng.below(11) as i8, rng.below(60) as i8);
    let utm = Utm {
        source: ad.utm.0.into(),
        medium: ad.utm.1.into(),
        campaign: ad.path.source.value.clone(),
        content: ad.path.campaign.value.clone(),
        term: String::new(),
    };
    let cancelled = !paid && rng.unit() < 0.25;
    let price = if paid {
        Money::from_rubles((rng.range(6_000.0, 38_000.0) / 100.0).round() as i64 * 100)
    } else {
        Money::ZERO
    };
    let mut lead = Lead {
        created,
        updated: created,
        title: rng.pick(TITLES).to_string(),
        text: format!("Страница: https://example.ru/{}", ad.path.source.value),
        price,
        cost: Money(price.kopecks() * 6 / 10),
        roistat_lead_id: Some(format!("demo-{date}-{ad_index}-{n}")),
        marker: Marker::parse(&format!("{}", 1_000_000 + rng.next_u64() % 9_000_000)).ok(),
        attraction: Attraction {
            channel: ad.path.channel.value.clone(),
            source: ad.path.source.value.clone(),
            campaign: ad.path.campaign.value.clone(),
        },
        origin: Origin::ProxyLead,
        ..Lead::default()
    };
    if !utm.source.is_empty() {
        lead.extra.insert("utm_source".into(), utm.source.clone());
        lead.extra.insert("utm_medium".into(), utm.medium.clone());
        lead.extra.insert("utm_campaign".into(), utm.campaign.clone());
    }
    lead.utm = utm;
    if rng.unit() < 0.5 {
        lead.extra.insert("delivery".into(), rng.pick(&["Курьер", "Самовывоз", "Почта России"]).to_string());
    }
    DemoLead { lead, contact: Contact { name, phone, email }, paid, cancelled }
}

/// Leads handed to the store in one intake call at most.
const INTAKE_BATCH: usize = 512;

/// Writes demo data into the store: reference data, facts (source 0), leads and calls.
/// Running it again adds nothing twice: leads and calls are keyed by their demo Roistat ids.
pub async fn fill(store: &Store, seed: u64, today: Date) -> Result<DemoSummary> {
    store.ensure_schema().await?;
    store.ensure_admin().await?;
    let fields = store.list::<ExtraField>().await?;
    if !fields.iter().any(|f| f.dev_name == "delivery") {
        store
            .put(ExtraField {
                id: 0,
                name: "Способ доставки".into(),
                dev_name: "delivery".into(),
                kind: FieldKind::Text,
                service: false,
            })
            .await?;
    }
    let users = store.list::<User>().await?;
    let mut manager = users.iter().find(|u| u.role == Role::Manager).map(|u| u.id);
    if users.len() < 2 {
        store
            .put(User {
                id: 0,
                name: "Смирнова Мария".into(),
                role: Role::Marketer,
                phone: "79012223344".into(),
                email: "marketing@example.ru".into(),
                ..User::default()
            })
            .await?;
        let m = store
            .put(User {
                id: 0,
                name: "Петров Сергей".into(),
                role: Role::Manager,
                phone: "79012223355".into(),
                email: "petrov@example.ru".into(),
                ..User::default()
            })
            .await?;
        manager = Some(m.id);
    }
    let sources = store.list::<LeadSource>().await?;
    let source_id = match sources.first() {
        Some(s) => s.id,
        None => {
            store
                .put(LeadSource {
                    name: "Roistat".into(),
                    kind: LeadSourceKind::CallTracking,
                    source_type: LeadSourceType::Roistat,
                    responsible: Some(Responsible::Role(Role::Manager)),
                    use_calls: true,
                    use_leads: true,
                    ..LeadSource::default()
                })
                .await?
                .id
        }
    };
    let statuses = store.statuses().await?;
    let status_of = |group: StatusGroup, fallback: usize| {
        statuses.iter().find(|s| s.group == group).or(statuses.get(fallback)).map(|s| s.id)
    };
    let (new_status, paid_status, cancelled_status) =
        (status_of(StatusGroup::InWork, 0), status_of(StatusGroup::Paid, 2), status_of(StatusGroup::Cancelled, 3));

    let data = generate(seed, today);
    for plan in month_plans(&data.facts, today) {
        store.put_plan(plan).await?;
    }
    let (Some(first), Some(last)) = (data.facts.first().map(|f| f.date), data.facts.last().map(|f| f.date)) else {
        return Ok(DemoSummary::default());
    };
    let mut summary =
        DemoSummary { facts: store.replace_facts(0, first, last, data.facts).await?, ..DemoSummary::default() };
    // Today's leads fall in working hours: those still ahead of the clock have not arrived yet.
    let now = Timestamp::now();
    let mut leads = Vec::new();
    for demo in data.leads {
        let mut lead = demo.lead;
        if lead.created > now {
            continue;
        }
        lead.lead_source_id = Some(source_id);
        lead.responsible = manager.map(Responsible::User);
        lead.status_id = if demo.paid {
            paid_status
        } else if demo.cancelled {
            cancelled_status
        } else {
            new_status
        };
        leads.push((lead, demo.contact));
    }
    let mut leads = leads.into_iter().peekable();
    while leads.peek().is_some() {
        let batch: Vec<(Lead, Contact)> = leads.by_ref().take(INTAKE_BATCH).collect();
        summary.leads += store.intake_leads(batch).await?.iter().filter(|i| i.created).count();
    }
    let calls: Vec<Call> = data.calls.into_iter().filter(|c| c.at <= now).collect();
    summary.calls = store.put_calls(calls).await?.len();
    enable_alerts(store).await?;
    Ok(summary)
}

/// The current month's plan per channel: what Roistat's figures say the channel did the month
/// before, plus a tenth, in round sums — a plan the dashboard can be ahead of or behind.
fn month_plans(facts: &[DailyFact], today: Date) -> Vec<Plan> {
    let (month, before) = (Month::of(today), Month::of(today).previous());
    let mut sums: std::collections::BTreeMap<&str, Plan> = std::collections::BTreeMap::new();
    for fact in facts.iter().filter(|f| Month::of(f.date) == before) {
        let plan = sums.entry(&fact.path.channel.value).or_insert_with(|| Plan::new(month, &fact.path.channel.value));
        plan.budget += fact.cost;
        plan.leads += fact.leads;
        plan.sales += fact.sales;
        plan.revenue += fact.revenue;
    }
    let round = |m: Money, step: i64| Money::from_rubles((m.rubles_rounded() * 11 / 10 + step / 2) / step * step);
    sums.into_values()
        .filter(|p| p.leads > 0)
        .map(|p| Plan {
            budget: round(p.budget, 1_000),
            leads: (p.leads * 11).div_ceil(10),
            sales: (p.sales * 11).div_ceil(10),
            revenue: round(p.revenue, 10_000),
            ..p
        })
        .collect()
}

/// The alert rules on, so the bell has something to show: the demo's freshest leads wait for a
/// manager. Settings an admin already chose stay as they are.
async fn enable_alerts(store: &Store) -> Result<()> {
    let settings = store.alert_settings().await?;
    if settings == crate::domain::AlertSettings::default() {
        let rules = crate::domain::AlertRules::all_on();
        store.put_alert_settings(crate::domain::AlertSettings { rules, ..settings }).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_with_leads_gets_a_plan_for_this_month_a_tenth_above_the_last() {
        let today = Date::constant(2026, 11, 24);
        let data = generate(DEFAULT_SEED, today);
        let plans = month_plans(&data.facts, today);
        assert_eq!(plans.len(), 5, "{plans:#?}");
        let october = |channel: &str| -> u64 {
            let facts = data.facts.iter().filter(|f| f.path.channel.value == channel && f.date.month() == 10);
            facts.map(|f| f.leads).sum()
        };
        for plan in &plans {
            assert_eq!(plan.month.to_string(), "2026-11");
            assert_eq!(plan.leads, (october(&plan.channel) * 11).div_ceil(10));
            assert_eq!(plan.budget.kopecks() % 100_000, 0, "round thousands of roubles");
        }
        let seo = plans.iter().find(|p| p.channel == "seo").unwrap();
        assert_eq!(seo.budget, Money::ZERO, "a free channel plans no spend");
    }

    #[test]
    fn same_seed_same_data() {
        let today = Date::constant(2026, 11, 24);
        let a = generate(7, today);
        let b = generate(7, today);
        assert_eq!(a.facts, b.facts);
        assert_eq!(a.leads.len(), b.leads.len());
        assert!(a.leads.iter().zip(&b.leads).all(|(x, y)| x.lead == y.lead && x.contact == y.contact));
        let c = generate(8, today);
        assert_ne!(a.facts, c.facts);
    }

    #[test]
    fn totals_are_plausible() {
        let data = generate(DEFAULT_SEED, Date::constant(2026, 11, 24));
        let days: std::collections::BTreeSet<_> = data.facts.iter().map(|f| f.date).collect();
        assert_eq!(days.len(), DAYS as usize);
        let channels: std::collections::BTreeSet<_> = data.facts.iter().map(|f| f.path.channel.value.clone()).collect();
        assert_eq!(channels.len(), 5);
        let visits: u64 = data.facts.iter().map(|f| f.visits).sum();
        let leads: u64 = data.facts.iter().map(|f| f.leads).sum();
        let sales: u64 = data.facts.iter().map(|f| f.sales).sum();
        let cost: Money = data.facts.iter().map(|f| f.cost).sum();
        let revenue: Money = data.facts.iter().map(|f| f.revenue).sum();
        let conversion = leads as f64 / visits as f64;
        assert!((0.015..0.06).contains(&conversion), "visit→lead conversion {conversion}");
        let paid_leads: u64 = data.facts.iter().filter(|f| f.cost > Money::ZERO).map(|f| f.leads).sum();
        let cpl = cost.as_f64_rubles() / paid_leads as f64;
        assert!((300.0..5_000.0).contains(&cpl), "CPL {cpl}");
        let sale_rate = sales as f64 / leads as f64;
        assert!((0.12..0.4).contains(&sale_rate), "lead→sale {sale_rate}");
        assert!(revenue > cost, "the demo business should pay off");
        // Free channels have no cost.
        assert!(data.facts.iter().filter(|f| f.path.channel.value == "seo").all(|f| f.cost == Money::ZERO));
        assert!(!data.leads.is_empty() && !data.calls.is_empty());
    }

    #[test]
    fn one_name_one_phone() {
        let data = generate(DEFAULT_SEED, Date::constant(2026, 11, 24));
        let mut phones = std::collections::HashMap::new();
        for demo in &data.leads {
            let phone = phones.entry(demo.contact.name.clone()).or_insert_with(|| demo.contact.phone.clone());
            assert_eq!(*phone, demo.contact.phone, "{} has two phones", demo.contact.name);
        }
        let clients = phones.len();
        assert!(clients > 1_000 && clients < data.leads.len(), "{clients} clients, some of them repeat");
    }
}
