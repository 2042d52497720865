//! Rows as the queries return them (`sqlx::FromRow`, the same on both engines: times are 64-bit
//! integers, booleans are booleans), the column lists that produce them, and their records.

use super::records::*;
use super::sealed::{BACKUP_CODES_UNSEEN, TOTP_PENDING_SECRET, TOTP_SECRET};
use super::{tasks_from_text, Conflict, StoreError, StoreResult};
use crate::domain::session::SessionStatus;
use crate::server::secrets::Keyring;

/// Every column of `users`, qualified (for joins).
pub const USER_COLUMNS: &str = "users.id, users.email, users.email_verified, users.phone, \
    users.password_hash, users.password_compromised, users.totp_secret, users.sms_mfa, \
    users.totp_last_step, users.totp_pending_secret, users.totp_pending_session, \
    users.sms_pending_phone, users.sms_pending_session, users.backup_codes_unseen, \
    users.backup_codes_session, users.locked, users.failed_attempts, users.lockout_until, \
    users.created_at, users.updated_at, users.terms_version, users.legal_accepted_at, \
    (SELECT string_agg(ut.task_key, ',') FROM user_tasks ut WHERE ut.user_id = users.id \
      AND ut.requested_at IS NOT NULL) AS requested_tasks, \
    (SELECT string_agg(ut.task_key, ',') FROM user_tasks ut WHERE ut.user_id = users.id \
      AND ut.completed_at IS NOT NULL) AS completed_tasks";

#[derive(sqlx::FromRow)]
pub struct UserRow {
    id: String,
    email: String,
    email_verified: bool,
    phone: Option<String>,
    password_hash: Option<String>,
    password_compromised: bool,
    totp_secret: Option<String>,
    sms_mfa: bool,
    totp_last_step: Option<i64>,
    totp_pending_secret: Option<String>,
    totp_pending_session: Option<String>,
    sms_pending_phone: Option<String>,
    sms_pending_session: Option<String>,
    backup_codes_unseen: Option<String>,
    backup_codes_session: Option<String>,
    locked: bool,
    failed_attempts: i64,
    lockout_until: Option<i64>,
    created_at: i64,
    updated_at: i64,
    terms_version: Option<String>,
    legal_accepted_at: Option<i64>,
    requested_tasks: Option<String>,
    completed_tasks: Option<String>,
}

