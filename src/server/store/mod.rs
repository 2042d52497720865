//! Storage behind narrow traits. `sqlite.rs` implements them for the embedded default; another
//! engine is another implementation of the same traits with its own migrations folder.

pub mod sqlite;

use crate::domain::session::{SessionStatus, TaskKey};
use crate::domain::sign_in::SignInState;
use crate::domain::sign_up::SignUpState;
use crate::domain::snapshot::InvitationStatus;
use crate::domain::verification::CodePurpose;
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
    /// An authenticator-app enrolment in progress, and the session that started it (only that
    /// session sees the secret or finishes the enrolment).
    pub totp_pending_secret: Option<String>,
    pub totp_pending_session: Option<String>,
    /// An SMS enrolment in progress: the phone being verified, and the session verifying it.
    pub sms_pending_phone: Option<String>,
    pub sms_pending_session: Option<String>,
    /// Backup codes generated at enrolment, kept only until the enrolling session confirms it saw
    /// them (JSON array).
    pub backup_codes_unseen: Option<String>,
    /// The session that enrolled the factor and is shown the codes (no other session is).
    pub backup_codes_session: Option<String>,
    pub locked: bool,
    pub failed_attempts: u32,
    pub lockout_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    /// An enrolled and verified second factor: it applies at sign-in from the moment it is
    /// verified, whether or not its backup codes have been shown yet.
    pub fn has_second_factor(&self) -> bool {
        self.totp_secret.is_some() || self.sms_mfa
    }

    /// The verified phone that receives SMS codes.
    pub fn sms_phone(&self) -> Option<&str> {
        self.phone.as_deref().filter(|_| self.sms_mfa)
    }

    /// The authenticator secret `session_id` is enrolling, if it started one.
    pub fn totp_pending_for(&self, session_id: &str) -> Option<&str> {
        self.totp_pending_secret
            .as_deref()
            .filter(|_| self.totp_pending_session.as_deref() == Some(session_id))
    }

    /// The phone `session_id` is verifying, if it started it.
    pub fn sms_pending_for(&self, session_id: &str) -> Option<&str> {
        self.sms_pending_phone
            .as_deref()
            .filter(|_| self.sms_pending_session.as_deref() == Some(session_id))
    }

    /// `session_id` enrolled the factor and has not confirmed the backup codes yet.
    pub fn backup_codes_pending_for(&self, session_id: &str) -> bool {
        self.backup_codes_unseen.is_some()
            && self.backup_codes_session.as_deref() == Some(session_id)
    }

    /// Seconds of lockout left at `now`, or `None` when the user may try. An admin lock has no end;
    /// it reports a day.
    pub fn locked_for(&self, now: i64) -> Option<i64> {
        if self.locked {
            return Some(86_400);
        }
        self.lockout_expires_in(now)
    }

    /// Seconds left of a lockout by failures (`None` when there is none).
    pub fn lockout_expires_in(&self, now: i64) -> Option<i64> {
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
    /// When the session last proved the first factor (a sign-in, or the password re-entered).
    pub first_factor_at: i64,
    /// When the session last proved a second factor, if ever.
    pub second_factor_at: Option<i64>,
}

/// A session joined with what the snapshot shows of its user and organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDetail {
    pub session: Session,
    pub user: User,
    pub organization: Option<OrganizationMembership>,
}

/// How recent a first-factor verification stands in for the password (SPEC §9.4).
pub const REVERIFY_WINDOW_SECS: i64 = 600;

impl SessionDetail {
    /// The session proved its first factor within `window` seconds before `now`.
    pub fn first_factor_within(&self, now: i64, window: i64) -> bool {
        now - self.session.first_factor_at <= window
    }
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
    /// The sign-in proved a second factor.
    pub second_factor: bool,
    /// Forgot-password: the new password, set in the same transaction as the session.
    pub password_change: Option<PasswordChange>,
    /// The sign-in attempt this session completes: consumed in the same transaction, so one
    /// attempt never makes two sessions (`Conflict("attempt")` when it is already gone).
    pub completes_attempt: Option<String>,
}

/// A new password hash, and whether the user's other live sessions end with the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordChange {
    pub hash: String,
    pub end_other_sessions: bool,
}

/// A sign-in attempt (one per client): the state machine's state plus what the guarded
/// statements count. `version` makes every transition a compare-and-set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInAttempt {
    pub id: String,
    pub client_id: String,
    pub version: i64,
    pub state: SignInState,
    pub redirect_url: Option<String>,
    /// When the attempt last sent a code ("Resend code" waits 30 s after it).
    pub code_sent_at: Option<i64>,
    pub expires_at: i64,
}

/// A sign-up attempt (one per client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignUpAttempt {
    pub id: String,
    pub client_id: String,
    pub state: SignUpState,
    pub redirect_url: Option<String>,
    pub code_sent_at: Option<i64>,
    pub expires_at: i64,
}

