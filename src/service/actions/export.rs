//! `import_scheme`, `export`, `export_clients`: what Roistat reads.
//!
//! Paging runs over a snapshot of ids taken at `offset=0` and kept per (user, date) for a while:
//! `total_count` stays the same on every page and pages neither overlap nor skip, even while new
//! leads arrive between page calls. A store failure is an error answer, never a short list.

use super::super::query::Params;
use super::super::{Answer, Failure, Service};
use super::{json_str, number};
use crate::domain::{Client, ExtraField, LeadExport, Responsible, ServiceSettings, Status, User};
use crate::store::{Store, StoreError};
use jiff::Timestamp;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const DEFAULT_PAGE: u64 = 1_000;
pub const MAX_PAGE: u64 = 10_000;

#[derive(Clone, PartialEq, Eq, Hash)]
struct SnapshotKey {
    kind: &'static str,
    user: String,
    date: i64,
}

/// When a snapshot was taken, and its ids.
type Snapshot = (Instant, Arc<Vec<u64>>);

/// Id lists of exports in progress.
pub struct Snapshots {
    ttl: Duration,
    map: Mutex<HashMap<SnapshotKey, Snapshot>>,
}

impl Snapshots {
    pub fn new(ttl: Duration) -> Snapshots {
        Snapshots { ttl, map: Mutex::new(HashMap::new()) }
    }

    /// The snapshot for `key`: built anew at offset 0 (or when missing), reused for later pages.
    async fn get(
        &self,
        key: SnapshotKey,
        offset: u64,
        build: impl Future<Output = Result<Vec<u64>, StoreError>>,
    ) -> Result<Arc<Vec<u64>>, StoreError> {
        let now = Instant::now();
        if offset > 0 {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            map.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            if let Some((_, ids)) = map.get(&key) {
                return Ok(ids.clone());
            }
        }
        let ids = Arc::new(build.await?);
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
        map.insert(key, (now, ids.clone()));
        Ok(ids)
    }
}

struct Paging {
    date: Timestamp,
    date_secs: i64,
    offset: u64,
    limit: u64,
}

fn paging(params: &Params) -> Result<Paging, Failure> {
    let date_secs = number(params, "date")?.unwrap_or(0);
    let date = i64::try_from(date_secs).ok().and_then(|s| Timestamp::from_second(s).ok()).ok_or_else(|| {
        Failure::bad("bad_number", "Параметр date вне допустимого диапазона: передайте UNIX-время в секундах")
    })?;
    let offset = number(params, "offset")?.unwrap_or(0);
    let limit = match number(params, "limit")? {
        None | Some(0) => DEFAULT_PAGE,
        Some(n) => n.min(MAX_PAGE),
    };
    Ok(Paging { date, date_secs: date_secs as i64, offset, limit })
}

fn page(ids: &[u64], offset: u64, limit: u64) -> &[u64] {
    &ids[page_range(ids.len(), offset, limit)]
}

/// The positions of one page in a list of `len` ids.
fn page_range(len: usize, offset: u64, limit: u64) -> std::ops::Range<usize> {
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(len);
    let end = start.saturating_add(usize::try_from(limit).unwrap_or(usize::MAX)).min(len);
    start..end
}

pub async fn import_scheme(service: &Arc<Service>) -> Result<Answer, Failure> {
    let mut out = String::with_capacity(4096);
    out.push('{');
    out.push_str(&scheme(&service.store).await.map_err(Failure::store)?);
    out.push('}');
    Ok(Answer::ok(out))
}

