//! Rows of the leads list, prepared once so filtering and sorting 100,000 leads stays fast.

use crate::domain::{Client, Lead, LeadId, Origin, Responsible, Status, User, responsible_title};
use jiff::Timestamp;
use std::collections::HashMap;

/// One row as the list shows it, with a lowercase haystack for the search.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadRow {
    pub id: LeadId,
    pub number: u64,
    pub created: Timestamp,
    pub title: String,
    pub client: String,
    pub phone: String,
    pub status_id: Option<u64>,
    pub status: String,
    pub lead_source_id: Option<u64>,
    /// Marker level 1 of the source of attraction, for the channel filter.
    pub channel: String,
    pub attraction: String,
    pub responsible_id: Option<Responsible>,
    pub responsible: String,
    pub marker: String,
    pub origin: Origin,
    pub amount: crate::domain::Money,
    pub is_template: bool,
    pub deleted: bool,
    haystack: String,
}

impl LeadRow {
    pub fn new(lead: &Lead, client: Option<&Client>, status: Option<&Status>, responsible: String) -> LeadRow {
        let (client_name, phone, email) =
            client.map(|c| (c.name.clone(), c.phone.clone(), c.email.clone())).unwrap_or_default();
        let title = lead.display_title();
        let haystack = format!("{title}\u{1}{client_name}\u{1}{phone}\u{1}{email}\u{1}{}", lead.number).to_lowercase();
        LeadRow {
            id: lead.id,
            number: lead.number,
            created: lead.created,
            title,
            client: client_name,
            phone: crate::domain::display_phone(&phone),
            status_id: lead.status_id,
            status: status.map(|s| s.name.clone()).unwrap_or_default(),
            lead_source_id: lead.lead_source_id,
            channel: lead.attraction.channel.clone(),
            attraction: lead.attraction.path(),
            responsible_id: lead.responsible,
            responsible,
            marker: lead.marker.as_ref().map(|m| m.to_string()).unwrap_or_default(),
            origin: lead.origin,
            amount: lead.price,
            is_template: lead.is_template,
            deleted: lead.deleted,
            haystack,
        }
    }

