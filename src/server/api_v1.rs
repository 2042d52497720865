//! The Backend API (README, "Backend API"): bearer secret key, JSON in and out, stable error codes,
//! nothing written on bad input. Each handler parses its body, calls one service, shapes the
//! answer.

use super::client::refresh_session;
use super::clock::rfc3339;
use super::flows::{operators, required};
use super::session_tokens;
use super::state::AppState;
use super::store::{Conflict, Invitation, Membership, Organization, Session, StoreError, User};
use super::tokens::eq_ct;
use crate::domain::email::EmailAddress;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::session::SessionStatus;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use http::{header, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/users", post(create_user).get(list_users))
        .route("/v1/users/{id}", get(get_user).delete(delete_user))
        .route(
            "/v1/users/{id}/password_compromised",
            post(mark_compromised),
        )
        .route("/v1/users/{id}/lock", post(lock_user))
        .route("/v1/users/{id}/unlock", post(unlock_user))
        .route("/v1/users/{id}/sessions", get(user_sessions))
        .route("/v1/users/{id}/tasks", get(user_tasks).post(request_task))
        .route("/v1/users/{id}/tasks/{key}", delete(withdraw_task))
        .route("/v1/users/{id}/tasks/{key}/complete", post(complete_task))
        .route("/v1/sessions/{id}/revoke", post(revoke_session))
        .route("/v1/sessions/{id}/tokens", post(session_token))
        .route("/v1/signing_keys/rotate", post(rotate_signing_key))
        .route("/v1/organizations", post(create_organization))
        .route(
            "/v1/organizations/{id}",
            get(get_organization)
                .patch(update_organization)
                .delete(delete_organization),
        )
        .route("/v1/organizations/{id}/memberships", post(add_membership))
        .route(
            "/v1/organizations/{id}/invitations",
            post(create_invitation),
        )
        .route_layer(middleware::from_fn_with_state(state, require_secret_key))
}

/// An API error: `{ "errors": [{ "code", "message" }] }` with the code's status.
struct ApiError(StatusCode, FlowError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({ "errors": [{ "code": self.1.code.as_str(), "message": self.1.sentence() }] });
        (self.0, Json(body)).into_response()
    }
}

