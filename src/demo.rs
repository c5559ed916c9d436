//! Demo data: a deterministic generator of 180 days of plausible analytics, leads and calls.
//!
//! Leads have a course of their own (drawn from a second generator, so the analytics stay the
//! same): a manager takes a lead into work after minutes or hours (each manager at their own
//! pace; some leads nobody takes), it is paid or cancelled days later (with a reason, mostly),
//! some get a comment and a call-back task (some of them overdue); some clients come back with
//! earlier leads months before. [`settle`] turns a course into the status history the store keeps,
//! up to the moment that counts as now.

use crate::domain::{
    Attraction, Call, CallStatus, Comment, Contact, DailyFact, ExtraField, FieldKind, Lead, LeadSource, LeadSourceKind,
    LeadSourceType, Level, Marker, MarkerPath, Money, Month, Origin, Plan, Responsible, Role, StatusChange,
    StatusGroup, Task, User, Utm,
};
use crate::store::{Result, Store};
use jiff::civil::{Date, Weekday};
use jiff::{SignedDuration, Timestamp, ToSpan, tz::TimeZone};

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

/// The demo's managers: name, phone, e-mail, and the minutes they typically take to answer a lead.
const MANAGERS: [(&str, &str, &str, f64); 3] = [
    ("Петров Сергей", "79012223355", "petrov@example.ru", 12.0),
    ("Кузнецова Анна", "79012223366", "kuznetsova@example.ru", 50.0),
    ("Орлов Дмитрий", "79012223377", "orlov@example.ru", 200.0),
];

/// The extra field that holds why a lead was cancelled.
pub const CANCEL_REASON_FIELD: &str = "cancel_reason";
const CANCEL_REASONS: [&str; 4] = ["Дорого", "Не дозвонились", "Купили у конкурентов", "Передумали"];

/// A proxy-lead-like record before it gets ids.
pub struct DemoLead {
    pub lead: Lead,
    pub contact: Contact,
    /// Where it ends: paid, cancelled, or neither (still open).
    pub paid: bool,
    pub cancelled: bool,
    pub course: DemoCourse,
}

/// What happens to a demo lead after it arrives; [`settle`] keeps what happened before now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DemoCourse {
    /// Which of the demo's managers is responsible.
    pub manager: usize,
    /// Taken into work; `None`: nobody took it.
    pub taken: Option<Timestamp>,
    /// Paid or cancelled, as the lead ends.
    pub closed: Option<Timestamp>,
    /// A manager's comment.
    pub comment: Option<Timestamp>,
    /// A call-back task: when it was set, its deadline, and whether the manager keeps it (it is
    /// done once its deadline passes; done as well when the lead closes by then).
    pub task: Option<(Timestamp, Timestamp, bool)>,
    pub cancel_reason: Option<&'static str>,
}

/// The statuses and the managers' user ids the demo's leads are settled with.
#[derive(Clone, Debug, Default)]
pub struct DemoCast {
    pub new: Option<u64>,
    pub work: Option<u64>,
    pub paid: Option<u64>,
    pub cancelled: Option<u64>,
    /// A user id per demo manager, in order.
    pub managers: Vec<u64>,
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

/// `minutes` after `t`.
fn later(t: Timestamp, minutes: f64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs((minutes * 60.0) as i64)).unwrap_or(t)
}

/// The start of the week before `today` and after: the leads the alert rules look at.
fn watched_since(today: Date) -> Timestamp {
    at(today.checked_sub(8.days()).unwrap_or(today), 0, 0)
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
    // The leads' courses and the returning clients come from a generator of their own: the
    // analytics above stay what they were.
    let mut life = Rng(seed ^ 0x1EAD_C0DE_5EED_2026);
    let watched_since = watched_since(today);
    for demo in &mut leads {
        demo.course = course(&mut life, &demo.lead, demo.paid, demo.cancelled, watched_since);
    }
    let earliest = today.checked_sub((DAYS - 1).days()).unwrap_or(today);
    let returning = returning_leads(&mut life, &leads, &ads, earliest, watched_since);
    leads.extend(returning);
    leads.sort_by_key(|d| d.lead.created);
    DemoData { facts, leads, calls }
}

