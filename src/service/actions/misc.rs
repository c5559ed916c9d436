//! `message`, `task`, `call`: attached to an order (our lead id); answered once durable.

use super::super::query::{Params, cut};
use super::super::{Answer, Failure, Service};
use super::{json_str, number, parse_time, required_number};
use crate::domain::{Call, CallStatus, Comment, Task};
use crate::store::StoreError;
use axum::http::StatusCode;
use jiff::Timestamp;
use std::sync::Arc;

fn not_found(id: u64) -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "order_not_found",
        format!("Заказ (заявка) с id {id} не найден: проверьте, что Roistat передаёт id из выгрузки заказов"),
    )
}

fn store_failure(id: u64) -> impl Fn(StoreError) -> Failure {
    move |e| match e {
        StoreError::NotFound(_) => not_found(id),
        other => Failure::store(other),
    }
}

/// Who the lead's history names for what Roistat adds.
const BY_ROISTAT: &str = crate::domain::AUTHOR_ROISTAT;

pub async fn message(service: &Arc<Service>, params: &Params) -> Result<Answer, Failure> {
    // Roistat sends `leadId` (its one camelCase parameter); `lead_id` is what others send.
    let key = if params.text("leadId").is_some() { "leadId" } else { "lead_id" };
    let lead_id = required_number(params, key)?;
    let comment = Comment {
        at: Timestamp::now(),
        title: params.get("title").unwrap_or("").trim().to_string(),
        text: params.get("message").unwrap_or("").to_string(),
        from_roistat: true,
    };
    service.store.append_comment(lead_id, comment, BY_ROISTAT).await.map_err(store_failure(lead_id))?;
    Ok(Answer::ok(r#"{"status":"ok"}"#.to_string()))
}

pub async fn task(service: &Arc<Service>, params: &Params) -> Result<Answer, Failure> {
    let lead_id = required_number(params, "element_id")?;
    let deadline = match params.text("deadline") {
        None => None,
        Some(text) => Some(parse_time(text).ok_or_else(|| {
            Failure::bad(
                "bad_date",
                format!("Срок задачи «{}» не распознан: ожидается вид 2019-01-01T11:11:11 (UTC)", cut(text, 40)),
            )
        })?),
    };
    let text = params.get("text").unwrap_or("").to_string();
    // The store numbers the task within its lead.
    let task = Task { id: 0, deadline, text, done: false, from_roistat: true, created: None };
    let lead = service.store.append_task(lead_id, task, BY_ROISTAT).await.map_err(store_failure(lead_id))?;
    let task_id = lead.tasks.last().map(|t| t.id).unwrap_or(0);
    let mut json = String::from(r#"{"status":"ok","task_id":"#);
    json_str(&mut json, &format!("{lead_id}-{task_id}"));
    json.push('}');
    Ok(Answer::ok(json))
}

pub async fn call(service: &Arc<Service>, params: &Params) -> Result<Answer, Failure> {
    let order_id = number(params, "order_id")?;
    let duration = match number(params, "duration")? {
        Some(d) => u32::try_from(d).map_err(|_| Failure::bad("bad_number", "Параметр duration слишком велик"))?,
        None => 0,
    };
    let status = CallStatus::from_roistat(params.get("status").unwrap_or(""));
    let at = match params.text("date") {
        None => Timestamp::now(),
        Some(text) => parse_time(text).ok_or_else(|| {
            Failure::bad(
                "bad_date",
                format!("Дата звонка «{}» не распознана: ожидается 2019-01-01 11:11:11", cut(text, 40)),
            )
        })?,
    };
    let call = Call {
        id: 0,
        roistat_call_id: params.text("id").map(str::to_string),
        callee: params.get("callee").unwrap_or("").trim().to_string(),
        caller: params.get("caller").unwrap_or("").trim().to_string(),
        at,
        visit: params.get("visit").unwrap_or("").trim().to_string(),
        marker: params.get("marker").unwrap_or("").trim().to_string(),
        status,
        lead_id: order_id,
        duration_seconds: duration,
        file_url: params.get("file_url").unwrap_or("").trim().to_string(),
    };
    let store_failure = store_failure(order_id.unwrap_or(0));
    if let Some(id) = call.lead_id
        && service.store.lead(id).await.map_err(&store_failure)?.is_none()
    {
        return Err(not_found(id));
    }
    let saved = service.store.put_call(call).await.map_err(store_failure)?;
    let mut json = String::from(r#"{"status":"ok","call_id":"#);
    json_str(&mut json, &saved.id.to_string());
    json.push('}');
    Ok(Answer::ok(json))
}
