//! The frame of every task page: `TaskGate` renders a task's page only while that task is the
//! session's current one (else it redirects as the guard would), with "Signed in as … / Sign
//! out" under it, and `Destination` carries where to go next through a task form. Every task
//! component builds on it, and it on nothing of theirs.

use super::auth_provider::use_auth_context;
use super::forms::{carried_redirect, flow_action, FlowForm};
use super::nav::redirect_view;
use crate::api::SignOut;
use crate::domain::redirect::{safe_redirect, with_redirect_url};
use crate::domain::session::TaskKey;
use leptos::prelude::*;

/// Where a task page sends a visitor for whom `key` is not the current task.
fn elsewhere(key: &TaskKey, complete: Option<String>) -> Option<String> {
    let ctx = use_auth_context();
    let snap = ctx.snapshot()?;
    let urls = ctx.urls();
    let carried = carried_redirect().get_untracked();
    let carried = safe_redirect(&carried);
    match snap.active_session() {
        None => Some(with_redirect_url(&urls.sign_in_url, carried.as_deref())),
        Some(s) => match s.current_task() {
            Some(current) if current == *key => None,
            Some(current) => Some(with_redirect_url(
                &urls.task_url(&current),
                carried.as_deref(),
            )),
            None => Some(
                carried
                    .or_else(|| complete.as_deref().and_then(safe_redirect))
                    .unwrap_or(urls.after_sign_in_url),
            ),
        },
    }
}

/// Renders `children` only while `key` is the current task, else redirects (to the current task,
/// to sign-in without a session, or on once no task is left) — the frame of every task page, and of
/// an app's own page for an app-defined task. Decided once the snapshot has loaded, and not again:
/// a task finished on this page navigates on by itself.
#[component]
pub fn TaskGate(key: TaskKey, complete: Option<String>, children: ChildrenFn) -> impl IntoView {
    let ctx = use_auth_context();
    let loaded = Memo::new(move |_| ctx.is_loaded());
    move || {
        loaded.get().then(|| {
            let complete = complete.clone();
            let children = children.clone();
            match untrack(|| elsewhere(&key, complete)) {
                Some(to) => redirect_view(to),
                None => view! { <TaskFrame>{children()}</TaskFrame> }.into_any(),
            }
        })
    }
}

/// "Signed in as <email>" with "Sign out" under every task screen.
#[component]
fn TaskFrame(children: Children) -> impl IntoView {
    let ctx = use_auth_context();
    let sign_out = flow_action::<SignOut>();
    let email = move || {
        ctx.snapshot()
            .and_then(|s| s.active_session().map(|a| a.user.email.clone()))
    };
    view! {
        {children()}
        <footer class="task-footer">
            <p>"Signed in as " <strong>{email}</strong></p>
            <FlowForm action=sign_out>
                <button type="submit" class="link">"Sign out"</button>
            </FlowForm>
        </footer>
    }
}

/// Hidden fields that carry the destination through a task form.
#[component]
pub(crate) fn Destination(complete: Option<String>) -> impl IntoView {
    let redirect = carried_redirect();
    view! {
        <input type="hidden" name="redirect_url" value=redirect/>
        <input type="hidden" name="complete_url" value=complete.unwrap_or_default()/>
    }
}
