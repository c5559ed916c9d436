//! `export` paging over real HTTP: stable totals, no overlap, no gaps, while leads keep arriving.

#[path = "support/service.rs"]
mod service;

use skvoz::domain::{Lead, Marker, Origin};
use std::collections::BTreeSet;

fn lead(i: u64) -> Lead {
    let now = jiff::Timestamp::now();
    Lead {
        created: now,
        updated: now,
        title: format!("Заявка {i}"),
        origin: Origin::Manual,
        marker: Some(Marker::parse("offline_fair2026").unwrap()),
        ..Lead::default()
    }
}

#[tokio::test]
async fn three_pages_cover_all_orders_while_leads_arrive() {
    let s = service::start().await;
    let mut leads: Vec<Lead> = (0..2_500).map(lead).collect();
    // A template and a deleted lead are never exported.
    leads.push(Lead { is_template: true, ..lead(9_001) });
    leads.push(Lead { deleted: true, ..lead(9_002) });
    let added = s.store.add_leads(leads).await.unwrap();
    let expected: BTreeSet<String> = added.iter().filter(|l| l.is_exportable()).map(|l| l.id.to_string()).collect();
    assert_eq!(expected.len(), 2_500);

    let mut seen = BTreeSet::new();
    let mut totals = Vec::new();
    let mut pages = 0;
    for (page, offset) in [0u64, 1_000, 2_000, 3_000].into_iter().enumerate() {
        let (status, v) = s.get_json(&format!("action=export&date=0&offset={offset}&limit=1000")).await;
        assert_eq!(status, 200);
        totals.push(v["pagination"]["total_count"].as_u64().unwrap());
        let orders = v["orders"].as_array().unwrap();
        if orders.is_empty() {
            break;
        }
        pages += 1;
        for order in orders {
            assert_eq!(order["roistat"], "offline_fair2026");
            assert!(seen.insert(order["id"].as_str().unwrap().to_string()), "overlap at page {page}");
        }
        // Someone else adds leads between page calls, over HTTP and directly.
        let (status, _) = s.get_json(&format!("action=lead&id=between-{page}&title=new")).await;
        assert_eq!(status, 200);
        s.store.add_leads((0..7).map(|i| lead(10_000 + i)).collect()).await.unwrap();
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected);
    assert!(totals.iter().all(|t| *t == 2_500), "{totals:?}");

    // A new export (offset 0) sees the newcomers.
    let (_, v) = s.get_json("action=export&date=0&limit=1").await;
    assert_eq!(v["pagination"]["total_count"].as_u64().unwrap(), 2_500 + 3 + 3 * 7);
    // Without a limit we choose the page size and say it.
    let (_, v) = s.get_json("action=export&date=0").await;
    assert_eq!(v["pagination"]["limit"], 1000);
    let (_, v) = s.get_json("action=export&date=0&limit=50000").await;
    assert_eq!(v["pagination"]["limit"], 10000);
    s.stop().await;
}

#[tokio::test]
async fn export_honours_date_and_min_created() {
    let s = service::start_with(Default::default(), |st| {
        st.export_min_created = Some(jiff::civil::date(2020, 1, 1));
    })
    .await;
    let old = jiff::Timestamp::from_second(1_500_000_000).unwrap();
    let mut old_lead = lead(1);
    old_lead.created = old;
    s.store.add_leads(vec![old_lead, lead(2)]).await.unwrap();
    let (_, v) = s.get_json("action=export&date=0").await;
    assert_eq!(v["pagination"]["total_count"], 1);
    let future = jiff::Timestamp::now().as_second() + 3600;
    let (_, v) = s.get_json(&format!("action=export&date={future}")).await;
    assert_eq!(v["pagination"]["total_count"], 0);
    assert!(v["orders"].as_array().unwrap().is_empty());
    s.stop().await;
}
