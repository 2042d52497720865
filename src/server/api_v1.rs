//! The Backend API (SPEC §12), users part: bearer secret key, JSON in and out, stable error codes,
//! nothing written on bad input.

use super::clock::rfc3339;
use super::state::AppState;
use super::store::{Invitation, Membership, NewUser, Organization, Session, StoreError, User};
use super::tokens::eq_ct;
use crate::domain::email::EmailAddress;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::organization::{is_known_role, parse_name, OrganizationSlug, ROLE_ADMIN};
use crate::domain::password::MAX_PASSWORD_CHARS;
use crate::domain::session::SessionStatus;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
        .route("/v1/sessions/{id}/revoke", post(revoke_session))
        .route("/v1/organizations", post(create_organization))
        .route("/v1/organizations/{id}", get(get_organization))
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
            StoreError::Conflict(what) => Self(
                StatusCode::CONFLICT,
                FlowError::with_detail(ErrorCode::FormIdentifierExists, what),
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

fn invalid(field: &str) -> ApiError {
    ApiError(
        StatusCode::UNPROCESSABLE_ENTITY,
        FlowError::with_detail(ErrorCode::FormParamFormatInvalid, field),
    )
}

fn too_long(field: &str) -> ApiError {
    ApiError(
        StatusCode::UNPROCESSABLE_ENTITY,
        FlowError::with_detail(ErrorCode::FormParamTooLong, field),
    )
}

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

/// The API takes phone numbers exactly in E.164 form (nothing is cleaned up).
fn valid_phone(p: &str) -> bool {
    crate::domain::phone::parse_phone(p).as_deref() == Some(p)
}

fn valid_base32(s: &str) -> bool {
    (16..=128).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
}

async fn create_user(
    State(state): State<AppState>,
    body: Result<Json<CreateUser>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    if body.email.len() > EmailAddress::MAX_LEN {
        return Err(too_long("email"));
    }
    let email = EmailAddress::parse(&body.email).map_err(|_| invalid("email"))?;
    if let Some(p) = &body.password {
        if p.chars().count() > MAX_PASSWORD_CHARS {
            return Err(too_long("password"));
        }
        if p.is_empty() {
            return Err(invalid("password"));
        }
    }
    if let Some(p) = &body.phone {
        if p.len() > 32 {
            return Err(too_long("phone"));
        }
        if !valid_phone(p) {
            return Err(invalid("phone"));
        }
    }
    if let Some(t) = &body.totp_secret {
        if t.len() > 128 {
            return Err(too_long("totp_secret"));
        }
        if !valid_base32(t) {
            return Err(invalid("totp_secret"));
        }
    }
    if state.store.user_by_email(email.as_str()).await?.is_some() {
        return Err(ApiError(
            StatusCode::CONFLICT,
            FlowError::with_detail(ErrorCode::FormIdentifierExists, "email"),
        ));
    }
    let password_hash = match body.password {
        Some(p) => Some(
            state
                .hasher
                .hash(p)
                .await
                .map_err(|e| ApiError::from(super::client::internal(e)))?,
        ),
        None => None,
    };
    let user = state
        .store
        .create_user(
            NewUser {
                email: email.to_string(),
                email_verified: body.email_verified.unwrap_or(false),
                phone: body.phone,
                password_hash,
                totp_secret: body.totp_secret,
            },
            state.now(),
        )
        .await?;
    Ok((StatusCode::OK, Json(user_json(&user, state.now()))).into_response())
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

pub fn organization_json(o: &Organization) -> Value {
    json!({
        "object": "organization",
        "id": o.id,
        "name": o.name,
        "slug": o.slug,
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

/// Checks that the user exists (422 when not: the id is a value in the body, not the resource).
async fn existing_user(state: &AppState, id: &str, field: &str) -> Result<(), ApiError> {
    if id.len() > 64 {
        return Err(too_long(field));
    }
    match state.store.user_by_id(id).await? {
        Some(_) => Ok(()),
        None => Err(invalid(field)),
    }
}

async fn create_organization(
    State(state): State<AppState>,
    body: Result<Json<CreateOrganization>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    if body.name.chars().count() > crate::domain::organization::MAX_NAME_CHARS {
        return Err(too_long("name"));
    }
    let name = parse_name(&body.name).ok_or_else(|| invalid("name"))?;
    let slug = match &body.slug {
        Some(s) if s.len() > crate::domain::organization::MAX_SLUG_LEN => {
            return Err(too_long("slug"))
        }
        Some(s) => OrganizationSlug::parse(s).ok_or_else(|| invalid("slug"))?,
        None => OrganizationSlug::from_name(&name).ok_or_else(|| invalid("slug"))?,
    };
    let mut members: Vec<(String, String)> = Vec::new();
    for m in body.members.unwrap_or_default() {
        if !is_known_role(&m.role) {
            return Err(invalid("members.role"));
        }
        existing_user(&state, &m.user_id, "members.user_id").await?;
        if members.iter().any(|(u, _)| *u == m.user_id) {
            return Err(invalid("members.user_id"));
        }
        members.push((m.user_id, m.role));
    }
    if let Some(creator) = &body.created_by {
        existing_user(&state, creator, "created_by").await?;
        if !members.iter().any(|(u, _)| u == creator) {
            members.push((creator.clone(), ROLE_ADMIN.to_string()));
        }
    }
    let org = state
        .store
        .create_organization(
            &name,
            slug.as_str(),
            body.created_by.as_deref(),
            &members,
            state.now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError(
                StatusCode::CONFLICT,
                FlowError::new(ErrorCode::OrganizationSlugTaken),
            ),
            other => other.into(),
        })?;
    Ok(Json(organization_json(&org)).into_response())
}

async fn get_organization(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let org = state.store.organization_by_id(&id).await?.ok_or(ApiError(
        StatusCode::NOT_FOUND,
        ErrorCode::ResourceNotFound.into(),
    ))?;
    Ok(Json(organization_json(&org)).into_response())
}

async fn add_membership(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<MemberInput>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    if !is_known_role(&body.role) {
        return Err(invalid("role"));
    }
    existing_user(&state, &body.user_id, "user_id").await?;
    let membership = state
        .store
        .add_membership(&id, &body.user_id, &body.role, state.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError(
                StatusCode::CONFLICT,
                FlowError::with_detail(ErrorCode::FormIdentifierExists, "membership"),
            ),
            other => other.into(),
        })?;
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
