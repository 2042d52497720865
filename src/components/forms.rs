//! Shared pieces of the flow forms: an action that applies the answer (new snapshot, then
//! navigation per SPEC §4.3), the error alert, and labelled fields.

use super::auth_provider::use_auth_context;
use super::vestibule::{apply, FinalizeNavigate};
use crate::api::AuthResult;
use crate::domain::errors::FlowError;
use crate::domain::redirect::query_param;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_location, use_navigate};

/// A server action for one flow step: on success it stores the new snapshot and navigates (see
/// [`apply`]), with the `navigate` callback of the enclosing component if it set one.
pub fn flow_action<S>() -> ServerAction<S>
where
    S: ServerFn<Output = AuthResult, Error = FlowError> + Clone + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    let ctx = use_auth_context();
    let navigate = use_navigate();
    let callback = use_context::<FinalizeNavigate>().map(|f| f.0);
    Effect::new(move |_| {
        if let Some(Ok(result)) = action.value().get() {
            apply(&ctx, result, callback, &|to, opts| navigate(to, opts));
        }
    });
    action
}

/// `ActionForm` whose controls are disabled while its action is pending, so a second click (or a
/// quick second "Continue" on the next step) never submits the same form twice.
#[component]
pub fn FlowForm<S, P>(action: ServerAction<S>, children: Children) -> impl IntoView
where
    S: serde::de::DeserializeOwned
        + ServerFn<Protocol = leptos::server_fn::Http<leptos::server_fn::codec::PostUrl, P>>
        + Clone
        + Send
        + Sync
        + 'static,
    <<S::Client as leptos::server_fn::client::Client<S::Error>>::Request as leptos::server_fn::request::ClientReq<
        S::Error,
    >>::FormData: From<leptos::web_sys::FormData>,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
    <S as ServerFn>::Client: leptos::server_fn::client::Client<<S as ServerFn>::Error>,
{
    let pending = action.pending();
    view! {
        <ActionForm action=action>
            <fieldset class="form-body" role="none" disabled=move || pending.get()>
                {children()}
            </fieldset>
        </ActionForm>
    }
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

/// The error next to a form, in `role="alert"`. With JavaScript, focus moves to it when it
/// appears, so a keyboard or screen-reader user lands on what went wrong.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    let node = NodeRef::<leptos::html::P>::new();
    Effect::new(move |_| {
        if let (Some(_), Some(p)) = (error.get(), node.get()) {
            let _ = p.focus();
        }
    });
    move || {
        error.get().map(|e| {
            view! { <p class="alert" role="alert" tabindex="-1" node_ref=node>{e}</p> }
        })
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
    /// The element id, when the same field name appears twice on a page.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| format!("field-{name}"));
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