/// A code send recorded with an attempt's transition (the attempt's resend timer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeSend {
    None,
    /// A send someone asked for at this time: refused within 30 s of the attempt's last one.
    Claim(i64),
    /// A send that follows a correct password, recorded whatever the timer says.
    Record(i64),
}

/// What a one-time code is bound to: its purpose, the attempt it was sent in (empty for a phone
/// verification), the user it was sent for (empty for a sign-up of a new address) and the address
/// or phone it went to. A code is redeemed only through the same binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeBinding {
    pub purpose: CodePurpose,
    pub attempt_id: String,
    pub user_id: String,
    pub recipient: String,
}

/// A code this request may judge (its judgement was counted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JudgedCode {
    pub id: String,
    pub code_hash: String,
}

/// One message the instance sent. `body` and `code` are kept only in testing or development
/// mode (SPEC §10); otherwise they are empty.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OutboxMessage {
    pub to: String,
    pub channel: String,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub code: Option<String>,
    pub sent_at: i64,
}

/// An unused backup code: its id, salted hash (argon2id PHC string) — or, for codes stored before
/// salted hashing, a SHA-256 hex digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBackupCode {
    pub id: String,
    pub hash: String,
}

/// A new backup code as stored: a short unsalted selector (16 bits of its SHA-256, to find the
/// row without trying every hash) and the salted hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBackupCode {
    pub selector: String,
    pub hash: String,
}

/// Users and their credentials.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_user(&self, new: NewUser, now: i64) -> StoreResult<User>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    async fn delete_user(&self, id: &str) -> StoreResult<()>;
    async fn set_compromised(&self, id: &str, compromised: bool, now: i64) -> StoreResult<()>;
    /// Locks (or unlocks) the user and clears failures. Locking revokes every live session of the
    /// user in the same transaction.
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
    /// Records activity: at most once a minute (a guarded update), so reads stay cheap.
    async fn touch_session(&self, id: &str, now: i64) -> StoreResult<()>;
    /// The session proved the first factor again (the password re-entered).
    async fn set_first_factor_verified(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Ends a live session with `status` (ended, revoked, expired).
    async fn end_session(&self, id: &str, status: SessionStatus, now: i64) -> StoreResult<bool>;
    /// Ends every live session of a client; returns how many.
    async fn end_client_sessions(&self, client_id: &str, now: i64) -> StoreResult<u64>;
}

/// Sign-in and sign-up attempts, one of each per client.
#[async_trait]
pub trait AttemptStore: Send + Sync {
    /// Starts a sign-in attempt, replacing the client's earlier one; the earlier attempt's codes
    /// die with it. One transaction.
    async fn create_sign_in(&self, attempt: &SignInAttempt, now: i64) -> StoreResult<()>;
    async fn sign_in_for_client(&self, client_id: &str) -> StoreResult<Option<SignInAttempt>>;
    /// Moves the attempt from `version` to `state` (compare-and-set), recording `send`. False
    /// when another request moved the attempt first, or a claimed send was refused.
    async fn advance_sign_in(
        &self,
        id: &str,
        version: i64,
        state: &SignInState,
        send: CodeSend,
    ) -> StoreResult<bool>;
    /// Counts one second-factor judgement of the attempt; false when it already had
    /// `SECOND_FACTOR_MAX_JUDGEMENTS` (one guarded statement).
    async fn judge_second_factor(&self, id: &str) -> StoreResult<bool>;
    /// Removes the client's sign-in attempt and its codes.
    async fn delete_sign_in(&self, client_id: &str) -> StoreResult<()>;
    /// Starts a sign-up attempt, replacing the client's earlier one and its codes.
    async fn create_sign_up(&self, attempt: &SignUpAttempt, now: i64) -> StoreResult<()>;
    async fn sign_up_for_client(&self, client_id: &str) -> StoreResult<Option<SignUpAttempt>>;
    /// Claims a code send for the sign-up attempt at `now` (refused within 30 s of the last).
    async fn claim_sign_up_send(&self, id: &str, now: i64) -> StoreResult<bool>;
    async fn delete_sign_up(&self, client_id: &str) -> StoreResult<()>;
}

/// One-time codes.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Issues a code for `binding`, replacing any earlier one with the same purpose, attempt and
    /// user.
    async fn issue_code(&self, binding: &CodeBinding, code_hash: &str, now: i64)
        -> StoreResult<()>;
    /// Counts one judgement of the current code for `binding` and answers it — in one guarded
    /// statement that only counts an unconsumed, unexpired code with fewer than
    /// `CODE_MAX_ATTEMPTS` judgements, so concurrent guesses get at most that many.
    async fn judge_code(&self, binding: &CodeBinding, now: i64) -> StoreResult<Option<JudgedCode>>;
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

