//! Storage behind narrow traits, one per aggregate; `Store` is all of them. Two engines implement
//! them — `sqlite` (the embedded default) and `postgres` (several instances) — with one shared
//! body per query (`sql/`, written once for both) and each engine's own migrations folder.

pub mod postgres;
mod records;
mod rows;
pub mod scratch;
mod sealed;
mod sql;
pub mod sqlite;
#[cfg(test)]
mod tests;

pub use records::*;
pub use sealed::*;

use crate::domain::session::{SessionStatus, TaskKey};
use crate::domain::sign_in::SignInState;
use async_trait::async_trait;
use std::sync::Arc;

/// What a guarded write refused: the unique or invariant it would have broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// The email address is taken.
    Email,
    /// The organization slug is taken.
    Slug,
    /// The user is a member already.
    Membership,
    /// A pending invitation exists already, or the invitation is no longer usable.
    Invitation,
    /// The organization would be left without an admin.
    LastAdmin,
    /// The sign-in attempt a session was to complete is gone (another request completed it).
    Attempt,
    /// The user has a second factor already (another session enrolled one first).
    Factor,
    /// The client has as many signed-in sessions as it may.
    SessionCap,
}

impl Conflict {
    /// The name an error's detail gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Slug => "slug",
            Self::Membership => "membership",
            Self::Invitation => "invitation",
            Self::LastAdmin => "last_admin",
            Self::Attempt => "attempt",
            Self::Factor => "factor",
            Self::SessionCap => "sessions",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How an engine sizes its connection pool (`[database]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: std::time::Duration,
}

/// The engine a `DATABASE_URL` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// `sqlite:` or `postgres://` / `postgresql://`; anything else is refused with the scheme.
    pub fn of_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            let scheme = url.split_once(':').map_or(url, |(s, _)| s);
            Err(format!(
                "DATABASE_URL: unsupported scheme `{scheme}` (expected sqlite: or postgres://)"
            ))
        }
    }

    /// The pool size when `[database] max_connections` is unset.
    pub fn default_max_connections(self) -> u32 {
        match self {
            Self::Sqlite => 8,
            Self::Postgres => 10,
        }
    }
}