/// How a lead goes: taken after minutes or hours (a quarter of the open ones never), paid 0.5–9
/// days or cancelled 2 hours – 5 days after that, a comment and a call-back task for some (a few
/// of those tasks forgotten: overdue).
/// Of the last week's leads (the ones the «не взята в работу» alert watches) only a rare one is
/// left untaken, so the demo's bell shows an alert or two, not a flood.
fn course(rng: &mut Rng, lead: &Lead, paid: bool, cancelled: bool, watched_since: Timestamp) -> DemoCourse {
    let manager = rng.below(MANAGERS.len());
    let answer = MANAGERS[manager].3 * rng.range(0.2, 2.5);
    let chance = rng.unit();
    let untaken = if paid {
        false
    } else if lead.created >= watched_since {
        chance < 0.03
    } else if cancelled {
        chance < 0.3
    } else {
        chance < 0.25
    };
    let taken = (!untaken).then(|| later(lead.created, answer));
    let from = taken.unwrap_or(lead.created);
    let closed = if paid {
        Some(later(from, rng.range(0.5, 9.0) * 24.0 * 60.0))
    } else if cancelled {
        Some(later(from, rng.range(2.0, 120.0) * 60.0))
    } else {
        None
    };
    let comment = (taken.is_some() && rng.unit() < 0.35).then(|| later(lead.created, answer * rng.range(0.5, 1.0)));
    let task = match taken {
        Some(t) if rng.unit() < 0.45 => {
            Some((later(t, 3.0), later(t, rng.range(1.0, 4.0) * 24.0 * 60.0), rng.unit() < 0.96))
        }
        _ => None,
    };
    let cancel_reason = (cancelled && rng.unit() < 0.8).then(|| *rng.pick(&CANCEL_REASONS));
    DemoCourse { manager, taken, closed, comment, task, cancel_reason }
}

/// Clients who had come before: for about one lead in ten an earlier lead of the same person
/// 1–4 months before (a third of them one more before that), through the same ad or directly,
/// paid more often than a first lead. None before `earliest`.
fn returning_leads(
    rng: &mut Rng,
    leads: &[DemoLead],
    ads: &[DemoAd],
    earliest: Date,
    watched_since: Timestamp,
) -> Vec<DemoLead> {
    let direct = ads.iter().position(|a| a.path.channel.value == "direct_visit");
    let mut out = Vec::new();
    for (i, later_lead) in leads.iter().enumerate() {
        if rng.unit() >= 0.1 {
            continue;
        }
        let times = if rng.unit() < 0.33 { 2 } else { 1 };
        let mut date = later_lead.lead.created.to_zoned(TimeZone::fixed(jiff::tz::offset(3))).date();
        for k in 0..times {
            date = date.checked_sub((30 + rng.below(90) as i32).days()).unwrap_or(date);
            if date < earliest {
                break;
            }
            let ad_index = match direct {
                Some(d) if rng.unit() < 0.5 => d,
                _ => ads.iter().position(|a| same_ad(a, &later_lead.lead)).unwrap_or(0),
            };
            let ad = &ads[ad_index];
            let paid = rng.unit() < 0.45;
            let cancelled = !paid && rng.unit() < 0.7;
            let mut lead = Lead {
                created: at(date, 9 + rng.below(11) as i8, rng.below(60) as i8),
                price: if paid {
                    Money::from_rubles((rng.range(6_000.0, 38_000.0) / 100.0).round() as i64 * 100)
                } else {
                    Money::ZERO
                },
                roistat_lead_id: Some(format!("demo-returning-{i}-{k}")),
                attraction: Attraction {
                    channel: ad.path.channel.value.clone(),
                    source: ad.path.source.value.clone(),
                    campaign: ad.path.campaign.value.clone(),
                },
                ..later_lead.lead.clone()
            };
            lead.updated = lead.created;
            lead.cost = Money(lead.price.kopecks() * 6 / 10);
            tag(&mut lead, ad);
            let course = course(rng, &lead, paid, cancelled, watched_since);
            out.push(DemoLead { lead, contact: later_lead.contact.clone(), paid, cancelled, course });
        }
    }
    out
}

