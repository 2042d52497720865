//! Testing endpoints (README, "Configuration (`Leptos.toml`)"), mounted only when `testing.enabled`
//! is on.

use super::client::load_client;
use super::clock::rfc3339;
use super::cookies::client_cookie;
use super::flows::sessions::{start_session, StartSession};
use super::flows::{ensure_client, RequestInfo};
use super::http::error_response;
use super::state::AppState;
use crate::domain::errors::ErrorCode;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{header, HeaderMap};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__testing/outbox", get(outbox))
        .route("/__testing/sign-in", post(sign_in))
        .route("/__testing/age-verification", post(age_verification))
}

#[derive(Deserialize)]
struct OutboxQuery {
    to: String,
}

async fn outbox(State(state): State<AppState>, Query(q): Query<OutboxQuery>) -> Response {
    match state.store.messages_to(q.to.trim()).await {
        Ok(list) => Json(
            list.into_iter()
                .map(|m| {
                    serde_json::json!({
                        "to": m.to, "channel": m.channel, "template": m.template,
                        "subject": m.subject, "body": m.body, "code": m.code,
                        "sent_at": rfc3339(m.sent_at),
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => error_response(&e.into(), false, None),
    }
}

#[derive(Deserialize)]
struct SignInBody {
    email: String,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<SignInBody>,
) -> Response {
    let result = async {
        let ctx = load_client(&state, &headers).await?;
        let user = state
            .store
            .user_by_email(&body.email.trim().to_lowercase())
            .await?
            .ok_or(crate::domain::errors::FlowError::new(
                ErrorCode::ResourceNotFound,
            ))?;
        let (client, _) = ensure_client(&state, &ctx).await?;
        let req = RequestInfo::new(headers.clone(), None);
        // A complete sign-in, as if every factor had been proven.
        let start = StartSession {
            second_factor: user.has_second_factor(),
            ..Default::default()
        };
        start_session(&state, &client.id, &req, &user, start).await
    }
    .await;
    match result {
        Ok((session, out)) => {
            let mut res = Json(serde_json::json!({
                "session_id": session.id, "status": session.status, "tasks": session.tasks,
                "next": out.next,
            }))
            .into_response();
            if let Some(c) = out
                .new_token
                .and_then(|t| client_cookie(&t, state.https()).parse().ok())
            {
                res.headers_mut().insert(header::SET_COOKIE, c);
            }
            res
        }
        Err(e) => error_response(&e, false, None),
    }
}

#[derive(Deserialize)]
struct AgeBody {
    email: String,
    seconds: i64,
}

/// Moves when each live session of the user last verified its factors `seconds` into the past,
/// so a browser test can meet a reverification (README, "Reverification") without waiting 10
/// minutes.
async fn age_verification(State(state): State<AppState>, Json(body): Json<AgeBody>) -> Response {
    let result = async {
        let user = state
            .store
            .user_by_email(&body.email.trim().to_lowercase())
            .await?
            .ok_or(crate::domain::errors::FlowError::new(
                ErrorCode::ResourceNotFound,
            ))?;
        let at = state.now() - body.seconds.clamp(0, 365 * 86_400);
        let mut aged = 0;
        for s in state.store.user_sessions(&user.id).await? {
            if s.status.is_signed_in() {
                state.store.set_first_factor_verified(&s.id, at).await?;
                if s.second_factor_at.is_some() {
                    state.store.set_second_factor_verified(&s.id, at).await?;
                }
                aged += 1;
            }
        }
        Ok::<_, crate::domain::errors::FlowError>(aged)
    }
    .await;
    match result {
        Ok(aged) => Json(serde_json::json!({ "sessions": aged })).into_response(),
        Err(e) => error_response(&e, false, None),
    }
}
