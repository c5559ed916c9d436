//! A lead from Roistat lands in the Roistat lead source and with its responsible: a person, or
//! the people of a role in turn.

#[path = "support/service.rs"]
mod service;

use service::{enc, start};
use skvoz::domain::{LeadSource, LeadSourceType, Origin, Responsible, Role, User};

#[tokio::test]
async fn leads_get_the_roistat_source_and_its_people_in_turn() {
    let s = start().await;
    let anna = s.store.put(User { name: "Анна".into(), role: Role::Manager, ..User::default() }).await.unwrap();
    let boris = s.store.put(User { name: "Борис".into(), role: Role::Manager, ..User::default() }).await.unwrap();
    let source = s
        .store
        .put(LeadSource {
            name: "Roistat".into(),
            source_type: LeadSourceType::Roistat,
            use_leads: true,
            responsible: Some(Responsible::Role(Role::Manager)),
            ..LeadSource::default()
        })
        .await
        .unwrap();
    for (id, title) in [("r1", "Заявка с сайта"), ("r2", "Звонок от 79161234567"), ("r3", "Пойманный лид")]
    {
        let (status, body) = s.get_json(&format!("action=lead&id={id}&title={}", enc(title))).await;
        assert_eq!(status, 200, "{body}");
    }
    let mut leads = s.store.all_leads().await.unwrap();
    leads.sort_by_key(|l| l.id);
    assert!(leads.iter().all(|l| l.lead_source_id == Some(source.id)), "«Источник получения заявок» is set");
    let people: Vec<_> = leads.iter().map(|l| l.responsible).collect();
    assert_eq!(
        people,
        [Some(Responsible::User(anna.id)), Some(Responsible::User(boris.id)), Some(Responsible::User(anna.id))],
        "the role's people in turn"
    );
    assert_eq!(leads[1].origin, Origin::Call, "call tracking's leads are calls");
    assert_eq!(leads[0].origin, Origin::ProxyLead);

    // A source with one person gives every lead to that person.
    let mut source = source;
    source.responsible = Some(Responsible::User(boris.id));
    s.store.put(source).await.unwrap();
    let (status, _) = s.get_json("action=lead&id=r4&title=x").await;
    assert_eq!(status, 200);
    let last = s.store.all_leads().await.unwrap().into_iter().max_by_key(|l| l.id).unwrap();
    assert_eq!(last.responsible, Some(Responsible::User(boris.id)));
    s.stop().await;
}
