//! `FlowAction`: a flow step's server function, called from the browser the way a plain form
//! post calls it without JavaScript — its form fields, URL-encoded, to its URL. Every step's
//! action is this one type (where `ServerAction<S>` is one type per server function), so the
//! browser's wasm carries one copy of the action, form and request code, not fifty.

use crate::api::AuthResult;
use crate::domain::errors::{ErrorCode, FlowError};
use leptos::prelude::*;
use leptos::server::ServerActionError;
use leptos::server_fn::error::ServerFnUrlError;
use std::ops::Deref;

/// One call of a flow step: the server function's URL and its form-encoded arguments. The
/// request always goes to the URL of the action it is dispatched on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowCall {
    pub path: &'static str,
    pub body: String,
}

/// A flow step's action (`Action<FlowCall, Result<AuthResult, FlowError>>`) for the server
/// function at `path`. Like `ServerAction`, it starts with the error a plain form post to the same
/// URL left on this page, so the no-JavaScript page shows it too.
#[derive(Clone, Copy)]
pub struct FlowAction {
    path: &'static str,
    action: Action<FlowCall, Result<AuthResult, FlowError>>,
}

impl FlowAction {
    pub fn new(path: &'static str) -> Self {
        let left = use_context::<ServerActionError>()
            .filter(|e| e.path() == path)
            .map(|e| Err(ServerFnUrlError::<FlowError>::decode_err(e.err()).from_url()));
        // In the browser the request's future is not `Send` (one thread there); on the server,
        // where a page's owner may be dropped on another thread, the action must be `Send`.
        // The request goes to this action's own URL, whatever a dispatched `FlowCall` says.
        #[cfg(feature = "hydrate")]
        let action = Action::new_unsync_with_value(left, move |call: &FlowCall| {
            post(path, call.body.clone())
        });
        #[cfg(not(feature = "hydrate"))]
        let action =
            Action::new_with_value(left, move |call: &FlowCall| post(path, call.body.clone()));
        Self { path, action }
    }

    /// The server function's URL (the form's `action`).
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// Calls the step with form-encoded arguments (`a=1&b=2`).
    pub fn call(&self, body: String) {
        self.action.dispatch(FlowCall {
            path: self.path,
            body,
        });
    }
}

impl Deref for FlowAction {
    type Target = Action<FlowCall, Result<AuthResult, FlowError>>;

    fn deref(&self) -> &Self::Target {
        &self.action
    }
}

/// POSTs the call as `application/x-www-form-urlencoded`, asking for JSON: the answer is the
/// step's `AuthResult`, or (4xx/5xx) its `FlowError` — what the server function's own client
/// would decode. A `serverfnredirect` answer (`leptos_axum::redirect` in an app's own server
/// function) is followed as the server function's own client follows it.
#[cfg(feature = "hydrate")]
async fn post(path: &'static str, body: String) -> Result<AuthResult, FlowError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    // The request did not get an answer (offline, or the page is going away).
    let failed = |_| FlowError::new(ErrorCode::Internal);
    let window = web_sys::window().ok_or_else(|| failed(()))?;
    let headers = web_sys::Headers::new().map_err(|_| failed(()))?;
    headers
        .set("Content-Type", "application/x-www-form-urlencoded")
        .and_then(|_| headers.set("Accept", "application/json"))
        .map_err(|_| failed(()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| failed(()))?
        .dyn_into()
        .map_err(|_| failed(()))?;
    let text = JsFuture::from(response.text().map_err(|_| failed(()))?)
        .await
        .map_err(|_| failed(()))?
        .as_string()
        .unwrap_or_default();
    let answer = response.headers();
    if answer
        .has(leptos::server_fn::redirect::REDIRECT_HEADER)
        .unwrap_or(false)
    {
        if let Ok(Some(location)) = answer.get("location") {
            leptos::server_fn::redirect::call_redirect_hook(&location);
        }
    }
    let malformed =
        |e: serde_json::Error| FlowError::with_detail(ErrorCode::MalformedRequest, e.to_string());
    if (400..=599).contains(&response.status()) {
        Err(serde_json::from_str::<FlowError>(&text).map_err(malformed)?)
    } else {
        serde_json::from_str(&text).map_err(malformed)
    }
}

/// On the server an action is never dispatched: forms post themselves there.
#[cfg(not(feature = "hydrate"))]
async fn post(path: &'static str, body: String) -> Result<AuthResult, FlowError> {
    let _ = (path, body);
    Err(FlowError::new(ErrorCode::MalformedRequest))
}

/// The form's fields as a plain post sends them, with the button that submitted it.
#[cfg(feature = "hydrate")]
pub(crate) fn form_body(ev: &leptos::ev::SubmitEvent) -> Option<String> {
    use wasm_bindgen::JsCast;
    let form: web_sys::HtmlFormElement = ev.target()?.dyn_into().ok()?;
    let data = web_sys::FormData::new_with_form(&form).ok()?;
    if let Some(button) = ev.submitter() {
        if let Some(name) = button.get_attribute("name").filter(|n| !n.is_empty()) {
            let value = button.get_attribute("value").unwrap_or_default();
            data.append_with_str(&name, &value).ok()?;
        }
    }
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    Some(String::from(params.to_string()))
}
