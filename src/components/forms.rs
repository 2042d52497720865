//! Shared pieces of the flow forms: an action that applies the answer (new snapshot, then
//! navigation per SPEC §4.3), the error alert, and labelled fields.

use super::auth_provider::{use_auth_context, AuthContext};
use crate::api::AuthResult;
use crate::domain::errors::FlowError;
use crate::domain::redirect::{query_param, with_redirect_url};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_location, use_navigate};

/// Where the browser goes after a mutation: nowhere when the step stays on its page, the
/// provider's task URL when the new active session is pending, else what the server answered (the
/// carried `redirect_url` or the after-sign-in URL).
pub fn next_url(ctx: &AuthContext, result: &AuthResult) -> String {
    if result.next.is_empty() {
        return String::new();
    }
    if let Some(task) = result
        .snapshot
        .active_session()
        .and_then(|s| s.current_task())
    {
        let back = result
            .next
            .split_once('?')
            .and_then(|(_, q)| query_param(q, "redirect_url"));
        return with_redirect_url(&ctx.urls().task_url(task), back.as_deref());
    }
    result.next.clone()
}

/// A server action for one flow step: on success it stores the new snapshot and navigates.
pub fn flow_action<S>() -> ServerAction<S>
where
    S: ServerFn<Output = AuthResult, Error = FlowError> + Clone + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    let ctx = use_auth_context();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(result)) = action.value().get() {
            ctx.set_snapshot(result.snapshot.clone());
            let to = next_url(&ctx, &result);
            if to.is_empty() {
                // The step stays on its page.
            } else if to.starts_with('/') {
                navigate(&to, Default::default());
            } else {
                #[cfg(feature = "hydrate")]
                if let Some(w) = web_sys::window() {
                    let _ = w.location().set_href(&to);
                }
            }
        }
    });
    action
}

/// The sentence of the action's last error, if any.
pub fn error_of<S>(action: ServerAction<S>) -> Signal<Option<String>>
where
    S: ServerFn<Output = AuthResult, Error = FlowError> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || match action.value().get() {
        Some(Err(e)) => Some(e.sentence()),
        _ => None,
    })
}

/// The error next to a form, in `role="alert"`.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <p class="alert" role="alert">{e}</p> })
    }
}

/// A labelled input.
#[component]
pub fn Field(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(into, default = "text".into())] kind: String,
    #[prop(into, default = String::new())] autocomplete: String,
    #[prop(into, default = String::new())] value: String,
    #[prop(default = false)] required: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                value=value
                required=required
            />
        </div>
    }
}

/// The `redirect_url` of the current page's query, to carry through a flow.
pub fn carried_redirect() -> Signal<String> {
    let location = use_location();
    Signal::derive(move || {
        query_param(
            location.search.get().trim_start_matches('?'),
            "redirect_url",
        )
        .unwrap_or_default()
    })
}
