//! Tasks beyond the built-in three (README, "Custom tasks"): completing an app-defined task and
//! accepting the terms from a session whose current task it is, and what an operator does through
//! the Backend API — requiring a task of a user, listing and withdrawing it, completing it for the
//! user, and requiring a second factor of an organization's members.

use super::tasks::{next, on_task, Destination};
use super::{FlowResult, Outcome, RequestInfo};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::session::{compute_tasks, Applies, TaskKey};
use crate::server::client::{task_facts, ClientContext};
use crate::server::state::AppState;
use crate::server::store::{StoreError, User};

/// Who completes an app-defined task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletedBy {
    /// "Continue" on the hosted page: only for a task whose page is the hosted one (a task with
    /// a page of the app's own is done by the app's server function, whatever that checks).
    HostedPage,
    /// The app's own server function (`complete_task`), for a task with a page of the app's own.
    App,
}

/// Completes an app-defined task: accepted only while `key` is the current task of the caller's
/// active session (a task cannot be skipped or completed for another session).
pub async fn complete_custom(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    key: &str,
    by: CompletedBy,
    dest: &Destination,
) -> FlowResult<Outcome> {
    let key = TaskKey::parse(key)
        .filter(TaskKey::is_custom)
        .ok_or(FlowError::new(ErrorCode::TaskNotCurrent))?;
    let s = on_task(ctx, &key)?;
    let urls = state.urls();
    let hosted = urls.task_url(&key) == format!("{}/{}", urls.tasks_url(), key.as_str());
    // Each task is done where its page is: a hosted one by its "Continue", one with a page of
    // the app's own by the app's server function.
    if (by == CompletedBy::HostedPage) != hosted {
        return Err(ErrorCode::Forbidden.into());
    }
    state
        .store
        .complete_task(&s.user.id, key.as_str(), state.now())
        .await?;
    next(state, req, dest).await
}

/// `accept-terms`: the consent box, checked, records the current terms version.
pub async fn accept_terms(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    accepted: bool,
    dest: &Destination,
) -> FlowResult<Outcome> {
    let s = on_task(ctx, &TaskKey::AcceptTerms)?;
    if !accepted {
        return Err(ErrorCode::FormLegalConsentMissing.into());
    }
    state
        .store
        .accept_terms(
            &s.user.id,
            state.tasks.terms_version.as_deref(),
            state.now(),
        )
        .await?;
    next(state, req, dest).await
}

/// A task the instance knows: a built-in key, or a configured app-defined one (an unknown key is
/// `form_param_format_invalid` on `key`).
fn known_key(state: &AppState, key: &str) -> FlowResult<TaskKey> {
    let invalid = || FlowError::with_detail(ErrorCode::FormParamFormatInvalid, "key");
    if key.len() > 64 {
        return Err(FlowError::with_detail(ErrorCode::FormParamTooLong, "key"));
    }
    let key = TaskKey::parse(key).ok_or_else(invalid)?;
    let known = match &key {
        TaskKey::Custom(k) => state.tasks.custom.iter().any(|r| r.key == *k),
        // Tasks that cannot be done on this instance are not asked.
        TaskKey::ChooseOrganization => state.tasks.organizations_enabled,
        TaskKey::AcceptTerms => state.tasks.terms_version.is_some(),
        TaskKey::SetupMfa => !state.settings.mfa.methods.is_empty(),
        TaskKey::ResetPassword => true,
    };
    if known {
        Ok(key)
    } else {
        Err(invalid())
    }
}

async fn user(state: &AppState, id: &str) -> FlowResult<User> {
    state
        .store
        .user_by_id(id)
        .await?
        .ok_or(FlowError::new(ErrorCode::ResourceNotFound))
}

/// A task a user owes, as the Backend API lists it: whether an operator requested it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwedTask {
    pub key: TaskKey,
    pub requested: bool,
}

/// What the user owes, as far as it depends on the user alone (`choose-organization` and an
/// organization's MFA depend on each session, and are listed only when requested).
pub fn owed(state: &AppState, user: &User) -> Vec<OwedTask> {
    let facts = task_facts(user, user.has_second_factor(), false, None);
    let mut settings = state.tasks.clone();
    settings.organizations_enabled = false;
    let mut owed: Vec<OwedTask> = compute_tasks(&settings, &facts)
        .into_iter()
        .map(|key| OwedTask {
            requested: user.requested_tasks.contains(&key),
            key,
        })
        .collect();
    if state.tasks.organizations_enabled
        && user.requested_tasks.contains(&TaskKey::ChooseOrganization)
    {
        let at = owed.iter().take_while(|t| !t.key.is_custom()).count();
        owed.insert(
            at,
            OwedTask {
                key: TaskKey::ChooseOrganization,
                requested: true,
            },
        );
    }
    owed
}

/// `GET /v1/users/{id}/tasks`.
pub async fn list(state: &AppState, user_id: &str) -> FlowResult<Vec<OwedTask>> {
    let user = user(state, user_id).await?;
    Ok(owed(state, &user))
}

/// `POST /v1/users/{id}/tasks`: the user owes `key` from the next request of each live session.
pub async fn request(state: &AppState, user_id: &str, key: &str) -> FlowResult<Vec<OwedTask>> {
    let key = known_key(state, key)?;
    match state
        .store
        .request_task(user_id, key.as_str(), state.now())
        .await
    {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(ErrorCode::ResourceNotFound.into()),
        Err(e) => return Err(e.into()),
    }
    list(state, user_id).await
}

/// `DELETE /v1/users/{id}/tasks/{key}`: withdraws a request. An app-defined task the user owes
/// by configuration (`all_users`, `new_users`) is waived instead. Nothing to withdraw is 404.
pub async fn withdraw(state: &AppState, user_id: &str, key: &str) -> FlowResult<Vec<OwedTask>> {
    let key = known_key(state, key)?;
    let u = user(state, user_id).await?;
    if state.store.withdraw_task(&u.id, key.as_str()).await? {
        return list(state, user_id).await;
    }
    let by_config = state
        .tasks
        .custom
        .iter()
        .any(|r| r.key == key.as_str() && r.applies != Applies::OnRequest)
        && owed(state, &u).iter().any(|t| t.key == key);
    if !by_config {
        return Err(ErrorCode::ResourceNotFound.into());
    }
    state
        .store
        .complete_task(&u.id, key.as_str(), state.now())
        .await?;
    list(state, user_id).await
}

/// `POST /v1/users/{id}/tasks/{key}/complete`: an operator completes an app-defined task for the
/// user (the built-in ones are done by their facts: a new password, a factor, the terms).
pub async fn complete_for(state: &AppState, user_id: &str, key: &str) -> FlowResult<Vec<OwedTask>> {
    let key = known_key(state, key)?;
    if !key.is_custom() {
        return Err(FlowError::with_detail(
            ErrorCode::FormParamFormatInvalid,
            "key",
        ));
    }
    let u = user(state, user_id).await?;
    state
        .store
        .complete_task(&u.id, key.as_str(), state.now())
        .await?;
    list(state, user_id).await
}

/// `PATCH /v1/organizations/{id}` with `require_mfa`.
pub async fn set_organization_require_mfa(
    state: &AppState,
    organization_id: &str,
    on: bool,
) -> FlowResult<()> {
    if on && state.settings.mfa.methods.is_empty() {
        return Err(FlowError::with_detail(
            ErrorCode::FormParamFormatInvalid,
            "require_mfa",
        ));
    }
    match state
        .store
        .set_organization_require_mfa(organization_id, on)
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(ErrorCode::ResourceNotFound.into()),
        Err(e) => Err(e.into()),
    }
}
