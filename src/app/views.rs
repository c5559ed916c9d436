//! Reading what the views need from the store, for the window and the command line alike; and the
//! window's side of the views: the dashboard's view tab is computed on the background runtime from
//! a [`LeadBook`] kept between computations, and answered with an [`AppEvent::View`].

use super::command::AppEvent;
use super::{App, Page};
use crate::report::Periods;
use crate::report::views::{LeadBook, View, ViewOutput, ViewQuery};
use crate::store::{Store, StoreError};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Every lead, the statuses and the people, the monthly plans and each channel's daily figures,
/// as of `now`.
pub async fn lead_book(store: &Store, now: Timestamp) -> Result<LeadBook, StoreError> {
    // The channels' figures per day over every loaded day: PostgreSQL sums them in the database.
    let spend = match store.fact_date_span().await? {
        Some((from, to)) => {
            let periods = Periods { from, to, previous_from: from, previous_to: from };
            store.report_sums(periods).await?.days
        }
        None => Vec::new(),
    };
    let mut channel_titles = std::collections::BTreeMap::new();
    for path in store.fact_markers().await? {
        if !path.channel.title.is_empty() {
            channel_titles.entry(path.channel.value.clone()).or_insert(path.channel.title.clone());
        }
    }
    Ok(LeadBook {
        leads: store.all_leads().await?,
        statuses: store.statuses().await?,
        users: super::logic::users(store).await?,
        now,
        plans: store.plans(None).await?,
        spend,
        channel_titles,
    })
}

/// A book read this long before the moment a view is asked for is read again: open leads, overdue
/// tasks and forecasts are counted from its `now`.
const BOOK_FRESH_FOR: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// The lead book read last, kept between computations so that switching a tab or the basis does
/// not read every lead again. A change of leads, clients, statuses or people makes it stale (a new
/// epoch); a book read during an older epoch is never handed out again.
#[derive(Default)]
struct BookCache {
    epoch: AtomicU64,
    book: Mutex<Option<(u64, Arc<LeadBook>)>>,
}

impl BookCache {
    fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    async fn get(&self, store: &Store, now: Timestamp) -> Result<Arc<LeadBook>, StoreError> {
        let epoch = self.epoch.load(Ordering::Acquire);
        {
            let kept = self.book.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, book)) = kept.as_ref()
                && *at == epoch
                && now.duration_since(book.now).abs() <= BOOK_FRESH_FOR
            {
                return Ok(book.clone());
            }
        }
        let book = Arc::new(lead_book(store, now).await?);
        *self.book.lock().unwrap_or_else(|p| p.into_inner()) = Some((epoch, book.clone()));
        Ok(book)
    }
}

/// What the dashboard's view tab shows and what is being computed for it.
#[derive(Default)]
pub struct Views {
    /// The last view computed for the window.
    pub output: Option<ViewOutput>,
    /// The question `output` answers.
    pub shown: Option<ViewQuery>,
    /// The newest request has not been answered yet.
    pub loading: bool,
    /// The number of the newest request; older answers are dropped.
    pub generation: u64,
    /// The question of the newest request.
    requested: Option<ViewQuery>,
    /// Leads changed after the newest request was made.
    stale: bool,
    cache: Arc<BookCache>,
}

impl Views {
    /// The table to show for `query`'s view: the last one computed for that view (a new period or
    /// basis replaces it when its answer arrives).
    pub fn table_for(&self, view: View) -> Option<&crate::report::views::ViewTable> {
        self.output.as_ref().map(|o| &o.table).filter(|t| t.view == view)
    }
}

impl App {
    /// The question the dashboard's view tab asks: its view, the basis, the dashboard's period and
    /// channel, days in the project's time zone; `None` on the ROI tab.
    pub fn view_query(&self) -> Option<ViewQuery> {
        let view = self.state.view?;
        let (from, to) = self.period();
        Some(ViewQuery {
            view,
            basis: self.state.basis,
            from,
            to,
            channel: self.dashboard.channel.clone(),
            zone: self.view_zone(),
            sale_field: self.state.sale_field.clone(),
        })
    }

    /// The analytics source's project time zone (Roistat counts its days there), else this
    /// computer's.
    fn view_zone(&self) -> TimeZone {
        self.lists
            .analytics_sources
            .iter()
            .find_map(|s| crate::roistat::project_zone(&s.time_zone).ok())
            .unwrap_or_else(TimeZone::system)
    }

    /// Now, or the end of the window's "today" where it was fixed to another day (tests, demos).
    fn view_now(&self, zone: &TimeZone) -> Timestamp {
        let now = Timestamp::now();
        if now.to_zoned(zone.clone()).date() == self.today {
            return now;
        }
        self.today
            .tomorrow()
            .and_then(|d| d.to_zoned(zone.clone()))
            .map(|z| z.timestamp() - jiff::SignedDuration::from_secs(1))
            .unwrap_or(now)
    }

    /// Starts computing the view tab when what it shows is not what is asked for: another tab,
    /// period, channel or basis at once; changed leads once the computation under way has answered
    /// (a burst of incoming leads costs one recomputation at a time).
    pub(super) fn ensure_view(&mut self) {
        if !self.started || self.state.page != Page::Dashboard {
            return;
        }
        let Some(query) = self.view_query() else { return };
        let asked_anew = self.views.requested.as_ref() != Some(&query);
        if asked_anew || (self.views.stale && !self.views.loading) {
            self.request_view(query);
        }
    }

    fn request_view(&mut self, query: ViewQuery) {
        self.views.generation += 1;
        self.views.loading = true;
        self.views.stale = false;
        self.views.requested = Some(query.clone());
        let (store, cache, generation) = (self.store.clone(), self.views.cache.clone(), self.views.generation);
        let now = self.view_now(&query.zone);
        self.bg.answer(async move {
            let result = async {
                let book = cache.get(&store, now).await.map_err(|e| e.to_string())?;
                // Counting every lead is CPU work: off the runtime's async threads.
                tokio::task::spawn_blocking(move || crate::report::views::compute(&query, &book))
                    .await
                    .map_err(|e| format!("расчёт прерван: {e}"))?
                    .map(Box::new)
                    .map_err(|e| e.to_string())
            };
            AppEvent::View { generation, result: result.await }
        });
    }

    /// Leads, clients, statuses or people changed: the kept book is stale, the tab is computed again.
    pub(super) fn views_stale(&mut self) {
        self.views.cache.invalidate();
        self.views.stale = true;
    }

    pub(super) fn view_answered(&mut self, generation: u64, result: Result<Box<ViewOutput>, String>) {
        if generation != self.views.generation {
            return;
        }
        self.views.loading = false;
        match result {
            Ok(output) => {
                self.views.output = Some(*output);
                self.views.shown = self.views.requested.clone();
            }
            Err(e) => {
                let title = self.views.requested.as_ref().map_or("", |q| q.view.title());
                self.read_failed(format!("Не удалось посчитать «{title}»: {e}"));
            }
        }
    }
}
