//! Server functions: one per flow step, each at an explicit, stable URL under `/api/`. Each is
//! thin: it re-reads the caller's client and session itself, calls one service in
//! `server::flows`, sets the cookie, and answers the next URL with a fresh client snapshot (a real
//! redirect for a plain form post without JavaScript).

use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::snapshot::ClientSnapshot;
use leptos::prelude::*;
use leptos::server_fn::codec::Post;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// JSON, as server_fn's `Json` sends it, read back from text (`serde_json::from_str`) — the reader
/// hydration uses for the page's data — instead of bytes. Each answer type's decoder is then in
/// the browser's wasm once, not once per reader.
pub struct JsonTextEncoding;

/// Server functions' `output`: JSON in the body of a `POST` answer.
pub type JsonText = Post<JsonTextEncoding>;

impl ContentType for JsonTextEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonTextEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn decode(data: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&data).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

impl FromServerFnError for FlowError {
    type Encoder = JsonTextEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        FlowError::with_detail(ErrorCode::MalformedRequest, value.to_string())
    }
}

/// What every auth mutation answers: where to go next, and the client as it now is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResult {
    pub next: String,
    pub snapshot: ClientSnapshot,
}

mod account;
#[cfg(feature = "ssr")]
mod edge;
mod invitations;
mod organizations;
mod reverify;
mod sessions;
mod sign_in;
mod sign_up;
mod tasks;

pub use account::*;
/// For an app's own server functions: gives a refusal its HTTP status (`403` for `forbidden`…)
/// when a script called, as Vestibule's own server functions do.
#[cfg(feature = "ssr")]
pub use edge::set_status;
pub use invitations::*;
pub use organizations::*;
pub use reverify::*;
pub use sessions::*;
pub use sign_in::*;
pub use sign_up::*;
pub use tasks::*;

/// The caller's client snapshot (sessions, attempts in progress, public settings). Anyone may call.
#[server(prefix = "/api", endpoint = "client", output = crate::api::JsonText)]
pub async fn get_client_snapshot() -> Result<ClientSnapshot, FlowError> {
    let (state, _) = edge::request()?;
    let mut ctx = edge::client(&state).await?;
    crate::server::client::start_totp_enrolment(&state, &mut ctx).await?;
    crate::server::views::snapshot(&state, &ctx).await
}

/// Demo app data: the dashboard's view of the active session. Refuses a pending session (it is
/// signed out by default), so a task cannot be skipped by calling this directly.
#[server(prefix = "/api", endpoint = "app/whoami", output = crate::api::JsonText)]
pub async fn whoami() -> Result<crate::domain::snapshot::AuthView, FlowError> {
    require_auth(true).await
}

/// For an app's own server functions: the signed-in caller, or the error with its HTTP status
/// set (`unauthenticated` → 401), as Vestibule's own server functions answer. A pending session
/// is signed out unless `treat_pending_as_signed_out` is false
/// (README, "Session tasks for app developers").
#[cfg(feature = "ssr")]
pub async fn require_auth(
    treat_pending_as_signed_out: bool,
) -> Result<crate::domain::snapshot::AuthView, FlowError> {
    async { auth().await?.require(treat_pending_as_signed_out).cloned() }
        .await
        .inspect_err(edge::set_status)
}

/// For an app's own sensitive server function (README, "Reverification"): `Ok` when the caller's
/// session verified its factors recently enough for `level`, else the error with its status set —
/// `unauthenticated` (401) or `reverification_required` (403), which the kit's `use_reverification`
/// answers with its dialog and a retry.
#[cfg(feature = "ssr")]
pub async fn require_reverification(
    level: crate::domain::reverification::Reverification,
) -> Result<(), FlowError> {
    async { auth().await?.require_reverification(level) }
        .await
        .inspect_err(edge::set_status)
}

/// `auth()` for server functions (README, "Session tasks for app developers"): the caller's
/// [`Auth`](crate::server::auth::Auth), loaded from its own cookie — never trusted from the router
/// guard. Use `.with(treat_pending_as_signed_out)` or `.require(..)` on it.
#[cfg(feature = "ssr")]
pub async fn auth() -> Result<crate::server::auth::Auth, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    Ok(crate::server::auth::Auth::at(&ctx, state.now()))
}
