//! The service's settings, read once and again only after the change feed says they changed:
//! every request needs them, and a store read per request is a trip to the blocking pool (to a
//! server database, a round trip). The feed is drained at every read, so a change whose write
//! returned before a request began is seen by that request: a new password works at once.

use crate::domain::ServiceSettings;
use crate::store::{ChangeFeed, Store, StoreError, StoreEvent};
use std::sync::{Arc, Mutex, MutexGuard};

pub struct SettingsCache {
    store: Store,
    state: Mutex<State>,
}

struct State {
    feed: ChangeFeed,
    /// Counts the changes seen, so a read that raced with a change is not kept.
    generation: u64,
    current: Option<Arc<ServiceSettings>>,
}

impl SettingsCache {
    pub fn new(store: Store) -> SettingsCache {
        let feed = store.subscribe();
        SettingsCache { store, state: Mutex::new(State { feed, generation: 0, current: None }) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The settings as they are now.
    pub async fn get(&self) -> Result<Arc<ServiceSettings>, StoreError> {
        let generation = {
            let mut state = self.state();
            while let Some(event) = state.feed.try_next() {
                if matches!(event, StoreEvent::SettingsChanged | StoreEvent::Reloaded) {
                    state.generation += 1;
                    state.current = None;
                }
            }
            if let Some(current) = &state.current {
                return Ok(current.clone());
            }
            state.generation
        };
        let settings = Arc::new(self.store.service_settings().await?);
        let mut state = self.state();
        if state.generation == generation {
            state.current = Some(settings.clone());
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Secret;

    #[tokio::test]
    async fn a_change_is_seen_by_the_next_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_embedded(dir.path()).await.unwrap();
        let cache = SettingsCache::new(store.clone());
        let first = cache.get().await.unwrap();
        assert!(Arc::ptr_eq(&first, &cache.get().await.unwrap()), "read once while nothing changed");
        let mut changed = (*first).clone();
        changed.password = Secret::new("новый-пароль");
        store.put_service_settings(changed).await.unwrap();
        assert_eq!(cache.get().await.unwrap().password.expose(), "новый-пароль");
    }
}
