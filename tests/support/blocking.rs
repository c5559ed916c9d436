//! The store for the setup and the checks of window tests, whose harness is synchronous: the same
//! async `Store` the window uses, each call run to its end on a small runtime of the test's own.
#![allow(dead_code)]

use jiff::civil::Date;
use skvoz::domain::{
    Call, Client, Contact, DailyFact, ExchangeEntry, Lead, LeadEdit, LeadId, ServiceSettings, Status, Telephony,
};
use skvoz::store::{Intake, Record, Result, Store};
use std::path::Path;
use std::sync::Arc;

#[derive(Clone)]
pub struct BlockingStore {
    store: Store,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl BlockingStore {
    pub fn open(dir: &Path) -> BlockingStore {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let store = runtime.block_on(Store::open_embedded(dir)).unwrap();
        BlockingStore { store, runtime: Arc::new(runtime) }
    }

    /// The same data as `store` (opened elsewhere, e.g. by a test service).
    pub fn wrap(store: Store) -> BlockingStore {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        BlockingStore { store, runtime: Arc::new(runtime) }
    }

    /// The async handle, for the window and the service.
    pub fn handle(&self) -> Store {
        self.store.clone()
    }

    /// Runs any other store call (or async work) to its end.
    pub fn run<T>(&self, work: impl Future<Output = T>) -> T {
        self.runtime.block_on(work)
    }

    pub fn all_leads(&self) -> Result<Vec<Lead>> {
        self.run(self.store.all_leads())
    }
    pub fn lead(&self, id: LeadId) -> Result<Option<Lead>> {
        self.run(self.store.lead(id))
    }
    pub fn lead_by_roistat_id(&self, roistat_id: &str) -> Result<Option<Lead>> {
        self.run(self.store.lead_by_roistat_id(roistat_id))
    }
    pub fn lead_count(&self) -> usize {
        self.run(self.store.lead_count()).expect("the store answers")
    }
    pub fn add_lead(&self, lead: Lead) -> Result<Lead> {
        self.run(self.store.add_lead(lead))
    }
    pub fn add_leads(&self, leads: Vec<Lead>) -> Result<Vec<Lead>> {
        self.run(self.store.add_leads(leads))
    }
    /// Writes `after` over the stored lead as a person would edit it (field by field).
    pub fn edit_lead(&self, before: &Lead, after: &Lead, by: &str) -> Result<Lead> {
        self.run(self.store.change_lead(before.id, None, LeadEdit::diff(before, after), by))
    }
    pub fn intake_lead(&self, lead: Lead, contact: &Contact) -> Result<Intake> {
        self.run(self.store.intake_lead(lead, contact.clone()))
    }
    pub fn put_call(&self, call: Call) -> Result<Call> {
        self.run(self.store.put_call(call))
    }
    pub fn put_client(&self, client: Client) -> Result<Client> {
        self.run(self.store.put_client(client))
    }
    pub fn list<T: Record>(&self) -> Result<Vec<T>> {
        self.run(self.store.list::<T>())
    }
    pub fn get<T: Record>(&self, id: u64) -> Result<Option<T>> {
        self.run(self.store.get::<T>(id))
    }
    pub fn put<T: Record>(&self, record: T) -> Result<T> {
        self.run(self.store.put(record))
    }
    pub fn statuses(&self) -> Result<Vec<Status>> {
        self.run(self.store.statuses())
    }
    pub fn initial_status(&self) -> Result<Option<u64>> {
        self.run(self.store.initial_status())
    }
    pub fn ensure_schema(&self) -> Result<usize> {
        self.run(self.store.ensure_schema())
    }
    pub fn service_settings(&self) -> Result<ServiceSettings> {
        self.run(self.store.service_settings())
    }
    pub fn put_service_settings(&self, settings: &ServiceSettings) -> Result<()> {
        self.run(self.store.put_service_settings(settings.clone()))
    }
    pub fn replace_facts(&self, source: u64, from: Date, to: Date, facts: &[DailyFact]) -> Result<usize> {
        self.run(self.store.replace_facts(source, from, to, facts.to_vec()))
    }
    pub fn fact_count(&self) -> usize {
        self.run(self.store.fact_count()).expect("the store answers")
    }
    pub fn log_exchange(&self, entry: ExchangeEntry) -> Result<u64> {
        let ids = self.run(self.store.log_exchanges(vec![entry]))?;
        Ok(ids.last().copied().unwrap_or(0))
    }
    pub fn exchange_count(&self) -> usize {
        self.run(self.store.exchange_count()).expect("the store answers")
    }
    pub fn exchange_newest(&self, n: usize) -> Result<Vec<ExchangeEntry>> {
        self.run(self.store.exchange_newest(n))
    }
    pub fn telephony(&self) -> Result<Telephony> {
        self.run(self.store.telephony())
    }
    pub fn size_on_disk(&self) -> Result<u64> {
        self.run(self.store.size_on_disk())
    }
}
