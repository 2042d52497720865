//! The lockout (README, "Security defaults"): a user's counter, and the same counter for an
//! address without an account, so that the answers never say which addresses have accounts.

use super::FlowResult;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::server::state::AppState;
use crate::server::store::User;

/// Refuses a locked user with the minutes left.
pub fn check_not_locked(user: &User, now: i64) -> FlowResult<()> {
    match user.locked_for(now) {
        Some(secs) => Err(FlowError::with_n(
            ErrorCode::UserLocked,
            ((secs + 59) / 60) as u64,
        )),
        None => Ok(()),
    }
}

/// Checks `user`'s password under the lockout (README, "Security defaults"): the guess is counted
/// before it is hashed and given back when it is right, so guesses sent together are at most
/// `lockout.max_attempts` however many wait for the hasher at once. A wrong one answers
/// `form_password_incorrect`, or `user_locked` when it locked the user (or the user is locked,
/// or that many guesses are being checked already).
pub async fn check_password_guess(state: &AppState, user: &User, password: &str) -> FlowResult<()> {
    judge_guess(state, Guesser::User(user), password).await
}

/// A password typed for an address without an account: judged exactly as a user's guess is —
/// counted before the (dummy) hash, by the same guarded statements on the address's own counter,
/// settled apart from the request — so neither the answers nor their timing, alone or sent
/// together, say whether the address has an account. Always wrong.
pub async fn check_address_guess(state: &AppState, address: &str, password: &str) -> FlowError {
    match judge_guess(state, Guesser::Address(address), password).await {
        Err(e) => e,
        Ok(()) => ErrorCode::FormPasswordIncorrect.into(),
    }
}

/// Whose guess it is.
#[derive(Clone, Copy)]
enum Guesser<'a> {
    User(&'a User),
    Address(&'a str),
}

impl Guesser<'_> {
    async fn check_not_locked(self, state: &AppState, now: i64) -> FlowResult<()> {
        match self {
            Self::User(u) => check_not_locked(u, now),
            Self::Address(a) => check_address_not_locked(state, a).await,
        }
    }

    async fn claim(self, state: &AppState, max: u32, now: i64) -> FlowResult<bool> {
        Ok(match self {
            Self::User(u) => state.store.claim_guess(&u.id, max, now).await?,
            Self::Address(a) => state.store.claim_address_guess(a, max, now).await?,
        })
    }
}

async fn judge_guess(state: &AppState, who: Guesser<'_>, password: &str) -> FlowResult<()> {
    let now = state.now();
    who.check_not_locked(state, now).await?;
    let max = state.settings.lockout.max_attempts;
    let duration = state.settings.lockout.duration.secs().unwrap_or(3_600);
    if !who.claim(state, max, now).await? {
        // Locked meanwhile (with the minutes left), or `max` guesses are in flight.
        match who {
            Guesser::User(u) => {
                if let Some(fresh) = state.store.user_by_id(&u.id).await? {
                    check_not_locked(&fresh, now)?;
                }
            }
            Guesser::Address(_) => who.check_not_locked(state, now).await?,
        }
        return Err(FlowError::with_n(ErrorCode::UserLocked, minutes(duration)));
    }
    // Judged and settled apart from the request: a client that hangs up while its guess waits
    // for the hasher cannot leave it counted and unsettled.
    let (user_id, address, hash) = match who {
        Guesser::User(u) => (Some(u.id.clone()), None, u.password_hash.clone()),
        Guesser::Address(a) => (None, Some(a.to_string()), None),
    };
    let settling = tokio::spawn({
        let (state, password) = (state.clone(), password.to_string());
        async move {
            let judged = state.hasher.verify(password, hash).await;
            // A guess the hasher could not judge (its queue full, a timeout) taught the guesser
            // nothing: it is given back, as a right one is.
            let right = matches!(judged, Ok(true));
            let give_back = judged.is_err() || right;
            let now = state.now();
            let until = now + duration;
            let settled = match (&user_id, &address) {
                (Some(id), _) => {
                    state
                        .store
                        .settle_guess(id, give_back, max, until, now)
                        .await
                }
                (_, Some(a)) => {
                    (state.store)
                        .settle_address_guess(a, give_back, max, until, now)
                        .await
                }
                _ => Ok(None),
            };
            (judged, settled, now)
        }
    });
    let (judged, settled, now) = settling.await.map_err(crate::server::error::internal)?;
    let right = judged.map_err(FlowError::from)?;
    match settled? {
        Some(until) => Err(FlowError::with_n(
            ErrorCode::UserLocked,
            minutes(until - now),
        )),
        None if right => Ok(()),
        None => Err(ErrorCode::FormPasswordIncorrect.into()),
    }
}

/// Whole minutes, rounded up, in `secs`.
fn minutes(secs: i64) -> u64 {
    ((secs.max(0) + 59) / 60) as u64
}

/// Counts a failed password or code against the lockout (README, "Security defaults"); answers
/// `user_locked` when this failure locked the user, else `fallback`.
pub async fn count_failure(state: &AppState, user: &User, fallback: ErrorCode) -> FlowError {
    record_failure(state, Guesser::User(user), fallback).await
}

/// One wrong password or code counted on the guesser's own counter: `user_locked` (with the
/// minutes) when it locked, else `fallback`.
async fn record_failure(state: &AppState, who: Guesser<'_>, fallback: ErrorCode) -> FlowError {
    let now = state.now();
    let max = state.settings.lockout.max_attempts;
    let until = now + state.settings.lockout.duration.secs().unwrap_or(3_600);
    let recorded = match who {
        Guesser::User(u) => state.store.record_failure(&u.id, max, until, now).await,
        Guesser::Address(a) => state.store.record_address_failure(a, max, until, now).await,
    };
    match recorded {
        Ok(Some(until)) => FlowError::with_n(ErrorCode::UserLocked, minutes(until - now)),
        Ok(None) => FlowError::new(fallback),
        Err(e) => e.into(),
    }
}

/// Refuses an address without an account while its own lockout runs, as `check_not_locked`
/// refuses a user: the same answer, so a lockout tells nobody whether the address has an account.
pub async fn check_address_not_locked(state: &AppState, address: &str) -> FlowResult<()> {
    let now = state.now();
    match state.store.address_locked_until(address, now).await? {
        Some(until) => Err(FlowError::with_n(
            ErrorCode::UserLocked,
            minutes(until - now),
        )),
        None => Ok(()),
    }
}

/// `count_failure` for an address without an account: the same maximum, duration and answers.
pub async fn count_address_failure(
    state: &AppState,
    address: &str,
    fallback: ErrorCode,
) -> FlowError {
    record_failure(state, Guesser::Address(address), fallback).await
}