impl From<FlowError> for ApiError {
    fn from(e: FlowError) -> Self {
        Self(
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            e,
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(Conflict::LastAdmin) => Self(
                StatusCode::CONFLICT,
                FlowError::new(ErrorCode::LastAdminRequired),
            ),
            StoreError::Conflict(what) => Self(
                StatusCode::CONFLICT,
                FlowError::with_detail(ErrorCode::FormIdentifierExists, what.as_str()),
            ),
            other => FlowError::from(other).into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        Self(
            StatusCode::BAD_REQUEST,
            FlowError::with_detail(ErrorCode::MalformedRequest, e.body_text()),
        )
    }
}

type ApiResult = Result<Response, ApiError>;

async fn require_secret_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(key) = state.settings.backend.secret_key.as_deref() else {
        return ApiError(StatusCode::NOT_FOUND, ErrorCode::ResourceNotFound.into()).into_response();
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !eq_ct(given, key) {
        return ApiError(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated.into())
            .into_response();
    }
    next.run(req).await
}

/// The user resource. `locked` is true while the user is locked out for any reason: by an
/// operator (`lockout_expires_in_seconds` null) or by failed attempts (the seconds left).
pub fn user_json(u: &User, now: i64) -> Value {
    json!({
        "object": "user",
        "id": u.id,
        "email": u.email,
        "email_verified": u.email_verified,
        "phone": u.phone,
        "has_password": u.password_hash.is_some(),
        "password_compromised": u.password_compromised,
        "two_factor_enabled": u.has_second_factor(),
        "locked": u.locked_for(now).is_some(),
        "lockout_expires_in_seconds": if u.locked { None } else { u.lockout_expires_in(now) },
        "created_at": rfc3339(u.created_at),
        "legal_accepted_at": u.legal_accepted_at.map(rfc3339),
        "terms_version": u.terms_version,
    })
}

pub fn session_json(s: &Session) -> Value {
    json!({
        "object": "session",
        "id": s.id,
        "user_id": s.user_id,
        "status": s.status,
        "tasks": s.tasks,
        "active_organization_id": s.active_organization_id,
        "last_active_at": rfc3339(s.last_active_at),
        "expire_at": rfc3339(s.expire_at),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    email: String,
    password: Option<String>,
    email_verified: Option<bool>,
    phone: Option<String>,
    totp_secret: Option<String>,
}

async fn create_user(
    State(state): State<AppState>,
    body: Result<Json<CreateUser>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    let new = operators::NewAccount {
        email: body.email,
        password: body.password,
        email_verified: body.email_verified.unwrap_or(false),
        phone: body.phone,
        totp_secret: body.totp_secret,
    };
    let user = operators::create_user(&state, new).await?;
    Ok(Json(user_json(&user, state.now())).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    email: Option<String>,
}

async fn list_users(State(state): State<AppState>, Query(q): Query<ListQuery>) -> ApiResult {
    let Some(email) = q.email else {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            FlowError::with_detail(ErrorCode::FormParamMissing, "email"),
        ));
    };
    let found = match EmailAddress::parse(email.trim()) {
        Ok(e) => state.store.user_by_email(e.as_str()).await?,
        Err(_) => None,
    };
    let now = state.now();
    let data: Vec<Value> = found.iter().map(|u| user_json(u, now)).collect();
    Ok(Json(json!({ "data": data, "total_count": data.len() })).into_response())
}

async fn load_user(state: &AppState, id: &str) -> Result<User, ApiError> {
    state.store.user_by_id(id).await?.ok_or(ApiError(
        StatusCode::NOT_FOUND,
        ErrorCode::ResourceNotFound.into(),
    ))
}

async fn get_user(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(Json(user_json(&load_user(&state, &id).await?, state.now())).into_response())
}

async fn delete_user(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    state.store.delete_user(&id).await?;
    Ok(Json(json!({ "object": "user", "id": id, "deleted": true })).into_response())
}

// The store answers `NotFound` for an unknown id, which becomes a 404.
async fn mark_compromised(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    state.store.set_compromised(&id, true, state.now()).await?;
    get_user(State(state), Path(id)).await
}

async fn lock_user(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    state.store.set_locked(&id, true, state.now()).await?;
    get_user(State(state), Path(id)).await
}

async fn unlock_user(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    state.store.set_locked(&id, false, state.now()).await?;
    get_user(State(state), Path(id)).await
}

async fn user_sessions(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    load_user(&state, &id).await?;
    let sessions = state.store.user_sessions(&id).await?;
    let data: Vec<Value> = sessions.iter().map(session_json).collect();
    Ok(Json(json!({ "data": data, "total_count": data.len() })).into_response())
}

async fn revoke_session(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let Some(_) = state.store.session_by_id(&id).await? else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            ErrorCode::ResourceNotFound.into(),
        ));
    };
    state
        .store
        .end_session(&id, SessionStatus::Revoked, state.now())
        .await?;
    let session = state.store.session_by_id(&id).await?.ok_or(ApiError(
        StatusCode::NOT_FOUND,
        ErrorCode::ResourceNotFound.into(),
    ))?;
    Ok(Json(session_json(&session)).into_response())
}

/// `DELETE /v1/organizations/{id}`: the organization, its memberships and invitations.
async fn delete_organization(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    state.store.delete_organization(&id).await?;
    Ok(Json(json!({ "object": "organization", "id": id, "deleted": true })).into_response())
}