    /// Phone digits match whatever way they were typed: `8 901` finds `+7 (901)`.
    fn matches_text(&self, needle: &str, needle_digits: &str) -> bool {
        if self.haystack.contains(needle) {
            return true;
        }
        needle_digits.len() >= 3 && {
            let digits: String = self.phone.chars().filter(char::is_ascii_digit).collect();
            digits.contains(needle_digits) || crate::domain::normalize_phone(&self.phone).contains(needle_digits)
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MarkerFilter {
    #[default]
    Any,
    With,
    Without,
}

/// What the list shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeadFilter {
    /// Created in `[from, to)`.
    pub period: Option<(Timestamp, Timestamp)>,
    pub status_id: Option<u64>,
    pub lead_source_id: Option<u64>,
    pub channel: Option<String>,
    /// «Мои заявки»: the leads of one responsible.
    pub responsible: Option<Responsible>,
    pub origin: Option<Origin>,
    pub marker: MarkerFilter,
    pub search: String,
    /// The templates tab instead of the list.
    pub templates: bool,
    pub show_deleted: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum LeadColumn {
    Number,
    #[default]
    Created,
    Title,
    Client,
    Phone,
    Status,
    Attraction,
    Responsible,
    Marker,
    Origin,
    Amount,
}

impl LeadColumn {
    pub const ALL: [LeadColumn; 11] = [
        LeadColumn::Number,
        LeadColumn::Created,
        LeadColumn::Title,
        LeadColumn::Client,
        LeadColumn::Phone,
        LeadColumn::Status,
        LeadColumn::Attraction,
        LeadColumn::Responsible,
        LeadColumn::Marker,
        LeadColumn::Origin,
        LeadColumn::Amount,
    ];
    /// Shown until a person picks their own: what fits a 1280-pixel window.
    pub fn shown_by_default(self) -> bool {
        !matches!(self, LeadColumn::Marker | LeadColumn::Origin)
    }
    pub fn title(self) -> &'static str {
        match self {
            LeadColumn::Number => "Номер",
            LeadColumn::Created => "Дата",
            LeadColumn::Title => "Заявка",
            LeadColumn::Client => "Клиент",
            LeadColumn::Phone => "Телефон",
            LeadColumn::Status => "Статус",
            LeadColumn::Attraction => "Источник привлечения",
            LeadColumn::Responsible => "Ответственный",
            LeadColumn::Marker => "Roistat маркер",
            LeadColumn::Origin => "Происхождение",
            LeadColumn::Amount => "Выручка, руб.",
        }
    }
}

/// All rows, and the order of the visible ones.
#[derive(Default)]
pub struct LeadList {
    rows: Vec<LeadRow>,
    by_id: HashMap<LeadId, usize>,
    visible: Vec<usize>,
    /// Every channel of the rows, for the channel filter (kept by [`LeadList::apply`]).
    channels: Vec<String>,
}

impl LeadList {
    pub fn build(leads: &[Lead], clients: &[Client], statuses: &[Status], users: &[User]) -> LeadList {
        let clients: HashMap<u64, &Client> = clients.iter().map(|c| (c.id, c)).collect();
        let statuses: HashMap<u64, &Status> = statuses.iter().map(|s| (s.id, s)).collect();
        let rows: Vec<LeadRow> = leads
            .iter()
            .map(|l| {
                LeadRow::new(
                    l,
                    l.client_id.and_then(|id| clients.get(&id).copied()),
                    l.status_id.and_then(|id| statuses.get(&id).copied()),
                    responsible_title(l.responsible, users),
                )
            })
            .collect();
        let by_id = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        LeadList { rows, by_id, visible: Vec::new(), channels: Vec::new() }
    }

    /// Replaces or adds one row (a lead changed in the store).
    pub fn upsert(&mut self, row: LeadRow) {
        match self.by_id.get(&row.id) {
            Some(&i) => self.rows[i] = row,
            None => {
                self.by_id.insert(row.id, self.rows.len());
                self.rows.push(row);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every row, in no particular order.
    pub fn rows(&self) -> impl Iterator<Item = &LeadRow> {
        self.rows.iter()
    }

    pub fn row(&self, id: LeadId) -> Option<&LeadRow> {
        self.by_id.get(&id).map(|&i| &self.rows[i])
    }

    /// Recomputes the visible rows.
    pub fn apply(&mut self, filter: &LeadFilter, sort: LeadColumn, descending: bool) {
        let needle = filter.search.trim().to_lowercase();
        let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
        let digits = crate::domain::normalize_phone(&digits);
        let mut visible: Vec<usize> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.is_template == filter.templates
                    && (filter.show_deleted || !r.deleted)
                    && filter.period.is_none_or(|(from, to)| r.created >= from && r.created < to)
                    && filter.status_id.is_none_or(|s| r.status_id == Some(s))
                    && filter.lead_source_id.is_none_or(|s| r.lead_source_id == Some(s))
                    && filter.channel.as_ref().is_none_or(|c| r.channel == *c)
                    && filter.responsible.is_none_or(|p| r.responsible_id == Some(p))
                    && filter.origin.is_none_or(|o| r.origin == o)
                    && match filter.marker {
                        MarkerFilter::Any => true,
                        MarkerFilter::With => !r.marker.is_empty(),
                        MarkerFilter::Without => r.marker.is_empty(),
                    }
                    && (needle.is_empty() || r.matches_text(&needle, &digits))
            })
            .map(|(i, _)| i)
            .collect();
        let rows = &self.rows;
        let key = |i: &usize| &rows[*i];
        visible.sort_by(|a, b| {
            let (a, b) = (key(a), key(b));
            let ord = match sort {
                LeadColumn::Number => a.number.cmp(&b.number),
                LeadColumn::Created => a.created.cmp(&b.created),
                LeadColumn::Title => a.title.cmp(&b.title),
                LeadColumn::Client => a.client.cmp(&b.client),
                LeadColumn::Phone => a.phone.cmp(&b.phone),
                LeadColumn::Status => a.status.cmp(&b.status),
                LeadColumn::Attraction => a.attraction.cmp(&b.attraction),
                LeadColumn::Responsible => a.responsible.cmp(&b.responsible),
                LeadColumn::Marker => a.marker.cmp(&b.marker),
                LeadColumn::Origin => a.origin.title().cmp(b.origin.title()),
                LeadColumn::Amount => a.amount.cmp(&b.amount),
            }
            .then(a.id.cmp(&b.id));
            if descending { ord.reverse() } else { ord }
        });
        self.visible = visible;
        let channels: std::collections::BTreeSet<&str> =
            self.rows.iter().map(|r| r.channel.as_str()).filter(|c| !c.is_empty()).collect();
        self.channels = channels.into_iter().map(str::to_string).collect();
    }

    /// The channels the rows have, sorted.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// The visible rows in order.
    pub fn visible(&self) -> impl ExactSizeIterator<Item = &LeadRow> {
        self.visible.iter().map(|&i| &self.rows[i])
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    /// The n-th visible row (for a virtualised table).
    pub fn visible_row(&self, n: usize) -> Option<&LeadRow> {
        self.visible.get(n).map(|&i| &self.rows[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Marker, Money};

    fn lead(id: u64, title: &str, marker: Option<&str>) -> Lead {
        Lead {
            id,
            number: id,
            created: Timestamp::from_second(1_700_000_000 + id as i64).unwrap(),
            title: title.into(),
            client_id: Some(id),
            marker: marker.map(|m| Marker::parse(m).unwrap()),
            price: Money(id as i64 * 100),
            ..Lead::default()
        }
    }

    #[test]
    fn filters_search_and_sorts() {
        let leads = vec![
            Lead {
                attraction: crate::domain::Attraction { channel: "seo".into(), ..Default::default() },
                ..lead(1, "Заявка с сайта", Some("seo_yandex"))
            },
            Lead {
                responsible: Some(Responsible::User(7)),
                attraction: crate::domain::Attraction { channel: "direct".into(), ..Default::default() },
                ..lead(2, "Обратный звонок", None)
            },
            Lead { is_template: true, ..lead(3, "Шаблон", Some("offline")) },
        ];
        let clients = vec![
            Client {
                id: 1, name: "Иванов Иван".into(), phone: "+7 (901) 222-33-55".into(), ..Client::default()
            },
            Client {
                id: 2, name: "Петрова Анна".into(), email: "anna@example.ru".into(), ..Client::default()
            },
        ];
        let mut list = LeadList::build(&leads, &clients, &[], &[]);
        let ids = |list: &LeadList| list.visible().map(|r| r.id).collect::<Vec<_>>();
        list.apply(&LeadFilter::default(), LeadColumn::Created, true);
        assert_eq!(ids(&list), vec![2, 1], "templates are not in the list, newest first");
        list.apply(&LeadFilter { search: "89012223355".into(), ..Default::default() }, LeadColumn::Created, false);
        assert_eq!(ids(&list), vec![1], "phone typed with 8 finds +7");
        list.apply(&LeadFilter { search: "ANNA@".into(), ..Default::default() }, LeadColumn::Created, false);
        assert_eq!(ids(&list), vec![2]);
        list.apply(&LeadFilter { marker: MarkerFilter::With, ..Default::default() }, LeadColumn::Created, false);
        assert_eq!(ids(&list), vec![1]);
        list.apply(&LeadFilter { templates: true, ..Default::default() }, LeadColumn::Created, false);
        assert_eq!(ids(&list), vec![3]);
        list.apply(&LeadFilter::default(), LeadColumn::Amount, true);
        assert_eq!(ids(&list), vec![2, 1]);
        list.apply(&LeadFilter { channel: Some("seo".into()), ..Default::default() }, LeadColumn::Created, false);
        assert_eq!(ids(&list), vec![1]);
        assert_eq!(list.channels(), ["direct".to_string(), "seo".to_string()]);
        let mine = Some(Responsible::User(7));
        list.apply(&LeadFilter { responsible: mine, ..Default::default() }, LeadColumn::Created, false);
        assert_eq!(ids(&list), vec![2], "«Мои заявки»");
        assert_eq!(list.row(2).map(|r| r.responsible.as_str()), Some("Пользователь 7"));
    }
}