/// The lead came through the ad.
fn same_ad(ad: &DemoAd, lead: &Lead) -> bool {
    let a = &lead.attraction;
    ad.path.channel.value == a.channel && ad.path.source.value == a.source && ad.path.campaign.value == a.campaign
}

/// The lead's UTM tags and text as the ad gives them.
fn tag(lead: &mut Lead, ad: &DemoAd) {
    lead.utm = Utm {
        source: ad.utm.0.into(),
        medium: ad.utm.1.into(),
        campaign: ad.path.source.value.clone(),
        content: ad.path.campaign.value.clone(),
        term: String::new(),
    };
    for (key, value) in [("utm_source", ad.utm.0), ("utm_medium", ad.utm.1), ("utm_campaign", &ad.path.source.value)] {
        if ad.utm.0.is_empty() {
            lead.extra.remove(key);
        } else {
            lead.extra.insert(key.into(), value.to_string());
        }
    }
    lead.text = format!("Страница: https://example.ru/{}", ad.path.source.value);
}

/// The lead as the store keeps it at `now`: the status moves that happened by then (each by its
/// manager), the manager as responsible, the comment and task set by then, the cancellation reason.
pub fn settle(demo: DemoLead, cast: &DemoCast, now: Timestamp) -> (Lead, Contact) {
    let DemoLead { mut lead, contact, paid, cancelled, course } = demo;
    let name = MANAGERS[course.manager % MANAGERS.len()].0;
    lead.responsible = cast.managers.get(course.manager).copied().map(Responsible::User);
    lead.status_id = cast.new;
    let end = if paid {
        cast.paid
    } else if cancelled {
        cast.cancelled
    } else {
        cast.work
    };
    let moves = [(course.taken, cast.work), (course.closed, end)];
    for (at, to) in moves.into_iter().filter_map(|(at, to)| at.filter(|at| *at <= now).map(|at| (at, to))) {
        if to != lead.status_id {
            lead.status_changes.push(StatusChange { at, from: lead.status_id, to, by: name.into() });
            lead.status_id = to;
            lead.updated = lead.updated.max(at);
        }
    }
    if let Some(at) = course.comment.filter(|at| *at <= now) {
        lead.comments.push(Comment {
            at,
            title: "Комментарий".into(),
            text: "Связался с клиентом, уточнил заказ".into(),
            from_roistat: false,
        });
    }
    if let Some((set, deadline, kept)) = course.task.filter(|(set, ..)| *set <= now) {
        let done = (kept && deadline <= now) || course.closed.is_some_and(|c| c <= now && c <= deadline);
        lead.tasks.push(Task {
            id: 1,
            deadline: Some(deadline),
            text: "Перезвонить клиенту".into(),
            done,
            from_roistat: false,
            created: Some(set),
        });
    }
    if let Some(reason) = course.cancel_reason.filter(|_| cancelled && lead.status_id == cast.cancelled) {
        lead.extra.insert(CANCEL_REASON_FIELD.into(), reason.into());
    }
    (lead, contact)
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
    let cancelled = !paid && rng.unit() < 0.7;
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
    DemoLead { lead, contact: Contact { name, phone, email }, paid, cancelled, course: DemoCourse::default() }
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
    if !fields.iter().any(|f| f.dev_name == CANCEL_REASON_FIELD) {
        store
            .put(ExtraField {
                id: 0,
                name: "Причина отмены".into(),
                dev_name: CANCEL_REASON_FIELD.into(),
                kind: FieldKind::Text,
                service: false,
            })
            .await?;
    }
    let mut users = store.list::<User>().await?;
    if users.len() < 2 {
        users.push(
            store
                .put(User {
                    id: 0,
                    name: "Смирнова Мария".into(),
                    role: Role::Marketer,
                    phone: "79012223344".into(),
                    email: "marketing@example.ru".into(),
                    ..User::default()
                })
                .await?,
        );
    }
    // The demo's managers, each found by name or made.
    let mut managers = Vec::new();
    for (name, phone, email, _) in MANAGERS {
        let id = match users.iter().find(|u| u.name == name) {
            Some(user) => user.id,
            None => {
                let user = User {
                    id: 0,
                    name: name.into(),
                    role: Role::Manager,
                    phone: phone.into(),
                    email: email.into(),
                    ..User::default()
                };
                store.put(user).await?.id
            }
        };
        managers.push(id);
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
    let first = statuses.first().map(|s| s.id);
    // «В работе»: the next in-work status after the one a new lead gets.
    let work = statuses.iter().find(|s| s.group == StatusGroup::InWork && Some(s.id) != first).map(|s| s.id).or(first);
    let cast = DemoCast {
        new: first,
        work,
        paid: status_of(StatusGroup::Paid, 2),
        cancelled: status_of(StatusGroup::Cancelled, 3),
        managers,
    };

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
        if demo.lead.created > now {
            continue;
        }
        let (mut lead, contact) = settle(demo, &cast, now);
        lead.lead_source_id = Some(source_id);
        leads.push((lead, contact));
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

    #[tokio::test]
    async fn the_store_keeps_the_leads_courses() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_embedded(dir.path()).await.unwrap();
        let today = jiff::Zoned::now().date();
        let summary = fill(&store, DEFAULT_SEED, today).await.unwrap();
        let leads = store.all_leads().await.unwrap();
        assert_eq!(leads.len(), summary.leads);
        let moved = leads.iter().filter(|l| !l.status_changes.is_empty()).count();
        assert!(moved > leads.len() / 2, "{moved} of {} leads have a status history", leads.len());
        let managers: std::collections::HashSet<_> = leads.iter().filter_map(|l| l.responsible).collect();
        assert_eq!(managers.len(), 3, "three managers share the leads");
        assert!(leads.iter().flat_map(|l| &l.tasks).any(|t| t.created.is_some() && !t.done));
        assert!(leads.iter().any(|l| l.extra.contains_key(CANCEL_REASON_FIELD)));
        let fields = store.list::<ExtraField>().await.unwrap();
        assert!(fields.iter().any(|f| f.dev_name == CANCEL_REASON_FIELD && f.name == "Причина отмены"));
        // Running it again adds nothing and keeps the managers single.
        assert_eq!(fill(&store, DEFAULT_SEED, today).await.unwrap().leads, 0);
        let users = store.list::<User>().await.unwrap();
        assert_eq!(users.iter().filter(|u| u.name == "Орлов Дмитрий").count(), 1);
    }

    #[test]
    fn returning_clients_come_months_apart() {
        let data = generate(DEFAULT_SEED, Date::constant(2026, 11, 24));
        let mut firsts: std::collections::HashMap<&str, (Timestamp, Timestamp)> = std::collections::HashMap::new();
        for demo in &data.leads {
            let seen = firsts.entry(demo.contact.phone.as_str()).or_insert((demo.lead.created, demo.lead.created));
            seen.0 = seen.0.min(demo.lead.created);
            seen.1 = seen.1.max(demo.lead.created);
        }
        let months_apart = firsts.values().filter(|(a, b)| b.duration_since(*a).as_hours() > 24 * 45).count();
        assert!(months_apart > 100, "{months_apart} clients came back after more than 45 days");
    }
}
