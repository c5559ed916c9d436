//! The admin's setup checklist: the steps of connecting Roistat, each ticked by what the program
//! itself sees (the service, the settings, the exchange log, the sources), never by a person.

use super::Lists;
use crate::domain::{Light, Outcome};

/// Where a step is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupPlace {
    ServiceSettings,
    ExchangeLog,
    LeadSources,
    AnalyticsSources,
    Telephony,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupStep {
    pub title: &'static str,
    pub done: bool,
    /// What was seen: a time, an error, what is missing.
    pub detail: String,
    pub place: SetupPlace,
}

/// The steps in the order of the setup. `service_running`: the HTTP service answers (in this
/// window or, in team mode, assumed in `skvoz serve`); `time` formats a moment for people.
pub fn checklist(lists: &Lists, service_running: bool, time: impl Fn(jiff::Timestamp) -> String) -> Vec<SetupStep> {
    let last_call = lists.exchange.iter().find(|e| e.outcome == Outcome::Ok && !e.action.is_empty());
    let with_responsible = lists.lead_sources.iter().find(|s| s.responsible.is_some());
    let loaded =
        lists.analytics_sources.iter().filter_map(|s| s.last_success.map(|at| (s, at))).max_by_key(|(_, at)| *at);
    let failing = lists.analytics_sources.iter().find_map(|s| s.last_error.as_ref().map(|e| (&s.name, e)));
    vec![
        SetupStep {
            title: "HTTP-сервис работает",
            done: service_running,
            detail: if service_running {
                lists.service_address.clone()
            } else {
                "сервис не запущен".into()
            },
            place: SetupPlace::ServiceSettings,
        },
        SetupStep {
            title: "Внешний адрес для Roistat указан",
            done: lists.roistat_reach_problem.is_none(),
            detail: lists.roistat_reach_problem.clone().unwrap_or_default(),
            place: SetupPlace::ServiceSettings,
        },
        SetupStep {
            title: "Roistat обращался к сервису",
            done: last_call.is_some(),
            detail: match last_call {
                Some(e) => format!("последний запрос {} ({})", time(e.at), e.action),
                None => "запросов от Roistat ещё не было: проверьте адрес, логин и пароль в Roistat".into(),
            },
            place: SetupPlace::ExchangeLog,
        },
        SetupStep {
            title: "Источник получения заявок с ответственным",
            done: with_responsible.is_some(),
            detail: match with_responsible {
                Some(s) => s.name.clone(),
                None if lists.lead_sources.is_empty() => "источника нет".into(),
                None => "у источника не указан ответственный: заявки придут без него".into(),
            },
            place: SetupPlace::LeadSources,
        },
        SetupStep {
            title: "Аналитика загружена",
            done: loaded.is_some() && failing.is_none(),
            detail: match (loaded, failing) {
                (_, Some((name, e))) => format!("«{name}»: {e}"),
                (Some((s, at)), None) => format!("«{}» загружен {}", s.name, time(at)),
                (None, None) if lists.analytics_sources.is_empty() => "источника нет".into(),
                (None, None) => "загрузки ещё не было".into(),
            },
            place: SetupPlace::AnalyticsSources,
        },
        SetupStep {
            title: "Телефония настроена и проверена",
            done: lists.telephony_light == Light::Green,
            detail: match lists.telephony_light {
                Light::Green => String::new(),
                Light::Amber => "проверка не пройдена или не выполнялась".into(),
                Light::Red => "не настроена (нужна только для звонков)".into(),
            },
            place: SetupPlace::Telephony,
        },
    ]
}