pub async fn export(
    service: &Arc<Service>,
    params: &Params,
    user: &str,
    settings: &ServiceSettings,
) -> Result<Answer, Failure> {
    let paging = paging(params)?;
    let min_created =
        settings.export_min_created.and_then(|d| d.to_zoned(jiff::tz::TimeZone::system()).ok()).map(|z| z.timestamp());
    let key = SnapshotKey { kind: "export", user: user.to_string(), date: paging.date_secs };
    let store = &service.store;
    let ids = service
        .snapshots
        .get(key, paging.offset, store.exportable_lead_ids_changed_since(paging.date, min_created))
        .await
        .map_err(Failure::store)?;
    let range = page_range(ids.len(), paging.offset, paging.limit);
    // Reading and decoding the leads is most of a page's time and Roistat waits for each page, so a
    // big page is read and written in two halves at once.
    let parts = if range.len() >= 256 {
        let middle = range.start + range.len() / 2;
        vec![range.start..middle, middle..range.end]
    } else {
        vec![range]
    };
    let tasks: Vec<_> = parts
        .into_iter()
        .map(|part| {
            let (store, ids) = (store.clone(), ids[part].to_vec());
            tokio::spawn(async move {
                let leads = store.lead_exports(ids).await?;
                let written = tokio::task::spawn_blocking(move || {
                    let views = leads.views()?;
                    let mut out = String::with_capacity(views.len() * ORDER_BYTES);
                    write_orders(&views, &mut out);
                    Ok(out)
                });
                written.await.map_err(|e| StoreError::Db(format!("выгрузка заказов прервана: {e}")))?
            })
        })
        .collect();
    let scheme = scheme(store).await.map_err(Failure::store)?;
    let mut orders = Vec::with_capacity(tasks.len());
    for task in tasks {
        orders.push(task.await.map_err(Failure::join)?.map_err(Failure::store)?);
    }
    let mut out = String::with_capacity(scheme.len() + orders.iter().map(String::len).sum::<usize>() + 128);
    out.push('{');
    out.push_str(&scheme);
    out.push_str(",\"orders\":[");
    for part in orders.iter().filter(|p| !p.is_empty()) {
        if !out.ends_with('[') {
            out.push(',');
        }
        out.push_str(part);
    }
    let _ = write!(out, "],\"pagination\":{{\"total_count\":{},\"limit\":{}}}}}", ids.len(), paging.limit);
    Ok(Answer::ok(out))
}

pub async fn export_clients(service: &Arc<Service>, params: &Params, user: &str) -> Result<Answer, Failure> {
    let paging = paging(params)?;
    let store = &service.store;
    let key = SnapshotKey { kind: "clients", user: user.to_string(), date: paging.date_secs };
    let ids = service
        .snapshots
        .get(key, paging.offset, async {
            let mut ids: Vec<u64> =
                store.all_clients().await?.into_iter().filter(|c| c.updated > paging.date).map(|c| c.id).collect();
            ids.sort_unstable();
            Ok(ids)
        })
        .await
        .map_err(Failure::store)?;
    let clients =
        store.clients_by_ids(page(&ids, paging.offset, paging.limit).to_vec()).await.map_err(Failure::store)?;
    let mut out = String::with_capacity(1024);
    out.push_str("{\"clients\":[");
    for (i, client) in clients.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_client(&mut out, client);
    }
    let _ = write!(out, "],\"pagination\":{{\"total_count\":{},\"limit\":{}}}}}", ids.len(), paging.limit);
    Ok(Answer::ok(out))
}

/// `"statuses":[…],"fields":[…],"managers":[…]` (no braces).
async fn scheme(store: &Store) -> Result<String, StoreError> {
    let (statuses, fields, users) =
        tokio::try_join!(store.statuses(), store.list::<ExtraField>(), store.list::<User>())?;
    let mut out = String::with_capacity(4096);
    write_scheme(&mut out, &statuses, &fields, &users);
    Ok(out)
}

fn write_scheme(out: &mut String, statuses: &[Status], fields: &[ExtraField], users: &[User]) {
    out.push_str("\"statuses\":[");
    for (i, s) in statuses.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"id\":\"{}\",\"name\":", s.id);
        json_str(out, &s.name);
        out.push('}');
    }
    out.push_str("],\"fields\":[");
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"id\":");
        json_str(out, &f.dev_name);
        out.push_str(",\"name\":");
        json_str(out, &f.name);
        out.push('}');
    }
    out.push_str("],\"managers\":[");
    for (i, u) in users.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"id\":\"{}\",\"name\":", u.id);
        json_str(out, &u.name);
        out.push_str(",\"phone\":");
        json_str(out, &u.phone);
        out.push_str(",\"email\":");
        json_str(out, &u.email);
        out.push('}');
    }
    out.push(']');
}

/// About the size of one order's JSON, to size the answer once.
const ORDER_BYTES: usize = 640;

/// Orders separated by commas.
fn write_orders(leads: &[LeadExport<'_>], out: &mut String) {
    for (i, lead) in leads.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_order(out, lead);
    }
}