impl UserRow {
    /// The user, its sealed columns opened (README, "Encryption at rest").
    pub fn open(self, keyring: &Keyring) -> StoreResult<User> {
        let r = self;
        let totp_secret = TOTP_SECRET.open_opt(keyring, &r.id, r.totp_secret)?;
        let totp_pending_secret =
            TOTP_PENDING_SECRET.open_opt(keyring, &r.id, r.totp_pending_secret)?;
        let backup_codes_unseen =
            BACKUP_CODES_UNSEEN.open_opt(keyring, &r.id, r.backup_codes_unseen)?;
        Ok(User {
            id: r.id,
            email: r.email,
            email_verified: r.email_verified,
            phone: r.phone,
            password_hash: r.password_hash,
            password_compromised: r.password_compromised,
            totp_secret,
            sms_mfa: r.sms_mfa,
            totp_last_step: r.totp_last_step,
            totp_pending_secret,
            totp_pending_session: r.totp_pending_session,
            sms_pending_phone: r.sms_pending_phone,
            sms_pending_session: r.sms_pending_session,
            backup_codes_unseen,
            backup_codes_session: r.backup_codes_session,
            locked: r.locked,
            failed_attempts: r.failed_attempts.max(0) as u32,
            lockout_until: r.lockout_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
            terms_version: r.terms_version,
            legal_accepted_at: r.legal_accepted_at,
            requested_tasks: tasks_from_text(r.requested_tasks.as_deref().unwrap_or("")),
            completed_tasks: r
                .completed_tasks
                .unwrap_or_default()
                .split(',')
                .filter(|k| !k.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

/// Every column of `sessions` the records use.
pub const SESSION_COLUMNS: &str = "id, user_id, client_id, status, tasks, \
    active_organization_id, user_agent, ip, created_at, last_active_at, expire_at, \
    first_factor_at, second_factor_at";

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    id: String,
    user_id: String,
    client_id: String,
    status: String,
    tasks: String,
    active_organization_id: Option<String>,
    user_agent: Option<String>,
    ip: Option<String>,
    created_at: i64,
    last_active_at: i64,
    expire_at: i64,
    first_factor_at: i64,
    second_factor_at: Option<i64>,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> StoreResult<Self> {
        Ok(Session {
            status: SessionStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("session status {}", r.status)))?,
            tasks: tasks_from_text(&r.tasks),
            id: r.id,
            user_id: r.user_id,
            client_id: r.client_id,
            active_organization_id: r.active_organization_id,
            user_agent: r.user_agent,
            ip: r.ip,
            created_at: r.created_at,
            last_active_at: r.last_active_at,
            expire_at: r.expire_at,
            first_factor_at: r.first_factor_at,
            second_factor_at: r.second_factor_at,
        })
    }
}

/// A client's session joined with its user (unprefixed columns) and active organization: the
/// one query behind every request's client context.
pub const SESSION_DETAIL_COLUMNS: &str = "s.id AS s_id, s.user_id AS s_user_id, \
    s.client_id AS s_client_id, s.status AS s_status, s.tasks AS s_tasks, \
    s.active_organization_id AS s_active_organization_id, s.user_agent AS s_user_agent, \
    s.ip AS s_ip, s.created_at AS s_created_at, s.last_active_at AS s_last_active_at, \
    s.expire_at AS s_expire_at, s.first_factor_at AS s_first_factor_at, \
    s.second_factor_at AS s_second_factor_at, o.name AS org_name, o.slug AS org_slug, \
    m.role AS org_role, o.require_mfa AS org_require_mfa, \
    EXISTS (SELECT 1 FROM memberships um WHERE um.user_id = s.user_id) AS has_memberships, \
    EXISTS (SELECT 1 FROM invitations ui WHERE ui.email = users.email \
      AND ui.status = 'pending') AS has_invitations";

#[derive(sqlx::FromRow)]
pub struct SessionDetailRow {
    #[sqlx(flatten)]
    user: UserRow,
    s_id: String,
    s_user_id: String,
    s_client_id: String,
    s_status: String,
    s_tasks: String,
    s_active_organization_id: Option<String>,
    s_user_agent: Option<String>,
    s_ip: Option<String>,
    s_created_at: i64,
    s_last_active_at: i64,
    s_expire_at: i64,
    s_first_factor_at: i64,
    s_second_factor_at: Option<i64>,
    org_name: Option<String>,
    org_slug: Option<String>,
    org_role: Option<String>,
    org_require_mfa: Option<bool>,
    has_memberships: bool,
    has_invitations: bool,
}

impl SessionDetailRow {
    /// The session with its user (its sealed columns opened) and organization.
    pub fn open(self, keyring: &Keyring) -> StoreResult<SessionDetail> {
        let r = self;
        let session = Session::try_from(SessionRow {
            id: r.s_id,
            user_id: r.s_user_id,
            client_id: r.s_client_id,
            status: r.s_status,
            tasks: r.s_tasks,
            active_organization_id: r.s_active_organization_id,
            user_agent: r.s_user_agent,
            ip: r.s_ip,
            created_at: r.s_created_at,
            last_active_at: r.s_last_active_at,
            expire_at: r.s_expire_at,
            first_factor_at: r.s_first_factor_at,
            second_factor_at: r.s_second_factor_at,
        })?;
        // A membership removed meanwhile leaves the session without an organization.
        let organization = match (&session.active_organization_id, r.org_name, r.org_role) {
            (Some(id), Some(name), Some(role)) => Some(OrganizationMembership {
                organization_id: id.clone(),
                name,
                slug: r.org_slug.unwrap_or_default(),
                role,
                require_mfa: r.org_require_mfa.unwrap_or(false),
            }),
            _ => None,
        };
        Ok(SessionDetail {
            session,
            user: r.user.open(keyring)?,
            organization,
            has_memberships: r.has_memberships,
            has_invitations: r.has_invitations,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct SignInRow {
    id: String,
    client_id: String,
    version: i64,
    state: String,
    redirect_url: Option<String>,
    code_sent_at: Option<i64>,
    expires_at: i64,
}

impl TryFrom<SignInRow> for SignInAttempt {
    type Error = StoreError;
    fn try_from(r: SignInRow) -> StoreResult<Self> {
        Ok(SignInAttempt {
            state: state_from(&r.state)?,
            id: r.id,
            client_id: r.client_id,
            version: r.version,
            redirect_url: r.redirect_url,
            code_sent_at: r.code_sent_at,
            expires_at: r.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct SignUpRow {
    id: String,
    client_id: String,
    state: String,
    redirect_url: Option<String>,
    code_sent_at: Option<i64>,
    expires_at: i64,
}

impl TryFrom<SignUpRow> for SignUpAttempt {
    type Error = StoreError;
    fn try_from(r: SignUpRow) -> StoreResult<Self> {
        Ok(SignUpAttempt {
            state: state_from(&r.state)?,
            id: r.id,
            client_id: r.client_id,
            redirect_url: r.redirect_url,
            code_sent_at: r.code_sent_at,
            expires_at: r.expires_at,
        })
    }
}

/// An attempt's state from its JSON column.
fn state_from<T: serde::de::DeserializeOwned>(json: &str) -> StoreResult<T> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("attempt state: {e}")))
}

/// An attempt's state as its JSON column.
pub fn state_json<T: serde::Serialize>(state: &T) -> StoreResult<String> {
    serde_json::to_string(state).map_err(|e| StoreError::Corrupt(format!("attempt state: {e}")))
}

#[derive(sqlx::FromRow)]
pub struct OutboxRow {
    channel: String,
    to_addr: String,
    template: String,
    subject: String,
    body: String,
    code: Option<String>,
    sent_at: i64,
}

impl From<OutboxRow> for OutboxMessage {
    fn from(r: OutboxRow) -> Self {
        OutboxMessage {
            to: r.to_addr,
            channel: r.channel,
            template: r.template,
            subject: r.subject,
            body: r.body,
            code: r.code,
            sent_at: r.sent_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct OrganizationRow {
    id: String,
    name: String,
    slug: String,
    created_at: i64,
}

impl From<OrganizationRow> for Organization {
    fn from(r: OrganizationRow) -> Self {
        Organization {
            id: r.id,
            name: r.name,
            slug: r.slug,
            created_at: r.created_at,
        }
    }
}

/// A membership joined with its organization (`m_` and `o_` columns).
#[derive(sqlx::FromRow)]
pub struct MembershipRow {
    m_id: String,
    m_user_id: String,
    m_role: String,
    o_id: String,
    o_name: String,
    o_slug: String,
    o_created_at: i64,
}

impl From<MembershipRow> for Membership {
    fn from(r: MembershipRow) -> Self {
        Membership {
            id: r.m_id,
            organization: Organization {
                id: r.o_id,
                name: r.o_name,
                slug: r.o_slug,
                created_at: r.o_created_at,
            },
            user_id: r.m_user_id,
            role: r.m_role,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct MemberRow {
    id: String,
    user_id: String,
    email: String,
    role: String,
    created_at: i64,
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Self {
        Member {
            membership_id: r.id,
            user_id: r.user_id,
            email: r.email,
            role: r.role,
            created_at: r.created_at,
        }
    }
}

/// An invitation joined with its organization.
pub const INVITATION_COLUMNS: &str = "i.id AS i_id, i.email AS i_email, i.role AS i_role, \
    i.status AS i_status, i.created_at AS i_created_at, i.expires_at AS i_expires_at, \
    o.id AS o_id, o.name AS o_name, o.slug AS o_slug, o.created_at AS o_created_at";

#[derive(sqlx::FromRow)]
pub struct InvitationRow {
    i_id: String,
    i_email: String,
    i_role: String,
    i_status: String,
    i_created_at: i64,
    i_expires_at: i64,
    o_id: String,
    o_name: String,
    o_slug: String,
    o_created_at: i64,
}

impl From<InvitationRow> for Invitation {
    fn from(r: InvitationRow) -> Self {
        Invitation {
            id: r.i_id,
            organization: Organization {
                id: r.o_id,
                name: r.o_name,
                slug: r.o_slug,
                created_at: r.o_created_at,
            },
            email: r.i_email,
            role: r.i_role,
            status: r.i_status,
            created_at: r.i_created_at,
            expires_at: r.i_expires_at,
        }
    }
}

/// A unique violation is the conflict `what`; anything else is a database error.
pub fn conflict_or(e: sqlx::Error, what: Conflict) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Db(e),
    }
}
