//! The webhook as Roistat really calls it (PROTOCOL.md §1): `leadId`, statuses we do not know, a blank
//! login, leads without `id`, and orders without empty attributes.

#[path = "support/service.rs"]
mod service;

use service::{LOGIN, PASSWORD, enc, start};
use skvoz::domain::CallStatus;
use skvoz::domain::{LeadEdit, LeadValue};
use skvoz::service::auth::token;
use skvoz::store::Store;

/// A lead as an integrator's test call sends it: no `id`, no contact.
async fn bare_lead(s: &service::TestService, title: &str) -> u64 {
    let (status, v) = s.get_json(&format!("action=lead&title={}", enc(title))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "ok");
    v["order_id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn message_takes_roistat_camel_case_lead_id_and_snake_case_too() {
    let s = start().await;
    let id = bare_lead(&s, "Заявка").await;
    let (status, v) = s
        .get_json(&format!("action=message&leadId={id}&title={}&message={}", enc("Повторная заявка"), enc("Снова")))
        .await;
    assert_eq!((status, v["status"].as_str()), (200, Some("ok")), "{v}");
    let (status, v) = s.get_json(&format!("action=message&lead_id={id}&message=second")).await;
    assert_eq!((status, v["status"].as_str()), (200, Some("ok")), "{v}");
    let (status, _) = s.get_json("action=message&leadId=999999&message=x").await;
    assert_eq!(status, 404, "an unknown order is still refused");
    let lead = s.store.lead(id).await.unwrap().unwrap();
    let texts: Vec<&str> = lead.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["Снова", "second"]);
    assert_eq!(lead.comments[0].title, "Повторная заявка");
    s.stop().await;
}

#[tokio::test]
async fn a_call_with_a_status_we_do_not_know_is_stored_as_it_came() {
    let s = start().await;
    let (status, v) = s.get_json("action=call&id=C-9&caller=79990000000&status=VOICEMAIL&duration=7").await;
    assert_eq!(status, 200, "{v}");
    let call_id: u64 = v["call_id"].as_str().unwrap().parse().unwrap();
    let (status, v) = s.get_json("action=call&id=C-10&caller=79990000001&status=noanswer").await;
    assert_eq!(status, 200, "{v}");
    let known: u64 = v["call_id"].as_str().unwrap().parse().unwrap();
    let (dir, store) = s.stop().await;
    drop(store);
    // What survives a restart, not what sits in memory.
    let store = Store::open_embedded(dir.path()).await.unwrap();
    let call = store.call(call_id).await.unwrap().unwrap();
    assert_eq!(call.status, CallStatus::Other("VOICEMAIL".into()));
    assert_eq!(call.status.title(), "VOICEMAIL");
    assert_eq!(call.duration_seconds, 7);
    assert_eq!(store.call(known).await.unwrap().unwrap().status, CallStatus::NoAnswer);
}

#[tokio::test]
async fn a_blank_login_is_accepted_with_the_token_over_it() {
    let s = start().await;
    let url = |user: &str, token: &str| format!("{}?user={user}&token={token}&action=import_scheme", s.base);
    let (status, body) = s.raw(&url("", &token("", PASSWORD))).await;
    assert_eq!(status, 200, "user= with md5(\"\" + password): {body}");
    // The token must still be over what was sent, and the password must be right.
    assert_eq!(s.raw(&url("", &token(LOGIN, PASSWORD))).await.0, 401);
    assert_eq!(s.raw(&url("", &token("", "wrong"))).await.0, 401);
    assert_eq!(s.raw(&url("stranger", &token("stranger", PASSWORD))).await.0, 401);
    assert_eq!(s.raw(&url(LOGIN, &token(LOGIN, PASSWORD))).await.0, 200);
    s.stop().await;
}

#[tokio::test]
async fn leads_without_id_are_accepted_each_as_a_new_order() {
    let s = start().await;
    let first = bare_lead(&s, "Тестовая заявка").await;
    let second = bare_lead(&s, "Тестовая заявка").await;
    assert_ne!(first, second, "without an id there is no idempotency key");
    let lead = s.store.lead(first).await.unwrap().unwrap();
    assert_eq!((lead.title.as_str(), lead.roistat_lead_id.as_deref()), ("Тестовая заявка", None));
    let (_, export) = s.get_json("action=export&date=0").await;
    let ids: Vec<&str> = export["orders"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.to_string(), second.to_string()]);
    s.stop().await;
}

#[tokio::test]
async fn export_carries_date_update_and_leaves_empty_attributes_out() {
    let s = start().await;
    let bare = bare_lead(&s, "Без статуса").await;
    let (_, v) = s.get_json(&format!("action=lead&id=R-1&name={}&phone=79001234567&manager_id=5", enc("Иван"))).await;
    let full: u64 = v["order_id"].as_str().unwrap().parse().unwrap();
    let before = s.store.lead(bare).await.unwrap().unwrap();
    let edit = LeadEdit::set(&before, LeadValue::Status(None));
    let changed = s.store.change_lead(bare, Some(before.version), vec![edit], "тест").await.unwrap();
    assert!(changed.status_id.is_none());
    let (status, export) = s.get_json("action=export&date=0").await;
    assert_eq!(status, 200);
    let orders = export["orders"].as_array().unwrap();
    let order = |id: u64| orders.iter().find(|o| o["id"] == id.to_string().as_str()).unwrap();
    let bare_order = order(bare);
    assert_eq!(bare_order["date_update"], changed.updated.as_second().to_string().as_str());
    for key in ["status", "client_id", "manager_id"] {
        assert!(bare_order.get(key).is_none(), "{key} has no value and must be left out: {bare_order}");
    }
    let full_order = order(full);
    let stored = s.store.lead(full).await.unwrap().unwrap();
    assert_eq!(full_order["date_update"], stored.updated.as_second().to_string().as_str());
    assert_eq!(full_order["client_id"], stored.client_id.unwrap().to_string().as_str());
    assert_eq!(full_order["manager_id"], "5");
    assert_eq!(full_order["status"], stored.status_id.unwrap().to_string().as_str());
    s.stop().await;
}
