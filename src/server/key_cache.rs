//! The instance's cache of the session-token signing key: a leaf the state holds, so that what
//! the state is made of does not depend on the code that mints tokens.

use jsonwebtoken::EncodingKey;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an instance signs with the key it read before reading again: a rotation by another
/// instance reaches it within this time (its old key stays published as the previous one).
const KEY_CACHE: Duration = Duration::from_secs(10);

/// The key this instance signs with.
pub struct ActiveKey {
    pub kid: String,
    pub(crate) created_at: i64,
    pub(crate) encoding: EncodingKey,
}

/// The instance's cache of the current key.
#[derive(Default)]
pub struct SigningKeys {
    cached: Mutex<Option<(Arc<ActiveKey>, Instant)>>,
}

impl SigningKeys {
    pub(crate) fn get(&self) -> Option<Arc<ActiveKey>> {
        let cached = self.cached.lock().ok()?;
        let (key, at) = cached.as_ref()?;
        (at.elapsed() < KEY_CACHE).then(|| key.clone())
    }

    pub(crate) fn put(&self, key: Arc<ActiveKey>) {
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((key, Instant::now()));
        }
    }

    pub(crate) fn forget(&self) {
        if let Ok(mut cached) = self.cached.lock() {
            *cached = None;
        }
    }
}
