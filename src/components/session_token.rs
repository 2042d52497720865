//! `use_session_token()` (README, "Session tokens for other services"): a session token in the
//! browser, for calling the app's other services (`Authorization: Bearer …`), fetched from
//! `POST /api/sessions/token` and reused until shortly before it expires — for the session that
//! is active when it is asked for.
//!
//! ```ignore
//! let tokens = use_session_token();
//! let orders = LocalResource::new(move || async move {
//!     let jwt = tokens.get().await?;
//!     fetch_orders(&jwt).await
//! });
//! ```

use super::auth_provider::{use_auth_context, AuthContext};
use crate::api::{get_session_token, SessionToken};
use crate::domain::errors::FlowError;
use leptos::prelude::*;

/// A token is fetched again when less than this many seconds of it are left.
const REFRESH_BEFORE_SECS: i64 = 10;

/// The handle `use_session_token()` returns; `Copy`, so closures can hold it.
#[derive(Clone, Copy)]
pub struct SessionTokens {
    auth: AuthContext,
    /// The last token, with the session and organization it was minted for.
    cache: StoredValue<Option<(String, SessionToken)>>,
}

/// The session-token handle of the `AuthProvider` above (one cache per provider).
pub fn use_session_token() -> SessionTokens {
    if let Some(tokens) = use_context::<SessionTokens>() {
        return tokens;
    }
    let tokens = SessionTokens {
        auth: use_auth_context(),
        cache: StoredValue::new(None),
    };
    provide_context(tokens);
    tokens
}

fn now_secs() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// The cached token is still good for `key` (the active session and organization) at `now`.
fn reusable(
    cached: Option<&(String, SessionToken)>,
    key: Option<&str>,
    now: i64,
) -> Option<String> {
    let (for_key, t) = cached?;
    (Some(for_key.as_str()) == key && t.expires_at - now > REFRESH_BEFORE_SECS)
        .then(|| t.jwt.clone())
}

impl SessionTokens {
    /// A token for the active session: the cached one while it has more than a few seconds left
    /// and the active session is still the one it was minted for, else a fresh one. Signed out
    /// → `unauthenticated`.
    pub async fn get(&self) -> Result<String, FlowError> {
        self.fetch(None).await
    }

    /// As `get`, for one service: the token's `aud` names `audience`, and a verifier that
    /// requires it refuses tokens minted for any other service.
    pub async fn get_for(&self, audience: &str) -> Result<String, FlowError> {
        self.fetch(Some(audience.to_string())).await
    }

    async fn fetch(&self, audience: Option<String>) -> Result<String, FlowError> {
        // Keyed by the session, its active organization (the `o` claim) and the audience.
        let active = untrack(|| self.auth.snapshot()).and_then(|s| {
            let session = s.active_session()?;
            let org = session.organization.as_ref().map(|o| o.id.as_str());
            Some(format!(
                "{}/{}/{}",
                session.id,
                org.unwrap_or(""),
                audience.as_deref().unwrap_or("")
            ))
        });
        let cached = self.cache.get_value();
        if let Some(jwt) = reusable(cached.as_ref(), active.as_deref(), now_secs()) {
            return Ok(jwt);
        }
        let fresh = get_session_token(audience).await?;
        let jwt = fresh.jwt.clone();
        if let Some(key) = active {
            self.cache.set_value(Some((key, fresh)));
        }
        Ok(jwt)
    }

    /// Forgets the cached token (the next `get` fetches one).
    pub fn clear(&self) {
        self.cache.set_value(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_reused_for_its_session_until_shortly_before_it_expires() {
        let t = (
            "sess_a/org_1".to_string(),
            SessionToken {
                jwt: "jwt".into(),
                expires_at: 100,
                session_id: "sess_a".into(),
            },
        );
        assert_eq!(
            reusable(Some(&t), Some("sess_a/org_1"), 89).as_deref(),
            Some("jwt")
        );
        assert_eq!(
            reusable(Some(&t), Some("sess_a/org_1"), 90),
            None,
            "too close to exp"
        );
        assert_eq!(
            reusable(Some(&t), Some("sess_a/"), 0),
            None,
            "another organization"
        );
        assert_eq!(
            reusable(Some(&t), Some("sess_b/org_1"), 0),
            None,
            "another session"
        );
        assert_eq!(reusable(Some(&t), None, 0), None, "signed out");
        assert_eq!(reusable(None, Some("sess_a/org_1"), 0), None);
    }
}