impl Invitation {
    /// What became of the invitation by `now`.
    pub fn status_at(&self, now: i64) -> InvitationStatus {
        match self.status.as_str() {
            "accepted" => InvitationStatus::Accepted,
            "revoked" => InvitationStatus::Revoked,
            _ if self.expires_at <= now => InvitationStatus::Expired,
            _ => InvitationStatus::Pending,
        }
    }
}

/// The invitation a link's token names (trimmed; at most 128 characters), and what became of it.
pub async fn find_invitation(
    store: &dyn Store,
    token: &str,
    now: i64,
) -> StoreResult<(Option<Invitation>, InvitationStatus)> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Ok((None, InvitationStatus::Invalid));
    }
    match store
        .invitation_by_token_hash(&crate::server::tokens::hash(token))
        .await?
    {
        Some(i) => {
            let status = i.status_at(now);
            Ok((Some(i), status))
        }
        None => Ok((None, InvitationStatus::Invalid)),
    }
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
    /// Starts an authenticator-app enrolment for `session_id` (another session's enrolment in
    /// progress is replaced).
    async fn set_totp_pending(
        &self,
        user_id: &str,
        session_id: &str,
        secret: &str,
    ) -> StoreResult<()>;
    /// Starts an SMS enrolment of `phone` for `session_id`.
    async fn set_sms_pending(
        &self,
        user_id: &str,
        session_id: &str,
        phone: &str,
    ) -> StoreResult<()>;
    /// Enables a factor `session_id` verified — `totp` (secret, accepted step) or `sms` (phone):
    /// clears the enrolment, records that the session proved a second factor, revokes the user's
    /// other pending sessions that still owe `setup-mfa` without having proven one (they must sign
    /// in again, with the factor) and, with `backup`, replaces the backup codes and keeps the
    /// plaintext for the enrolling session to confirm. With `only_if_none`, a user who has a
    /// factor already (another session was quicker) is `Conflict("factor")`. One transaction.
    async fn enable_factor(
        &self,
        user_id: &str,
        session_id: &str,
        factor: NewFactor,
        only_if_none: bool,
        backup: Option<BackupCodeSet<'_>>,
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
    /// The enrolling session confirmed it saw the backup codes: forget the plaintext. False when
    /// `session_id` is not that session.
    async fn mark_backup_codes_seen(&self, user_id: &str, session_id: &str) -> StoreResult<bool>;
    /// Records an accepted TOTP step; false when that step (or a later one) was used already.
    async fn record_totp_step(&self, user_id: &str, step: i64) -> StoreResult<bool>;
    /// The user's unused backup codes with `selector` (and those stored before selectors).
    async fn backup_code_candidates(
        &self,
        user_id: &str,
        selector: &str,
    ) -> StoreResult<Vec<StoredBackupCode>>;
    /// Marks a backup code used; false when it was used already (a concurrent request won).
    async fn use_backup_code(&self, id: &str, now: i64) -> StoreResult<bool>;
    /// Replaces the backup codes (the old ones stop working) and keeps the plaintext until the
    /// portal has shown them to `session_id`. One transaction.
    async fn regenerate_backup_codes(
        &self,
        user_id: &str,
        session_id: &str,
        codes: &[NewBackupCode],
        unseen: &str,
    ) -> StoreResult<()>;
    /// The codes regenerated by `session_id` and not shown yet, forgotten as they are taken.
    async fn take_regenerated_codes(
        &self,
        user_id: &str,
        session_id: &str,
    ) -> StoreResult<Option<String>>;
    /// How many backup codes are left.
    async fn backup_codes_left(&self, user_id: &str) -> StoreResult<u32>;
}

/// A kind of second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorKind {
    Totp,
    Sms,
}

/// Fresh backup codes: their stored form, the plaintext (JSON) kept until the enrolling session
/// confirms it saw them, and that session.
#[derive(Clone, Copy, Debug)]
pub struct BackupCodeSet<'a> {
    pub codes: &'a [NewBackupCode],
    pub unseen: &'a str,
    pub session_id: &'a str,
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
    /// Records a message and, in the same transaction, purges messages sent before
    /// `purge_before` (the retention period).
    async fn push_message(&self, message: &OutboxMessage, purge_before: i64) -> StoreResult<()>;
    async fn messages_to(&self, to: &str) -> StoreResult<Vec<OutboxMessage>>;
}

#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Counts a hit in `bucket`'s fixed window starting at `window_start`; returns the hits so far.
    async fn hit(&self, bucket: &str, window_start: i64) -> StoreResult<u32>;
    /// Claims `bucket` for `interval` seconds from `now` in one guarded statement: `None` when
    /// claimed, else the seconds until it may be claimed again.
    async fn claim_interval(
        &self,
        bucket: &str,
        now: i64,
        interval: i64,
    ) -> StoreResult<Option<i64>>;
}

/// The database itself.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Answers when the database does (`/readyz`).
    async fn ping(&self) -> StoreResult<()>;
}

/// Everything the services need.
pub trait Store:
    HealthStore
    + UserStore
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
    T: HealthStore
        + UserStore
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
