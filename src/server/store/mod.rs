//! Storage behind narrow traits. `sqlite.rs` implements them for the embedded default; another
//! engine is another implementation of the same traits with its own migrations folder.

pub mod sqlite;

use crate::domain::session::{SessionStatus, TaskKey};
use crate::domain::sign_in::{FirstFactor, SignInStatus};
use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub password_compromised: bool,
    pub totp_secret: Option<String>,
    /// The phone is verified and reserved for SMS codes.
    pub sms_mfa: bool,
    /// The last TOTP time step accepted (replay protection).
    pub totp_last_step: Option<i64>,
    /// An authenticator-app enrolment in progress.
    pub totp_pending_secret: Option<String>,
    /// An SMS enrolment in progress: the phone being verified.
    pub sms_pending_phone: Option<String>,
    /// Backup codes generated at enrolment, kept only until shown once (JSON array).
    pub backup_codes_unseen: Option<String>,
    pub locked: bool,
    pub failed_attempts: u32,
    pub lockout_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    /// An enrolled and verified second factor whose backup codes have been shown (SPEC §4.1).
    pub fn has_second_factor(&self) -> bool {
        (self.totp_secret.is_some() || self.sms_mfa) && self.backup_codes_unseen.is_none()
    }

    /// Seconds of lockout left at `now`, or `None` when the user may try. An admin lock has no end;
    /// it reports a day.
    pub fn locked_for(&self, now: i64) -> Option<i64> {
        if self.locked {
            return Some(86_400);
        }
        self.lockout_until.filter(|u| *u > now).map(|u| u - now)
    }
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: String,
    pub last_active_session_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub status: SessionStatus,
    pub tasks: Vec<TaskKey>,
    pub active_organization_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: i64,
    pub last_active_at: i64,
    pub expire_at: i64,
}

/// A session joined with what the snapshot shows of its user and organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDetail {
    pub session: Session,
    pub user: User,
    pub organization: Option<OrganizationMembership>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationMembership {
    pub organization_id: String,
    pub name: String,
    pub slug: String,
    pub role: String,
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub user_id: String,
    pub client_id: String,
    pub tasks: Vec<TaskKey>,
    pub active_organization_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub expire_at: i64,
    /// The client's new token hash (rotated on every sign-in against fixation).
    pub client_token_hash: String,
    /// Single-session mode: end the client's other live sessions first.
    pub replace_client_sessions: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInAttempt {
    pub id: String,
    pub client_id: String,
    pub identifier: Option<String>,
    pub user_id: Option<String>,
    pub status: SignInStatus,
    pub strategy: Option<FirstFactor>,
    pub password_compromised: bool,
    pub redirect_url: Option<String>,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignUpAttempt {
    pub id: String,
    pub client_id: String,
    pub email: String,
    pub password_hash: String,
    pub legal_accepted: bool,
    pub email_verified: bool,
    /// The email already has an account: the flow looks the same but can never complete.
    pub existing_user: bool,
    pub redirect_url: Option<String>,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationCode {
    pub id: String,
    pub code_hash: String,
    pub state: crate::domain::verification::CodeState,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OutboxMessage {
    pub to: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub code: Option<String>,
    pub sent_at: i64,
}

/// Users and their credentials.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_user(&self, new: NewUser, now: i64) -> StoreResult<User>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    async fn delete_user(&self, id: &str) -> StoreResult<()>;
    async fn set_compromised(&self, id: &str, compromised: bool, now: i64) -> StoreResult<()>;
    async fn set_locked(&self, id: &str, locked: bool, now: i64) -> StoreResult<()>;
    /// Counts a failed attempt; at `max` failures the user is locked until `lock_until` and the
    /// counter restarts. Returns the lockout end, if this failure locked the user.
    async fn record_failure(
        &self,
        id: &str,
        max: u32,
        lock_until: i64,
        now: i64,
    ) -> StoreResult<Option<i64>>;
    async fn clear_failures(&self, id: &str) -> StoreResult<()>;
    /// Sets a new password hash and clears the compromised flag; with `end_other_sessions`, every
    /// live session of the user except those on `keep_client` is revoked. One transaction.
    async fn change_password(
        &self,
        id: &str,
        password_hash: &str,
        end_other_sessions: bool,
        keep_client: Option<&str>,
        now: i64,
    ) -> StoreResult<()>;
}

/// Browsers (clients) and their tokens.
#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn create_client(&self, token_hash: &str, now: i64) -> StoreResult<Client>;
    async fn client_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Client>>;
    async fn set_last_active_session(&self, id: &str, session_id: Option<&str>) -> StoreResult<()>;
    async fn client_knows_user(&self, client_id: &str, user_id: &str) -> StoreResult<bool>;
}

/// Sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Creates a session (ending the client's others when asked), makes it the client's active one,
    /// rotates the client's token, remembers the user on the client and removes the client's
    /// sign-in and sign-up attempts. One transaction.
    async fn create_session(&self, new: NewSession, now: i64) -> StoreResult<Session>;
    async fn session_by_id(&self, id: &str) -> StoreResult<Option<Session>>;
    /// The client's signed-in sessions with user and organization, most recently active first.
    async fn client_sessions(&self, client_id: &str) -> StoreResult<Vec<SessionDetail>>;
    async fn user_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>>;
    /// Stores recomputed tasks (and the status that follows from them) of a live session.
    async fn set_session_tasks(&self, id: &str, tasks: &[TaskKey]) -> StoreResult<()>;
    async fn touch_session(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Ends a live session with `status` (ended, revoked, expired).
    async fn end_session(&self, id: &str, status: SessionStatus, now: i64) -> StoreResult<bool>;
    /// Ends every live session of a client; returns how many.
    async fn end_client_sessions(&self, client_id: &str, now: i64) -> StoreResult<u64>;
}

/// Sign-in and sign-up attempts, one of each per client.
#[async_trait]
pub trait AttemptStore: Send + Sync {
    async fn put_sign_in(&self, attempt: &SignInAttempt, now: i64) -> StoreResult<()>;
    async fn sign_in_for_client(&self, client_id: &str) -> StoreResult<Option<SignInAttempt>>;
    async fn delete_sign_in(&self, client_id: &str) -> StoreResult<()>;
    async fn put_sign_up(&self, attempt: &SignUpAttempt, now: i64) -> StoreResult<()>;
    async fn sign_up_for_client(&self, client_id: &str) -> StoreResult<Option<SignUpAttempt>>;
    async fn delete_sign_up(&self, client_id: &str) -> StoreResult<()>;
}

/// One-time codes.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Issues a code for `subject` and `purpose`, replacing any earlier one.
    async fn issue_code(
        &self,
        subject: &str,
        purpose: &str,
        code_hash: &str,
        now: i64,
    ) -> StoreResult<()>;
    async fn current_code(
        &self,
        subject: &str,
        purpose: &str,
    ) -> StoreResult<Option<VerificationCode>>;
    async fn count_wrong_code(&self, id: &str) -> StoreResult<()>;
    /// Marks the code used; false if another request used it first (single use under races).
    async fn consume_code(&self, id: &str, now: i64) -> StoreResult<bool>;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub id: String,
    pub organization: Organization,
    pub user_id: String,
    pub role: String,
}

/// A member as the organization portal lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub membership_id: String,
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub created_at: i64,
}