/// `POST /v1/sessions/{id}/tokens` `{ audience? }`: a session token for a live session (no
/// `azp`: no browser asked; `aud` when an audience is named). An unknown session, or one that ended, was revoked or expired, is 404.
async fn session_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Option<Json<TokenBody>>,
) -> ApiResult {
    let asked = body.and_then(|Json(b)| b.audience);
    let aud = session_tokens::audience(&state, asked.as_deref())
        .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let not_found = || ApiError(StatusCode::NOT_FOUND, ErrorCode::ResourceNotFound.into());
    let session = state
        .store
        .session_by_id(&id)
        .await?
        .ok_or_else(not_found)?;
    let detail = state
        .store
        .client_sessions(&session.client_id)
        .await?
        .into_iter()
        .find(|d| d.session.id == id)
        .ok_or_else(not_found)?;
    let detail = refresh_session(&state, detail, state.now())
        .await?
        .ok_or_else(not_found)?;
    let requested = session_tokens::Requested { azp: None, aud };
    let token = session_tokens::mint(&state, &detail, requested).await?;
    Ok(Json(json!({ "object": "token", "jwt": token.jwt })).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    #[serde(default)]
    audience: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RotateBody {
    #[serde(default)]
    revoke_previous: bool,
}

/// `POST /v1/signing_keys/rotate` `{ revoke_previous? }`: a new signing key now; the replaced one
/// stays published unless `revoke_previous` (after a suspected leak).
async fn rotate_signing_key(
    State(state): State<AppState>,
    body: Option<Json<RotateBody>>,
) -> ApiResult {
    let revoke = body.map(|Json(b)| b.revoke_previous).unwrap_or(false);
    let kid = session_tokens::rotate_now(&state, revoke).await?;
    Ok(Json(json!({ "object": "signing_key", "kid": kid })).into_response())
}

/// `GET /.well-known/jwks.json` (public): the current and previous keys, cacheable for 5 minutes
/// (a verifier that meets an unknown `kid` fetches again).
pub async fn jwks(State(state): State<AppState>) -> Response {
    let body = match session_tokens::jwks(&state).await {
        Ok(body) => body,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        http::HeaderValue::from_static("public, max-age=300"),
    );
    res
}

pub fn organization_json(o: &Organization, require_mfa: bool) -> Value {
    json!({
        "object": "organization",
        "id": o.id,
        "name": o.name,
        "slug": o.slug,
        "require_mfa": require_mfa,
        "created_at": rfc3339(o.created_at),
    })
}

pub fn membership_json(m: &Membership) -> Value {
    json!({
        "object": "membership",
        "id": m.id,
        "organization_id": m.organization.id,
        "user_id": m.user_id,
        "role": m.role,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberInput {
    user_id: String,
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateOrganization {
    name: String,
    slug: Option<String>,
    created_by: Option<String>,
    members: Option<Vec<MemberInput>>,
}

async fn create_organization(
    State(state): State<AppState>,
    body: Result<Json<CreateOrganization>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    let new = operators::NewOrganization {
        name: body.name,
        slug: body.slug,
        created_by: body.created_by,
        members: body
            .members
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.user_id, m.role))
            .collect(),
    };
    let org = operators::create_organization(&state, new).await?;
    Ok(Json(organization_json(&org, false)).into_response())
}

async fn get_organization(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let org = state.store.organization_by_id(&id).await?.ok_or(ApiError(
        StatusCode::NOT_FOUND,
        ErrorCode::ResourceNotFound.into(),
    ))?;
    let require_mfa = state.store.organization_requires_mfa(&org.id).await?;
    Ok(Json(organization_json(&org, require_mfa)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateOrganization {
    require_mfa: Option<bool>,
}

/// `PATCH /v1/organizations/{id} { require_mfa }` (README, "Custom tasks"): members without a
/// second factor owe `setup-mfa` while the organization is active in their session.
async fn update_organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<UpdateOrganization>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    if let Some(on) = body.require_mfa {
        required::set_organization_require_mfa(&state, &id, on).await?;
    }
    get_organization(State(state), Path(id)).await
}

fn tasks_json(tasks: &[required::OwedTask]) -> Value {
    let data: Vec<Value> = tasks
        .iter()
        .map(|t| json!({ "object": "user_task", "key": t.key, "requested": t.requested }))
        .collect();
    json!({ "data": data, "total_count": data.len() })
}

/// `GET /v1/users/{id}/tasks`: what the user owes (README, "Custom tasks").
async fn user_tasks(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(Json(tasks_json(&required::list(&state, &id).await?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskInput {
    key: String,
}

/// `POST /v1/users/{id}/tasks { key }`: the user owes the task from the next request of each of
/// their live sessions.
async fn request_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<TaskInput>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    Ok(Json(tasks_json(
        &required::request(&state, &id, &body.key).await?,
    ))
    .into_response())
}

/// `POST /v1/users/{id}/tasks/{key}/complete` (app-defined tasks).
async fn complete_task(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult {
    Ok(Json(tasks_json(
        &required::complete_for(&state, &id, &key).await?,
    ))
    .into_response())
}

/// `DELETE /v1/users/{id}/tasks/{key}`.
async fn withdraw_task(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult {
    Ok(Json(tasks_json(&required::withdraw(&state, &id, &key).await?)).into_response())
}

async fn add_membership(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<MemberInput>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    let membership = operators::add_member(&state, &id, &body.user_id, &body.role).await?;
    Ok(Json(membership_json(&membership)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationInput {
    email: String,
    role: String,
}

pub fn invitation_json(i: &Invitation, url: Option<&str>) -> Value {
    json!({
        "object": "organization_invitation",
        "id": i.id,
        "organization_id": i.organization.id,
        "email": i.email,
        "role": i.role,
        "status": i.status,
        "url": url,
        "created_at": rfc3339(i.created_at),
        "expires_at": rfc3339(i.expires_at),
    })
}

/// `POST /v1/organizations/{id}/invitations { email, role }`: creates the invitation, emails its
/// link and answers it with the link (`url`).
async fn create_invitation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<InvitationInput>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    if id.len() > 64 {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            ErrorCode::ResourceNotFound.into(),
        ));
    }
    let (invitation, url) = crate::server::flows::organizations::send_invitation(
        &state,
        &id,
        &body.email,
        &body.role,
        None,
    )
    .await?;
    Ok((
        StatusCode::OK,
        Json(invitation_json(&invitation, Some(&url))),
    )
        .into_response())
}
