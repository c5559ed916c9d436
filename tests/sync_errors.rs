//! Every failure of the fake Roistat gives the right typed error, a Russian message, and never the key.

mod support;

use skvoz::domain::{AnalyticsSource, Secret};
use skvoz::roistat::{Cancel, ClientConfig, RoistatClient, RoistatError, SyncError, run_sync};
use std::time::Duration;
use support::fake_roistat::{KEY, PROJECT, expected_facts};
use support::*;

fn client(url: &str, key: &str, project: &str) -> RoistatClient {
    let mut config = ClientConfig::new(url, Secret::new(key), project);
    config.connect_timeout = Duration::from_secs(2);
    config.timeout = Duration::from_millis(500);
    RoistatClient::new(config).unwrap()
}

fn is_russian(text: &str) -> bool {
    text.chars().any(|c| ('а'..='я').contains(&c))
}

/// One data request of a week, the call the load makes most.
async fn data_call(c: &RoistatClient) -> Result<(), RoistatError> {
    let to = today();
    c.analytics_data(days_before(to, 6), to, &["daily", "marker_level_1"], &["visits"]).await.map(|_| ())
}

fn assert_clean(e: &RoistatError, key: &str) {
    let text = e.to_string();
    assert!(is_russian(&text), "{text}");
    assert!(!text.contains(key), "the key leaked: {text}");
    assert!(!format!("{e:?}").contains(key), "the key leaked into Debug: {e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_switch_gives_its_typed_error() {
    let fake = fake().await;
    let good = client(&fake.url, KEY, PROJECT);

    // The happy path of every call first, so the errors below are about the switches.
    assert!(good.projects().await.unwrap().iter().any(|p| p.id == PROJECT));
    assert!(good.metrics().await.unwrap().iter().any(|m| m.name == "marketing_cost"));
    let costs = good.cost_list(days_before(today(), 30), today()).await.unwrap();
    assert_eq!(costs[0].marketing_cost, skvoz::domain::Money(1_500_050));
    assert_eq!(good.calls(days_before(today(), 599), today()).await.unwrap().len(), 1200, "two pages");
    assert_eq!(good.proxy_leads(days_before(today(), 2), today()).await.unwrap().len(), 3);
    data_call(&good).await.unwrap();

    let wrong_key = "wrong-key-0123456789";
    fake.state.set(|s| s.echo_key = true);
    let e = client(&fake.url, wrong_key, PROJECT).projects().await.unwrap_err();
    assert!(matches!(e, RoistatError::AuthenticationFailed { call: "user/projects", .. }), "{e:?}");
    assert_clean(&e, wrong_key);

    let e = data_call(&client(&fake.url, KEY, "999")).await.unwrap_err();
    assert!(matches!(e, RoistatError::AuthorizationFailed { .. }), "{e:?}");

    fake.state.set(|s| s.error_200 = true);
    let e = data_call(&good).await.unwrap_err();
    assert!(matches!(&e, RoistatError::Api { code, .. } if code == "internal_error"), "{e:?}");
    assert_clean(&e, KEY);
    fake.state.set(|s| s.error_200 = false);

    fake.state.set(|s| s.rate_limit_times = 1);
    let e = data_call(&good).await.unwrap_err();
    assert!(matches!(e, RoistatError::RateLimited { .. }) && e.is_rate_limit(), "{e:?}");
    fake.state.set(|s| {
        s.rate_limit_times = 1;
        s.rate_limit_429 = true;
    });
    let e = data_call(&good).await.unwrap_err();
    assert!(e.is_rate_limit(), "{e:?}");
    assert_eq!(e.retry_after(), Some(Duration::ZERO));

    fake.state.set(|s| s.max_period_days = Some(3));
    let e = data_call(&good).await.unwrap_err();
    assert!(e.is_try_smaller_period(), "{e:?}");
    fake.state.set(|s| s.max_period_days = None);

    fake.state.set(|s| s.http_500 = true);
    let e = data_call(&good).await.unwrap_err();
    assert!(matches!(e, RoistatError::Http { status: 500, .. }), "{e:?}");
    assert_clean(&e, KEY);
    fake.state.set(|s| s.http_500 = false);

    fake.state.set(|s| s.truncated = true);
    let e = data_call(&good).await.unwrap_err();
    match &e {
        RoistatError::BadResponse { call, reason } => {
            assert_eq!(*call, "project/analytics/data");
            assert!(reason.contains("JSON"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("project/analytics/data"));
    fake.state.set(|s| s.truncated = false);

    fake.state.set(|s| s.slow = Some(Duration::from_secs(3)));
    let e = data_call(&good).await.unwrap_err();
    assert!(matches!(e, RoistatError::Timeout { call: "project/analytics/data", .. }), "{e:?}");
    assert_clean(&e, KEY);
    fake.state.set(|s| s.slow = None);

    // Nothing listens on a port we just closed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = data_call(&client(&format!("http://{closed}/api/v1"), KEY, PROJECT)).await.unwrap_err();
    assert!(matches!(e, RoistatError::Network { .. }), "{e:?}");
    // Said in Russian, with what to do, not as the system's English.
    let said = e.to_string();
    assert!(said.contains("«127.0.0.1» отклонил соединение") && said.contains("проверьте адрес, порт"), "{said}");
    assert!(!said.contains("Connection refused") && !said.contains("error sending request"), "{said}");
    assert_clean(&e, KEY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_in_period_k_keeps_earlier_periods_and_none_of_period_k() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    let source = add_source(&store, &fake, false).await;
    fake.state.set(|s| s.fail_at_data_request = Some(3));

    let e = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap_err();
    assert!(matches!(e, SyncError::Period { source: RoistatError::Http { status: 500, .. }, .. }), "{e:?}");
    let periods = fake.state.data_requests();
    assert_eq!(periods.len(), 3);
    let (from, to) = history();
    let kept_to = periods[1].1;
    assert_eq!(
        stored_facts(&store, source.id, from, to).await,
        expected_facts(&fake.state.config, false, from, kept_to)
    );
    assert!(stored_facts(&store, source.id, periods[2].0, to).await.is_empty());

    let after = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap();
    let message = after.last_error.expect("last_error is set");
    assert!(is_russian(&message) && message.contains("Период"), "{message}");
    assert!(!message.contains(KEY));
    assert_eq!(after.last_success, None);
    assert!(after.last_start.is_some());

    // The next run, with Roistat healthy again, completes the history.
    fake.state.set(|s| s.fail_at_data_request = None);
    run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap();
    assert_eq!(stored_facts(&store, source.id, from, to).await, expected_facts(&fake.state.config, false, from, to));
    assert_eq!(store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap().last_error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_reaches_no_stored_error() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    fake.state.set(|s| s.echo_key = true);

    // A wrong key that the server repeats back.
    let mut source = add_source(&store, &fake, false).await;
    let wrong = "wrong-key-abcdef987654";
    source.api_key = Secret::new(wrong);
    let source = store.put(source).await.unwrap();
    let e = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap_err();
    assert!(matches!(e.roistat(), Some(RoistatError::AuthenticationFailed { .. })), "{e:?}");
    assert!(!e.to_string().contains(wrong) && !format!("{e:?}").contains(wrong));
    let stored = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap();
    let message = stored.last_error.unwrap();
    assert!(message.contains("API-ключ") && !message.contains(wrong), "{message}");

    // The right key, with an error envelope that repeats it.
    let source = add_source(&store, &fake, false).await;
    fake.state.set(|s| s.error_200 = true);
    let e = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap_err();
    let message = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap().last_error.unwrap();
    assert!(!message.contains(KEY) && !e.to_string().contains(KEY), "{message}");
    assert!(!format!("{:?}", store.get::<AnalyticsSource>(source.id).await.unwrap()).contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_rate_limits_stop_after_the_bounded_retries() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    let source = add_source(&store, &fake, false).await;
    fake.state.set(|s| s.rate_limit_times = 1000);
    let options = fast_options();
    let e = run_sync(&store, source.id, &options, &Cancel::new(), &quiet).await.unwrap_err();
    assert!(matches!(e.roistat(), Some(RoistatError::RateLimited { .. })), "{e:?}");
    assert_eq!(fake.state.data_requests().len() as u32, options.retry.max_retries + 1);
    assert_eq!(store.fact_count().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_without_key_or_project_says_what_to_fill_in() {
    let (_dir, store) = open_store().await;
    let source = store.put(AnalyticsSource { name: "Пустой".into(), ..AnalyticsSource::default() }).await.unwrap();
    let e = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap_err();
    assert!(matches!(e, SyncError::NoApiKey(_)));
    assert!(e.to_string().contains("API-ключ"));
    let e = run_sync(&store, 999, &fast_options(), &Cancel::new(), &quiet).await.unwrap_err();
    assert!(matches!(e, SyncError::SourceNotFound(999)));
}