/// An invitation to an organization (SPEC §3). `status` is `pending`, `accepted` or `revoked`;
/// a pending invitation past `expires_at` is expired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub id: String,
    pub organization: Organization,
    pub email: String,
    pub role: String,
    pub status: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub organization_id: String,
    pub email: String,
    pub role: String,
    pub token_hash: String,
    pub invited_by: Option<String>,
    pub expires_at: i64,
}

/// Organizations and memberships.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
    /// Creates an organization with its first members. One transaction; a taken slug is
    /// `Conflict("slug")`.
    async fn create_organization(
        &self,
        name: &str,
        slug: &str,
        created_by: Option<&str>,
        members: &[(String, String)],
        now: i64,
    ) -> StoreResult<Organization>;
    async fn organization_by_id(&self, id: &str) -> StoreResult<Option<Organization>>;
    async fn organization_by_slug(&self, slug: &str) -> StoreResult<Option<Organization>>;
    /// Adds a member; an existing membership is `Conflict("membership")`.
    async fn add_membership(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        now: i64,
    ) -> StoreResult<Membership>;
    /// The user's memberships, by organization name.
    async fn user_memberships(&self, user_id: &str) -> StoreResult<Vec<Membership>>;
    async fn set_session_organization(
        &self,
        session_id: &str,
        organization_id: Option<&str>,
    ) -> StoreResult<()>;
    /// The members of an organization with their email addresses, oldest first.
    async fn organization_members(&self, organization_id: &str) -> StoreResult<Vec<Member>>;
    /// Changes a member's role in one statement; demoting the last admin is
    /// `Conflict("last_admin")`, an unknown member `NotFound`.
    async fn set_member_role(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> StoreResult<()>;
    /// Removes a member (`Conflict("last_admin")` for the last admin) and, in the same
    /// transaction, clears the organization from that user's sessions.
    async fn remove_member(&self, organization_id: &str, user_id: &str) -> StoreResult<()>;
    /// Renames an organization; a taken slug is `Conflict("slug")`.
    async fn rename_organization(
        &self,
        organization_id: &str,
        name: &str,
        slug: &str,
    ) -> StoreResult<Organization>;
    /// Creates a pending invitation. An email that already belongs to a member is
    /// `Conflict("membership")`; a pending, unexpired one for the same email is
    /// `Conflict("invitation")` (an expired one is revoked first). One transaction.
    async fn create_invitation(&self, new: NewInvitation, now: i64) -> StoreResult<Invitation>;
    /// An organization's pending, unexpired invitations, newest first.
    async fn pending_invitations(
        &self,
        organization_id: &str,
        now: i64,
    ) -> StoreResult<Vec<Invitation>>;
    /// Pending, unexpired invitations addressed to `email`, newest first.
    async fn invitations_for_email(&self, email: &str, now: i64) -> StoreResult<Vec<Invitation>>;
    async fn invitation_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Invitation>>;
    async fn invitation_by_id(&self, id: &str) -> StoreResult<Option<Invitation>>;
    /// Revokes a pending invitation of the organization (`NotFound` otherwise).
    async fn revoke_invitation(
        &self,
        organization_id: &str,
        invitation_id: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// Accepts a pending, unexpired invitation for `user_id`: marks it accepted and adds the
    /// membership (an existing membership is kept) in one transaction. A used, revoked or expired
    /// invitation is `Conflict("invitation")`.
    async fn accept_invitation(
        &self,
        invitation_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Membership>;
    /// Creates a user and accepts the invitation for it in one transaction (sign-up through an
    /// invitation link): a taken email is `Conflict("email")`, an invitation no longer usable
    /// `Conflict("invitation")`, and neither leaves anything behind.
    async fn create_invited_user(
        &self,
        new: NewUser,
        invitation_id: &str,
        now: i64,
    ) -> StoreResult<(User, Membership)>;
}

/// Second factors.
#[async_trait]
pub trait MfaStore: Send + Sync {
    /// Starts (or, with `None`, clears) an authenticator-app enrolment.
    async fn set_totp_pending(&self, user_id: &str, secret: Option<&str>) -> StoreResult<()>;
    /// Starts (or clears) an SMS enrolment.
    async fn set_sms_pending(&self, user_id: &str, phone: Option<&str>) -> StoreResult<()>;
    /// Enables a verified factor — `totp` (secret, accepted step) or `sms` (phone) — clears the
    /// enrolment, replaces the backup codes with `backup_hashes` and keeps `unseen` (the codes to
    /// show once). One transaction.
    async fn enable_factor(
        &self,
        user_id: &str,
        factor: NewFactor,
        backup_hashes: &[String],
        unseen: Option<&str>,
        now: i64,
    ) -> StoreResult<()>;
    /// Turns a factor off; with `last`, the backup codes go too. One transaction.
    async fn disable_factor(
        &self,
        user_id: &str,
        factor: FactorKind,
        last: bool,
        now: i64,
    ) -> StoreResult<()>;
    /// The backup codes were shown: forget them.
    async fn mark_backup_codes_seen(&self, user_id: &str) -> StoreResult<()>;
    /// Records an accepted TOTP step; false when that step (or a later one) was used already.
    async fn record_totp_step(&self, user_id: &str, step: i64) -> StoreResult<bool>;
    /// Uses an unused backup code; false when there is none with that hash (or it was used,
    /// possibly a moment ago by a concurrent request).
    async fn use_backup_code(&self, user_id: &str, code_hash: &str, now: i64) -> StoreResult<bool>;
    /// Replaces the backup codes (the old ones stop working) and keeps `unseen` until the portal
    /// has shown them. One transaction.
    async fn regenerate_backup_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        unseen: &str,
    ) -> StoreResult<()>;
    /// The regenerated codes not shown yet, forgotten as they are taken.
    async fn take_regenerated_codes(&self, user_id: &str) -> StoreResult<Option<String>>;
    /// How many backup codes are left.
    async fn backup_codes_left(&self, user_id: &str) -> StoreResult<u32>;
}

/// A kind of second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorKind {
    Totp,
    Sms,
}

/// A factor being enabled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewFactor {
    Totp { secret: String, step: i64 },
    Sms { phone: String },
}

/// Delivered messages and rate-limit counters.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn push_message(&self, message: &OutboxMessage) -> StoreResult<()>;
    async fn messages_to(&self, to: &str) -> StoreResult<Vec<OutboxMessage>>;
}

#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Counts a hit in `bucket`'s fixed window starting at `window_start`; returns the hits so far.
    async fn hit(&self, bucket: &str, window_start: i64) -> StoreResult<u32>;
}

/// Everything the services need.
pub trait Store:
    UserStore
    + ClientStore
    + SessionStore
    + AttemptStore
    + CodeStore
    + OutboxStore
    + RateLimitStore
    + OrganizationStore
    + MfaStore
{
}

impl<T> Store for T where
    T: UserStore
        + OrganizationStore
        + MfaStore
        + ClientStore
        + SessionStore
        + AttemptStore
        + CodeStore
        + OutboxStore
        + RateLimitStore
{
}

pub(crate) fn tasks_to_text(tasks: &[TaskKey]) -> String {
    tasks
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn tasks_from_text(text: &str) -> Vec<TaskKey> {
    text.split(',').filter_map(TaskKey::parse).collect()
}
