//! Shared pieces of the flow forms: an action that applies the answer (new snapshot, then
//! navigation: the current task first, when pending), the error alert, and labelled fields.

use super::auth_provider::use_auth_context;
use super::flow_action::FlowAction;
use super::nav::{use_go, use_leaves, use_nav};
use super::vestibule::{apply, FinalizeNavigate};
use crate::api::AuthResult;
use crate::domain::errors::FlowError;
use crate::domain::redirect::query_param;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// A flow step's action for the server function `S`: on success it stores the new snapshot and
/// navigates (see [`apply`]), with the `navigate` callback of the enclosing component if it set
/// one.
pub fn flow_action<S>() -> FlowAction
where
    S: ServerFn<Output = AuthResult, Error = FlowError>,
{
    watched(FlowAction::new(S::url()))
}

fn watched(action: FlowAction) -> FlowAction {
    let ctx = use_auth_context();
    let go = use_go();
    let leaves = use_leaves();
    let callback = use_context::<FinalizeNavigate>().map(|f| f.0);
    Effect::new(move |_| {
        if let Some(Ok(result)) = action.value().get() {
            // (Only the answer is tracked: `apply` reads the snapshot it then replaces.)
            untrack(|| apply(&ctx, result, callback, &|to| go(to, false), &leaves));
        }
    });
    action
}

/// The step's form: a plain `<form method="post">` to the server function, which works without
/// JavaScript; after hydration a submit calls the action instead. Its controls are disabled while
/// the action is pending, so a second click (or a quick second "Continue" on the next step) never
/// submits the same form twice.
#[component]
pub fn FlowForm(action: FlowAction, children: Children) -> impl IntoView {
    let pending = action.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = super::flow_action::form_body(&ev) {
            ev.prevent_default();
            action.call(body);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! {
        <form method="post" action=action.path() on:submit=submit>
            <fieldset class="form-body" role="none" disabled=move || pending.get()>
                {children()}
            </fieldset>
        </form>
    }
}

/// The sentence of the action's last error, if any.
pub fn error_of(action: FlowAction) -> Signal<Option<String>> {
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
    let location = use_nav();
    Signal::derive(move || {
        query_param(
            location.search.get().trim_start_matches('?'),
            "redirect_url",
        )
        .unwrap_or_default()
    })
}
