//! What the Backend API does for operators (README, "Backend API"), as services: creating users and
//! organizations. Every value is validated here and nothing is silently cleaned up; a refusal is
//! a stable code with the field it is about (422), or a conflict (409).

use super::FlowResult;
use crate::domain::email::EmailAddress;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::organization::{is_known_role, parse_name_and_slug, ROLE_ADMIN};
use crate::domain::password::MAX_PASSWORD_CHARS;
use crate::server::state::AppState;
use crate::server::store::{Conflict, NewUser, Organization, StoreError, User};

fn invalid(field: &str) -> FlowError {
    FlowError::with_detail(ErrorCode::FormParamFormatInvalid, field)
}

fn too_long(field: &str) -> FlowError {
    FlowError::with_detail(ErrorCode::FormParamTooLong, field)
}

/// `POST /v1/users`.
#[derive(Clone, Debug, Default)]
pub struct NewAccount {
    pub email: String,
    pub password: Option<String>,
    pub email_verified: bool,
    /// E.164, exactly (`+15550100199`).
    pub phone: Option<String>,
    /// Base32 (RFC 4648, no padding).
    pub totp_secret: Option<String>,
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

/// Creates a user; a taken email is `form_identifier_exists` (409).
pub async fn create_user(state: &AppState, new: NewAccount) -> FlowResult<User> {
    if new.email.len() > EmailAddress::MAX_LEN {
        return Err(too_long("email"));
    }
    let email = EmailAddress::parse(&new.email).map_err(|_| invalid("email"))?;
    if let Some(p) = &new.password {
        if p.chars().count() > MAX_PASSWORD_CHARS {
            return Err(too_long("password"));
        }
        if p.is_empty() {
            return Err(invalid("password"));
        }
    }
    if let Some(p) = &new.phone {
        if p.len() > 32 {
            return Err(too_long("phone"));
        }
        if !valid_phone(p) {
            return Err(invalid("phone"));
        }
    }
    if let Some(t) = &new.totp_secret {
        if t.len() > 128 {
            return Err(too_long("totp_secret"));
        }
        if !valid_base32(t) {
            return Err(invalid("totp_secret"));
        }
    }
    let taken = || FlowError::with_detail(ErrorCode::FormIdentifierExists, "email");
    if state.store.user_by_email(email.as_str()).await?.is_some() {
        return Err(taken());
    }
    let password_hash = match new.password {
        Some(p) => Some(state.hasher.hash(p).await.map_err(FlowError::from)?),
        None => None,
    };
    state
        .store
        .create_user(
            NewUser {
                email: email.to_string(),
                email_verified: new.email_verified,
                phone: new.phone,
                password_hash,
                totp_secret: new.totp_secret,
                legal_accepted: false,
                terms_version: None,
            },
            state.now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Conflict::Email) => taken(),
            other => other.into(),
        })
}

/// `POST /v1/organizations`.
#[derive(Clone, Debug, Default)]
pub struct NewOrganization {
    pub name: String,
    /// As given (derived from the name when absent; an empty one is refused).
    pub slug: Option<String>,
    /// Becomes `org:admin`.
    pub created_by: Option<String>,
    /// `(user_id, role)`.
    pub members: Vec<(String, String)>,
}

/// Checks that a user named in the body exists (422 when not: the id is a value, not the
/// resource).
async fn existing_user(state: &AppState, id: &str, field: &str) -> FlowResult<()> {
    if id.len() > 64 {
        return Err(too_long(field));
    }
    match state.store.user_by_id(id).await? {
        Some(_) => Ok(()),
        None => Err(invalid(field)),
    }
}

/// Creates an organization with its first members in one transaction; a taken slug is
/// `organization_slug_taken` (409).
pub async fn create_organization(
    state: &AppState,
    new: NewOrganization,
) -> FlowResult<Organization> {
    if new.slug.as_deref() == Some("") {
        return Err(invalid("Slug"));
    }
    let (name, slug) = parse_name_and_slug(&new.name, new.slug.as_deref())?;
    let mut members: Vec<(String, String)> = Vec::new();
    for (user_id, role) in new.members {
        if !is_known_role(&role) {
            return Err(invalid("members.role"));
        }
        existing_user(state, &user_id, "members.user_id").await?;
        if members.iter().any(|(u, _)| *u == user_id) {
            return Err(invalid("members.user_id"));
        }
        members.push((user_id, role));
    }
    if let Some(creator) = &new.created_by {
        existing_user(state, creator, "created_by").await?;
        if !members.iter().any(|(u, _)| u == creator) {
            members.push((creator.clone(), ROLE_ADMIN.to_string()));
        }
    }
    state
        .store
        .create_organization(
            &name,
            slug.as_str(),
            new.created_by.as_deref(),
            &members,
            state.now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Conflict::Slug) => ErrorCode::OrganizationSlugTaken.into(),
            other => other.into(),
        })
}

/// Adds a member (`org:admin` or `org:member`); an existing membership is 409.
pub async fn add_member(
    state: &AppState,
    organization_id: &str,
    user_id: &str,
    role: &str,
) -> FlowResult<crate::server::store::Membership> {
    if !is_known_role(role) {
        return Err(invalid("role"));
    }
    existing_user(state, user_id, "user_id").await?;
    state
        .store
        .add_membership(organization_id, user_id, role, state.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Conflict::Membership) => {
                FlowError::with_detail(ErrorCode::FormIdentifierExists, "membership")
            }
            other => other.into(),
        })
}
