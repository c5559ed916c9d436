//! The leads workspace's store work, run on the background runtime: each command's answer is one
//! [`LeadsEvent`]. Saves send field-level edits against the version the form loaded, so that what
//! others added meanwhile survives and a change of the same field comes back as a conflict.

use super::command::{LeadsCatalog, LeadsCommand, LeadsData, LeadsEvent, OpenedLead, SaveLead, SavedLead};
use crate::domain::{ExtraField, HistoryFilter, Lead, LeadEdit, MARKER_FIELD};
use crate::store::{Store, StoreError};

/// Runs one command against the store.
pub(super) async fn run(store: Store, command: LeadsCommand) -> LeadsEvent {
    let text = |e: StoreError| e.to_string();
    match command {
        LeadsCommand::LoadAll => LeadsEvent::All(load_all(&store).await.map(Box::new).map_err(text)),
        LeadsCommand::Announce(presence) => {
            if let Err(e) = store.announce(presence).await {
                tracing::debug!("не удалось сообщить, какая заявка открыта: {e}");
            }
            LeadsEvent::Announced
        }
        LeadsCommand::LoadCatalog => LeadsEvent::Catalog(catalog(&store).await.map(Box::new).map_err(text)),
        LeadsCommand::LoadClients => LeadsEvent::Clients(store.all_clients().await.map_err(text)),
        LeadsCommand::LoadLeads(ids) => {
            let loaded = async {
                let leads = store.leads_by_ids(ids).await?;
                let mut clients = Vec::new();
                for id in leads.iter().filter_map(|l| l.client_id) {
                    clients.extend(store.client(id).await?);
                }
                Ok((leads, clients))
            };
            LeadsEvent::Leads(loaded.await.map_err(text))
        }
        LeadsCommand::Open(id) => {
            let opened = async {
                let Some(lead) = store.lead(id).await? else { return Ok(None) };
                let mut calls = Vec::new();
                for call in &lead.call_ids {
                    calls.extend(store.call(*call).await?);
                }
                Ok(Some(Box::new(OpenedLead { lead, calls })))
            };
            LeadsEvent::Opened(opened.await.map_err(text))
        }
        LeadsCommand::Copy(id) => LeadsEvent::Copied(store.lead(id).await.map(|l| l.map(Box::new)).map_err(text)),
        LeadsCommand::Save(save) => self::save(&store, *save).await,
        LeadsCommand::GroupChange { change, by } => {
            LeadsEvent::GroupChanged(change.run(&store, &by).await.map_err(text))
        }
        LeadsCommand::Undo { undo, by } => LeadsEvent::Undone(undo.run(&store, &by).await.map_err(text)),
        LeadsCommand::CreateSource(source) => {
            LeadsEvent::SourceCreated(store.put(*source).await.map(Box::new).map_err(text))
        }
        LeadsCommand::AddTemplate(template) => {
            LeadsEvent::TemplateAdded(store.add_lead(*template).await.map(Box::new).map_err(text))
        }
        LeadsCommand::MarkerPaths => LeadsEvent::MarkerPaths(store.fact_markers().await.map_err(text)),
        LeadsCommand::History(id) => {
            let filter = HistoryFilter { lead: Some(id), ..HistoryFilter::default() };
            LeadsEvent::History(id, store.history(filter).await.map_err(text))
        }
    }
}

async fn catalog(store: &Store) -> Result<LeadsCatalog, StoreError> {
    let mut fields = store.list::<ExtraField>().await?;
    // The marker field is always offered, even before the schema was created.
    if !fields.iter().any(|f| f.dev_name == MARKER_FIELD) {
        fields.insert(
            0,
            ExtraField {
                id: 0,
                name: "Roistat маркер".into(),
                dev_name: MARKER_FIELD.into(),
                kind: Default::default(),
                service: true,
            },
        );
    }
    Ok(LeadsCatalog {
        statuses: store.statuses().await?,
        // A marketer may read leads but not the lead sources: the column stays empty.
        sources: match store.list().await {
            Err(StoreError::Forbidden(_)) => Vec::new(),
            other => other?,
        },
        fields,
        users: store.list().await?,
        initial_status: store.initial_status().await?,
    })
}

async fn load_all(store: &Store) -> Result<LeadsData, StoreError> {
    Ok(LeadsData {
        catalog: catalog(store).await?,
        clients: store.all_clients().await?,
        leads: store.all_leads().await?,
    })
}

/// «Записать»: the client first (found by contact or saved), then the lead — added when new,
/// else changed by the edits the form made to the lead it loaded.
async fn save(store: &Store, save: SaveLead) -> LeadsEvent {
    let SaveLead { mut edited, loaded, client, overwrite, by } = save;
    let client = match client {
        None => None,
        Some(client) if client.id == 0 => {
            let contact = crate::domain::Contact {
                name: client.name.clone(),
                phone: client.phone.clone(),
                email: client.email.clone(),
            };
            match store.client_for_contact(contact).await {
                Ok(client) => Some(client),
                Err(e) => return LeadsEvent::Failed(not_saved("Клиент не записан", e)),
            }
        }
        Some(client) => match store.put_client(client).await {
            Ok(client) => Some(client),
            Err(e) => return LeadsEvent::Failed(not_saved("Клиент не записан", e)),
        },
    };
    if let Some(client) = &client {
        edited.client_id = Some(client.id);
    }
    let saved = match loaded {
        None => store.add_lead(Lead { changed_by: by, ..edited }).await,
        Some(loaded) => {
            let edits = LeadEdit::diff(&loaded, &edited);
            let expected = if overwrite { None } else { Some(loaded.version) };
            store.change_lead(loaded.id, expected, edits, &by).await
        }
    };
    match saved {
        Ok(lead) => {
            let client = match (client, lead.client_id) {
                (Some(client), _) => Some(client),
                (None, Some(id)) => store.client(id).await.ok().flatten(),
                (None, None) => None,
            };
            LeadsEvent::Saved(Box::new(SavedLead { lead, client }))
        }
        Err(StoreError::Conflict { by, at, current }) => {
            let message = crate::store::conflict_text(&current, &by, &at);
            LeadsEvent::Conflict { message, by, current }
        }
        Err(e) => LeadsEvent::Failed(not_saved("Заявка не записана", e)),
    }
}

/// Why a save failed, for the form. Without the database the person needs to know that what they
/// typed is still there and what to do, not the driver's words.
fn not_saved(what: &str, e: StoreError) -> String {
    match e {
        StoreError::Unreachable { .. } => format!(
            "{what}: нет связи с базой данных. Введённое осталось в форме — нажмите «Записать» ещё раз, когда связь восстановится (погаснет красный огонёк «Нет связи с базой» внизу окна)"
        ),
        e => format!("{what}: {e}"),
    }
}
