//! The HTTP service over real HTTP: auth, the actions, long URLs and malformed input.

#[path = "support/service.rs"]
mod service;

use base64::Engine;
use service::{LOGIN, PASSWORD, enc, start, start_with, token};
use skvoz::domain::{ExtraField, Outcome};
use skvoz::service::ServiceOptions;
use skvoz::service::auth::ManualClock;
use std::sync::Arc;
use std::time::Duration;

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

#[tokio::test]
async fn bare_url_ok_and_auth_styles() {
    let s = start().await;
    let (status, body) = s.raw(&s.base).await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    skvoz::service::check_published(&s.handle.url().await.unwrap()).await.unwrap();
    // HEAD carries no body; the kept-alive connection still reads the next answer right.
    let r = s.client.head(&s.base).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(s.raw(&s.base).await.1, "OK");
    let wrong = format!("http://{}/nothing/hs/analytics", s.handle.local_addr());
    assert!(skvoz::service::check_published(&wrong).await.is_err());

    // Token auth.
    let (status, _) = s.get_json("action=import_scheme").await;
    assert_eq!(status, 200);
    // Wrong token.
    let (status, body) = s.raw(&format!("{}?user={LOGIN}&token=0123&action=import_scheme", s.base)).await;
    assert_eq!(status, 401, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "error");
    // Missing login.
    let (status, _) = s.raw(&format!("{}?action=import_scheme", s.base)).await;
    assert_eq!(status, 401);
    // Basic, right and wrong.
    let url = format!("{}?action=import_scheme", s.base);
    let r = s.client.get(&url).header("Authorization", basic(LOGIN, PASSWORD)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = s.client.get(&url).header("Authorization", basic(LOGIN, "wrong")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // A new password takes effect without a restart.
    let mut settings = s.store.service_settings().await.unwrap();
    settings.password = skvoz::domain::Secret::new("another-pass");
    s.store.put_service_settings(settings.clone()).await.unwrap();
    let (status, _) = s.get_json("action=import_scheme").await;
    assert_eq!(status, 401);
    let r = s.client.get(&url).header("Authorization", basic(LOGIN, "another-pass")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    s.stop().await;
}

#[tokio::test]
async fn anonymous_only_when_on() {
    let s = start().await;
    let (status, _) = s.raw(&format!("{}?action=import_scheme", s.base)).await;
    assert_eq!(status, 401);
    s.stop().await;
    let s = start_with(ServiceOptions::default(), |st| st.anonymous = true).await;
    let (status, body) = s.raw(&format!("{}?action=import_scheme", s.base)).await;
    assert_eq!(status, 200, "{body}");
    s.stop().await;
}

#[tokio::test]
async fn env_style_overrides_replace_stored_credentials() {
    let options = ServiceOptions {
        login: Some("roistat".into()),
        password: Some(skvoz::domain::Secret::new("from-env")),
        ..ServiceOptions::default()
    };
    let s = start_with(options, |_| {}).await;
    let (status, _) = s.get_json("action=import_scheme").await;
    assert_eq!(status, 401);
    let url = format!(
        "{}?user=roistat&token={}&action=import_scheme",
        s.base,
        skvoz::service::auth::token("roistat", "from-env")
    );
    assert_eq!(s.raw(&url).await.0, 200);
    s.stop().await;
}

#[tokio::test]
async fn throttle_refuses_only_failures_and_expires() {
    let clock = Arc::new(ManualClock::new());
    let options = ServiceOptions {
        max_failed_logins: 3,
        throttle_window: Duration::from_secs(60),
        clock: clock.clone(),
        ..Default::default()
    };
    let s = start_with(options, |_| {}).await;
    let bad = format!("{}?user={LOGIN}&token=bad&action=export", s.base);
    for _ in 0..3 {
        assert_eq!(s.raw(&bad).await.0, 401);
    }
    let r = s.client.get(&bad).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 429, "the fourth failure is refused");
    assert_eq!(r.headers()["retry-after"], "60");
    // The right password passes while the address is blocked: Roistat is never locked out.
    let (status, body) = s.get("action=import_scheme").await;
    assert_eq!(status, 200, "{body}");
    clock.advance(Duration::from_secs(45));
    let r = s.client.get(&bad).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "15");
    clock.advance(Duration::from_secs(15));
    assert_eq!(s.raw(&bad).await.0, 401, "the block has expired");
    s.stop().await;
}

#[tokio::test]
async fn every_action_round_trips() {
    let s = start().await;
    // The first request creates the UTM fields and statuses.
    let (status, scheme) = s.get_json("action=import_scheme").await;
    assert_eq!(status, 200);
    let field_ids: Vec<&str> = scheme["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    for name in ["utm_source", "utm_medium", "utm_campaign", "roistat"] {
        assert!(field_ids.contains(&name), "{name} missing in {field_ids:?}");
    }
    let statuses = scheme["statuses"].as_array().unwrap();
    assert!(statuses.len() >= 4);
    assert_eq!(statuses[0]["name"], "Новая");
    assert!(scheme["managers"].is_array());

    s.store
        .put(ExtraField {
            id: 0,
            name: "Способ доставки".into(),
            dev_name: "delivery".into(),
            kind: Default::default(),
            service: false,
        })
        .await
        .unwrap();
    let data =
        r#"{"utm_source":"yandex","utm_medium":"cpc","utm_campaign":"brand","delivery":"Курьер","page":"/promo"}"#;
    let query = format!(
        "action=lead&id=R-1&visit=3121512&title={}&text={}&name={}&phone=89012223355&email=a%40b.ru&data={}&created_date={}&manager_id=7",
        enc("Заявка с сайта"),
        enc("Промокод: ЛЕТО"),
        enc("Иван"),
        enc(data),
        enc("2015-06-28 09:12:54")
    );
    let (status, answer) = s.get_json(&query).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "ok");
    let order_id = answer["order_id"].as_str().unwrap().to_string();
    let lead = s.store.lead(order_id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(lead.title, "Заявка с сайта");
    assert_eq!(lead.created.as_second(), 1_435_482_774);
    assert_eq!(lead.unmapped.get("page").map(String::as_str), Some("/promo"));
    assert_eq!(lead.attraction.channel, "direct");
    assert_eq!(lead.roistat_manager_id.as_deref(), Some("7"));
    let client = s.store.client(lead.client_id.unwrap()).await.unwrap().unwrap();
    assert_eq!(client.name, "Иван");

    let (status, export) = s.get_json("action=export&date=0").await;
    assert_eq!(status, 200);
    let orders = export["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(order["id"], order_id.as_str());
    assert_eq!(order["roistat"], "3121512");
    assert_eq!(order["date_create"], "1435482774");
    assert_eq!(order["fields"]["delivery"], "Курьер");
    assert_eq!(order["fields"]["utm_source"], "yandex");
    assert_eq!(order["status"], statuses[0]["id"]);
    assert_eq!(export["pagination"]["total_count"], 1);
    assert!(export["statuses"].is_array() && export["fields"].is_array());

    let (status, clients) = s.get_json("action=export_clients&date=0").await;
    assert_eq!(status, 200);
    assert_eq!(clients["clients"][0]["phone"], "89012223355");

    let (status, v) =
        s.get_json(&format!("action=message&lead_id={order_id}&title=T&message={}", enc("Клиент перезвонил"))).await;
    assert_eq!((status, v["status"].as_str()), (200, Some("ok")));
    let (status, v) =
        s.get_json(&format!("action=task&element_id={order_id}&deadline=2019-01-01T11:11:11&text=Call")).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["task_id"].is_string());
    let (status, v) = s
        .get_json(&format!(
            "action=call&id=C1&callee=74950000000&caller=79990000000&date={}&status=ANSWER&order_id={order_id}&duration=42&file_url=x",
            enc("2020-01-01 10:00:00")
        ))
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v2) = s.get_json("action=call&id=C2&caller=7999&status=BUSY").await;
    assert_eq!(status, 200, "{v2}");
    let lead = s.store.lead(order_id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(lead.comments.len(), 1);
    assert_eq!(lead.comments[0].text, "Клиент перезвонил");
    assert_eq!(lead.tasks.len(), 1);
    assert_eq!(lead.tasks[0].deadline.unwrap().as_second(), 1_546_341_071);
    let call_id: u64 = v["call_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(lead.call_ids, vec![call_id]);
    let unlinked = s.store.call(v2["call_id"].as_str().unwrap().parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(unlinked.lead_id, None);

    // Unknown order → 404.
    let (status, v) = s.get_json("action=message&lead_id=999999&message=x").await;
    assert_eq!(status, 404, "{v}");
    let (status, _) = s.get_json("action=task&element_id=999999&text=x").await;
    assert_eq!(status, 404);
    let (status, _) = s.get_json("action=call&id=C3&order_id=999999").await;
    assert_eq!(status, 404);

    // POST with a form body and with JSON, merged with the query.
    let r = s
        .client
        .post(s.url("action=lead"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("id=R-2&title={}&data=not+json", enc("Пост")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    let lead = s.store.lead(v["order_id"].as_str().unwrap().parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(lead.title, "Пост");
    assert_eq!(lead.raw_data.as_deref(), Some("not json"));
    let r = s
        .client
        .post(s.url(""))
        .json(&serde_json::json!({"action":"lead","id":"R-3","data":{"utm_source":"google"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let (_, store) = s.stop().await;
    let log = store.exchange_newest(1000).await.unwrap();
    assert!(log.iter().any(|e| e.action == "lead" && e.outcome == Outcome::Ok));
    assert!(log.iter().any(|e| e.action == "lead" && e.error.contains("data")));
}

#[tokio::test]
async fn resends_make_one_lead() {
    let s = start().await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let client = s.client.clone();
        let url = s.url(&format!("action=lead&id=SAME-1&title={}&phone=79001112233", enc("Повтор")));
        tasks.push(tokio::spawn(async move {
            let r = client.get(url).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            let v: serde_json::Value = r.json().await.unwrap();
            v["order_id"].as_str().unwrap().to_string()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(s.store.lead_count().await.unwrap(), 1);
    let (_, store) = s.stop().await;
    let log = store.exchange_newest(100).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.outcome == Outcome::Duplicate).count(), 9);
}

#[tokio::test]
async fn long_urls() {
    let s = start().await;
    // ~900 KB of percent-encoded Cyrillic text in a GET.
    let text: String = "Длинный текст письма. ".repeat(7_700);
    let query = format!("action=lead&id=BIG-1&text={}", enc(&text));
    assert!(query.len() > 850_000 && query.len() < 950_000, "{}", query.len());
    let (status, body) = s.long_get(&query).await;
    assert_eq!(status, 200, "{}", &body[..body.len().min(300)]);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let lead = s.store.lead(v["order_id"].as_str().unwrap().parse().unwrap()).await.unwrap().unwrap();
    assert!(lead.text == text, "the long text changed on the way");

    let too_long = format!("action=lead&id=BIG-2&text={}", "a".repeat(1_100_000));
    let (status, body) = s.long_get(&too_long).await;
    assert_eq!(status, 414, "{}", &body[..body.len().min(300)]);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "error");
    assert!(s.store.lead_by_roistat_id("BIG-2").await.unwrap().is_none());
    // Still serving.
    assert_eq!(s.get_json("action=import_scheme").await.0, 200);
    s.stop().await;
}

#[tokio::test]
async fn malformed_requests_get_4xx_json() {
    let s = start().await;
    let t = token();
    let auth = format!("user={LOGIN}&token={t}");
    let cases: Vec<(String, u16, &str)> = vec![
        (format!("{auth}&action=nonsense"), 400, "unknown_action"),
        (format!("{auth}&action="), 400, "missing_action"),
        (format!("{auth}&action=lead&title=%zz"), 400, "bad_encoding"),
        (format!("{auth}&action=lead&title=%4"), 400, "bad_encoding"),
        (format!("{auth}&action=lead&title=%"), 400, "bad_encoding"),
        (format!("{auth}&action=lead&title=%FF%FE"), 400, "bad_utf8"),
        (format!("{auth}&action=lead&%C3%28=1"), 400, "bad_utf8"),
        (format!("{auth}&action=export&date=yesterday"), 400, "bad_number"),
        (format!("{auth}&action=export&date=-5"), 400, "bad_number"),
        (format!("{auth}&action=export&offset=1.5"), 400, "bad_number"),
        (format!("{auth}&action=export&limit=abc"), 400, "bad_number"),
        (format!("{auth}&action=export&date=99999999999999999999999"), 400, "bad_number"),
        (format!("{auth}&action=message&message=x"), 400, "missing_parameter"),
        (format!("{auth}&action=message&lead_id=abc"), 400, "bad_number"),
        (format!("{auth}&action=task&text=x"), 400, "missing_parameter"),
        (format!("{auth}&action=task&element_id=1&deadline=tomorrow"), 400, "bad_date"),
        (format!("{auth}&action=message&leadId=abc"), 400, "bad_number"),
        (format!("{auth}&action=call&id=1&duration=long"), 400, "bad_number"),
        (format!("{auth}&action=call&id=1&order_id=x"), 400, "bad_number"),
        ("action=export".to_string(), 401, "authentication_failed"),
    ];
    assert!(cases.len() >= 15);
    for (query, expected, code) in &cases {
        let (status, body) = s.raw(&format!("{}?{query}", s.base)).await;
        let v: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{query}: not JSON ({e}): {body}"));
        assert_eq!(status, *expected, "{query}: {body}");
        assert_eq!(v["error"], *code, "{query}: {body}");
        assert_eq!(v["status"], "error");
        assert!(!v["description"].as_str().unwrap().is_empty());
    }
    // A wrong path, a bad JSON body, chunked and an oversized body.
    let (status, _) = s.raw(&format!("http://{}/other/hs/analytics", s.handle.local_addr())).await;
    assert_eq!(status, 404);
    let r = s
        .client
        .post(s.url("action=lead"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let addr = s.handle.local_addr();
    let path = format!("{}?user={LOGIN}&token={t}&action=lead", s.base.split_once(&addr.to_string()).unwrap().1);
    let chunked =
        format!("POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nid=x\r\n0\r\n\r\n");
    assert!(raw_http(addr, chunked.as_bytes()).await.starts_with("HTTP/1.1 411"));
    let big = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1200000\r\n\r\nid=x");
    assert!(raw_http(addr, big.as_bytes()).await.starts_with("HTTP/1.1 413"));
    let bad_length = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n");
    assert!(raw_http(addr, bad_length.as_bytes()).await.starts_with("HTTP/1.1 400"));
    let garbage = raw_http(addr, b"\x00\x01GARBAGE \r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    // A client that disconnects mid-request does no harm.
    {
        use tokio::io::AsyncWriteExt;
        let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
        sock.write_all(format!("GET {path}&id=HALF HTTP/1.1\r\nHost:").as_bytes()).await.unwrap();
    }
    // The server still serves, and no lead was made from the refused requests.
    let (status, v) = s.get_json("action=lead&id=AFTER&title=ok").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(s.store.lead_count().await.unwrap(), 1);
    s.stop().await;
}

/// Sends raw bytes and returns what the server answered before closing.
async fn raw_http(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    sock.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn secrets_never_reach_the_log() {
    let s = start().await;
    let _ = s.get("action=import_scheme").await;
    let _ = s.raw(&format!("{}?user={LOGIN}&token=wrongtoken123&action=export", s.base)).await;
    let _ = s.raw(&format!("{}?user={LOGIN}&password={PASSWORD}&action=export", s.base)).await;
    let r = s
        .client
        .get(format!("{}?action=export", s.base))
        .header("Authorization", basic(LOGIN, PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let _ = s.get("action=lead&id=S1&token=inner").await;
    let (_, store) = s.stop().await;
    let log = store.exchange_newest(1000).await.unwrap();
    assert!(log.len() >= 5);
    let dump = serde_json::to_string(&log).unwrap();
    for secret in [PASSWORD, token().as_str(), "wrongtoken123", &basic(LOGIN, PASSWORD)[6..]] {
        assert!(!dump.contains(secret), "secret {secret} in the log");
    }
    assert!(log.iter().any(|e| e.outcome == Outcome::AuthFailed));
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = start().await;
    let addr = s.handle.local_addr();
    let path = s.base.split_once(&addr.to_string()).unwrap().1.to_string();
    let body = "id=GRACE-1&title=x";
    let head = format!(
        "POST {path}?user={LOGIN}&token={}&action=lead HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        token(),
        body.len()
    );
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&body.as_bytes()[..5]).await.unwrap();
    // Let the server start reading this request, then ask it to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let service::TestService { handle, store, dir: _dir, .. } = s;
    let stopping = tokio::spawn(handle.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    sock.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut out = Vec::new();
    sock.read_to_end(&mut out).await.unwrap();
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("connection: close"), "{out}");
    stopping.await.unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "still accepting after shutdown");
    assert!(store.lead_by_roistat_id("GRACE-1").await.unwrap().is_some());
}