/// One order as PROTOCOL.md shows it; money as JSON numbers written from kopecks (no f64).
pub fn write_order(out: &mut String, lead: &LeadExport<'_>) {
    let _ = write!(out, "{{\"id\":\"{}\",\"name\":", lead.id);
    if lead.title.trim().is_empty() {
        let _ = write!(out, "\"Заявка № {}\"", lead.number);
    } else {
        json_str(out, &lead.title);
    }
    // Empty attributes are left out, as Roistat's reference module does, never sent as "".
    let _ = write!(
        out,
        ",\"date_create\":\"{}\",\"date_update\":\"{}\"",
        lead.created.as_second(),
        lead.updated.as_second()
    );
    if let Some(status) = lead.status_id {
        let _ = write!(out, ",\"status\":\"{status}\"");
    }
    out.push_str(",\"price\":");
    lead.price.write_decimal(out);
    out.push_str(",\"cost\":");
    lead.cost.write_decimal(out);
    out.push_str(",\"roistat\":");
    json_str(out, lead.marker.as_deref().unwrap_or(""));
    if let Some(client) = lead.client_id {
        let _ = write!(out, ",\"client_id\":\"{client}\"");
    }
    match (&lead.responsible, &lead.roistat_manager_id) {
        (Some(Responsible::User(id)), _) => {
            let _ = write!(out, ",\"manager_id\":\"{id}\"");
        }
        (_, Some(id)) if !id.trim().is_empty() => {
            out.push_str(",\"manager_id\":");
            json_str(out, id);
        }
        _ => {}
    }
    out.push_str(",\"fields\":{");
    let mut first = true;
    let utm = [
        ("utm_source", lead.utm.source.as_ref()),
        ("utm_medium", lead.utm.medium.as_ref()),
        ("utm_campaign", lead.utm.campaign.as_ref()),
    ];
    let extra = lead.extra.iter().map(|(k, v)| (k.as_ref(), v.as_ref()));
    // UTM tags typed on a lead without the UTM fields filled still reach Roistat.
    let missing_utm = utm.into_iter().filter(|(k, v)| !v.is_empty() && lead.extra_value(k).is_none());
    for (key, value) in extra.chain(missing_utm) {
        if !first {
            out.push(',');
        }
        first = false;
        json_str(out, key);
        out.push(':');
        json_str(out, value);
    }
    out.push_str("}}");
}

fn write_client(out: &mut String, client: &Client) {
    let _ = write!(out, "{{\"id\":\"{}\",\"name\":", client.id);
    json_str(out, &client.name);
    out.push_str(",\"phone\":");
    json_str(out, &client.phone);
    out.push_str(",\"email\":");
    json_str(out, &client.email);
    out.push_str(",\"company\":");
    json_str(out, &client.company);
    out.push_str(",\"birth_date\":");
    match client.birth_date {
        Some(d) => {
            let _ = write!(out, "\"{d}\"");
        }
        None => out.push_str("\"\""),
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Lead, Marker, Money};

    #[test]
    fn order_json_is_valid_and_exact() {
        let mut lead = Lead {
            id: 100,
            number: 100,
            status_id: Some(1),
            price: Money(12034),
            cost: Money(-5),
            marker: Some(Marker::parse("seo_yandex").unwrap()),
            client_id: Some(7),
            ..Lead::default()
        };
        lead.extra.insert("delivery".into(), "Курьер \"экспресс\"".into());
        lead.utm.source = "yandex".into();
        let mut out = String::new();
        write_order(&mut out, &LeadExport::of(&lead));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["id"], "100");
        assert_eq!(v["name"], "Заявка № 100");
        assert_eq!(v["price"].to_string(), "120.34");
        assert_eq!(v["cost"].to_string(), "-0.05");
        assert_eq!(v["roistat"], "seo_yandex");
        assert_eq!(v["client_id"], "7");
        assert_eq!(v["fields"]["delivery"], "Курьер \"экспресс\"");
        assert_eq!(v["fields"]["utm_source"], "yandex");
        assert_eq!(v["date_update"], lead.updated.as_second().to_string());
        assert!(v.get("manager_id").is_none(), "no manager: the attribute is left out");
        let bare = Lead { id: 101, number: 101, ..Lead::default() };
        let mut out = String::new();
        write_order(&mut out, &LeadExport::of(&bare));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        for key in ["status", "client_id", "manager_id"] {
            assert!(v.get(key).is_none(), "{key} without a value is left out: {out}");
        }
    }

    #[test]
    fn pages_cover_without_overlap() {
        let ids: Vec<u64> = (1..=25).collect();
        assert_eq!(page(&ids, 0, 10).len(), 10);
        assert_eq!(page(&ids, 20, 10), &[21, 22, 23, 24, 25]);
        assert!(page(&ids, 30, 10).is_empty());
        assert!(page(&ids, u64::MAX, u64::MAX).is_empty());
    }
}