/// Connects to (and migrates) the database `url` names; `keyring` seals and opens the columns
/// that hold secrets (README, "Encryption at rest").
pub async fn connect(
    url: &str,
    max_connections: Option<u32>,
    acquire_timeout: std::time::Duration,
    keyring: Arc<crate::server::secrets::Keyring>,
) -> Result<Arc<dyn Store>, ConnectError> {
    let engine = Engine::of_url(url).map_err(ConnectError::Url)?;
    let settings = PoolSettings {
        max_connections: max_connections.unwrap_or(engine.default_max_connections()),
        acquire_timeout,
    };
    Ok(match engine {
        Engine::Sqlite => Arc::new(sqlite::SqliteStore::connect(url, &settings, keyring).await?),
        Engine::Postgres => Arc::new(postgres::PgStore::connect(url, &settings, keyring).await?),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Url(String),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Users and their credentials.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_user(&self, new: NewUser, now: i64) -> StoreResult<User>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Deletes the user (their sessions, factors and memberships go with them), unless they are
    /// the only admin of an organization that has other members (`Conflict::LastAdmin`): one
    /// guarded statement.
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
    /// Counts a password guess before it is checked, unless the user is locked at `now` or `max`
    /// guesses are counted already — one guarded statement, so guesses sent together cannot all
    /// pass one lockout check while each waits for the hasher. Whether the guess may be checked.
    /// Counted guesses that no request settled within `GUESS_SETTLES_WITHIN` seconds of the last
    /// claim (a process that stopped mid-check) no longer hold the allowance: the claim goes
    /// ahead, the count staying at `max`, so its settlement locks the user or gives one back.
    async fn claim_guess(&self, id: &str, max: u32, now: i64) -> StoreResult<bool>;
    /// Settles a claimed guess: a right one is given back; a wrong one stays counted, and once
    /// `max` are counted it locks the user until `lock_until` and restarts the count. Returns the
    /// lockout end, if this settlement locked the user.
    async fn settle_guess(
        &self,
        id: &str,
        right: bool,
        max: u32,
        lock_until: i64,
        now: i64,
    ) -> StoreResult<Option<i64>>;
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

/// How long a counted password guess may wait for its settlement before it stops holding the
/// user's allowance (far above the hasher's queue timeout).
pub const GUESS_SETTLES_WITHIN: i64 = 120;

/// Browsers (clients) and their tokens.
#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn create_client(&self, token_hash: &str, now: i64) -> StoreResult<Client>;
    /// The client whose token hashes to `token_hash`, with its live sessions (their users and
    /// organizations) and whether attempts are in progress: what every request reads, in one
    /// query.
    async fn client_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<ClientRecord>>;
    async fn set_last_active_session(&self, id: &str, session_id: Option<&str>) -> StoreResult<()>;
    /// Gives the client a new token, if `presented_hash` is still its token (compare-and-set:
    /// of two requests rotating at once, one wins and the other is told). The old token, and
    /// whoever else holds it, no longer finds the client. Whether it rotated.
    async fn rotate_client_token(
        &self,
        id: &str,
        presented_hash: &str,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<bool>;
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
    /// The session proved a second factor again (README, "Reverification").
    async fn set_second_factor_verified(&self, id: &str, now: i64) -> StoreResult<()>;
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

/// Organizations and memberships.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
    /// Creates an organization with its first members. One transaction; a taken slug is
    /// `Conflict(Slug)`.
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
    /// Adds a member; an existing membership is `Conflict(Membership)`.
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
    /// `Conflict(LastAdmin)`, an unknown member `NotFound`.
    async fn set_member_role(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> StoreResult<()>;
    /// Removes a member (`Conflict(LastAdmin)` for the last admin) and, in the same
    /// transaction, clears the organization from that user's sessions.
    async fn remove_member(&self, organization_id: &str, user_id: &str) -> StoreResult<()>;
    /// Deletes an organization with its memberships and invitations, and clears it from every
    /// session that had it active. One transaction; `NotFound` for an unknown id.
    async fn delete_organization(&self, organization_id: &str) -> StoreResult<()>;
    /// Renames an organization; a taken slug is `Conflict(Slug)`.
    async fn rename_organization(
        &self,
        organization_id: &str,
        name: &str,
        slug: &str,
    ) -> StoreResult<Organization>;
    /// Creates a pending invitation. An email that already belongs to a member is
    /// `Conflict(Membership)`; a pending, unexpired one for the same email is
    /// `Conflict(Invitation)` (an expired one is revoked first). One transaction.
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
    /// invitation is `Conflict(Invitation)`.
    async fn accept_invitation(
        &self,
        invitation_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Membership>;
    /// Creates a user and accepts the invitation for it in one transaction (sign-up through an
    /// invitation link): a taken email is `Conflict(Email)`, an invitation no longer usable
    /// `Conflict(Invitation)`, and neither leaves anything behind.
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
    /// factor already (another session was quicker) is `Conflict(Factor)`. One transaction.
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

/// Delivered messages and rate-limit counters.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Records a message and, in the same transaction, purges messages sent before
    /// `purge_before` (the retention period).
    async fn push_message(&self, message: &OutboxMessage, purge_before: i64) -> StoreResult<()>;
    async fn messages_to(&self, to: &str) -> StoreResult<Vec<OutboxMessage>>;
    /// Purges messages sent before `before`; answers how many went. Run on a timer as well, so an
    /// instance that sends nothing keeps nothing past the retention either.
    async fn purge_messages(&self, before: i64) -> StoreResult<u64>;
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
    /// Purges what anonymous requests leave behind: rate-limit counters whose window began before
    /// `rows_before`, sign-in and sign-up attempts and codes that expired before it, and clients
    /// last changed before `clients_before` that never held a session nor remembered a user.
    /// Answers how many rows went.
    async fn purge_anonymous(&self, rows_before: i64, clients_before: i64) -> StoreResult<u64>;
}

/// Wrong guesses for addresses without an account, kept as a user's own counter is (README,
/// "Security defaults"): the same maximum, the same lock, so the answers are the same.
#[async_trait]
pub trait AddressLockoutStore: Send + Sync {
    /// When the lock on `address` ends, if it is locked at `now`.
    async fn address_locked_until(&self, address: &str, now: i64) -> StoreResult<Option<i64>>;
    /// Counts a wrong guess for `address` in one guarded statement: the `max`-th locks it until
    /// `lock_until` (answered) and starts the count over; a locked address counts nothing.
    async fn record_address_failure(
        &self,
        address: &str,
        max: u32,
        lock_until: i64,
        now: i64,
    ) -> StoreResult<Option<i64>>;
    /// Forgets counters untouched since `before` whose lock (if any) has ended.
    async fn purge_address_lockouts(&self, before: i64) -> StoreResult<u64>;
}

/// The database itself.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Answers when the database does (`/readyz`).
    async fn ping(&self) -> StoreResult<()>;
}

/// Tasks beyond the built-in three (README, "Custom tasks").
#[async_trait]
pub trait TaskStore: Send + Sync {
    /// Records when the instance first saw each app-defined task (a key seen before keeps its
    /// date) and answers every key's date.
    async fn register_tasks(
        &self,
        keys: &[String],
        now: i64,
    ) -> StoreResult<std::collections::HashMap<String, i64>>;
    /// Requires task `key` of the user from now on (`NotFound` for an unknown user).
    async fn request_task(&self, user_id: &str, key: &str, now: i64) -> StoreResult<()>;
    /// Withdraws a request; `false` when there was none.
    async fn withdraw_task(&self, user_id: &str, key: &str) -> StoreResult<bool>;
    /// Marks an app-defined task done for the user and clears its request.
    async fn complete_task(&self, user_id: &str, key: &str, now: i64) -> StoreResult<()>;
    /// The user accepted terms `version` now; a requested `accept-terms` is done. One transaction.
    async fn accept_terms(&self, user_id: &str, version: Option<&str>, now: i64)
        -> StoreResult<()>;
    async fn set_organization_require_mfa(
        &self,
        organization_id: &str,
        on: bool,
    ) -> StoreResult<()>;
    async fn organization_requires_mfa(&self, organization_id: &str) -> StoreResult<bool>;
}

/// The keys session tokens are signed with (README, "Session tokens for other services"), shared by
/// every instance.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// The newest `limit` keys, newest first.
    async fn signing_keys(&self, limit: i64) -> StoreResult<Vec<SigningKey>>;
    /// Adds `key` as the next generation when the last rotation was at or before `due_at` (one
    /// guarded update decides, so concurrent instances add one key between them); `false` when
    /// none was due. Keeps the three newest keys.
    async fn rotate_signing_key(
        &self,
        key: &NewSigningKey,
        now: i64,
        due_at: i64,
    ) -> StoreResult<bool>;
    /// Removes every key older than `generation` (a leaked key must stop verifying at once).
    async fn revoke_signing_keys_before(&self, generation: i64) -> StoreResult<u64>;
}

/// Everything the services need.
pub trait Store:
    HealthStore
    + SealStore
    + TaskStore
    + SigningKeyStore
    + UserStore
    + ClientStore
    + SessionStore
    + AttemptStore
    + CodeStore
    + OutboxStore
    + RateLimitStore
    + AddressLockoutStore
    + OrganizationStore
    + MfaStore
{
}

impl<T> Store for T where
    T: HealthStore
        + SealStore
        + TaskStore
        + SigningKeyStore
        + UserStore
        + OrganizationStore
        + MfaStore
        + ClientStore
        + SessionStore
        + AttemptStore
        + CodeStore
        + OutboxStore
        + RateLimitStore
        + AddressLockoutStore
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
