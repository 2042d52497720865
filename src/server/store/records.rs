//! The records the store reads and writes: users, clients and sessions, attempts and codes,
//! organizations and invitations, second factors, messages.

use super::{Store, StoreResult};
use crate::domain::session::{SessionStatus, TaskKey};
use crate::domain::sign_in::SignInState;
use crate::domain::sign_up::SignUpState;
use crate::domain::snapshot::InvitationStatus;
use crate::domain::verification::CodePurpose;

/// A user as the store reads it, secrets opened. `Debug` shows whether each secret is set, never
/// the secret.
#[derive(Clone, PartialEq, Eq)]
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
    /// The terms version the user accepted, and when (README, "Custom tasks").
    pub terms_version: Option<String>,
    pub legal_accepted_at: Option<i64>,
    /// Tasks an operator requested of the user that are still owed.
    pub requested_tasks: Vec<TaskKey>,
    /// App-defined tasks the user completed.
    pub completed_tasks: Vec<String>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |v: &Option<String>| if v.is_some() { "<set>" } else { "<none>" };
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field("phone", &self.phone)
            .field("password_hash", &set(&self.password_hash))
            .field("password_compromised", &self.password_compromised)
            .field("totp_secret", &set(&self.totp_secret))
            .field("sms_mfa", &self.sms_mfa)
            .field("totp_pending_secret", &set(&self.totp_pending_secret))
            .field("backup_codes_unseen", &set(&self.backup_codes_unseen))
            .field("locked", &self.locked)
            .field("failed_attempts", &self.failed_attempts)
            .field("lockout_until", &self.lockout_until)
            .field("requested_tasks", &self.requested_tasks)
            .finish_non_exhaustive()
    }
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
    /// The user accepted the terms at sign-up, and which version (README, "Custom tasks").
    pub legal_accepted: bool,
    pub terms_version: Option<String>,
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
    /// Whether the user belongs to any organization, and has pending invitations: a page lists
    /// them only when there is something to list (one query saved per request otherwise).
    pub has_memberships: bool,
    pub has_invitations: bool,
}

impl SessionDetail {
    /// What a reverification is judged on: when the session last proved each factor, and
    /// whether its user has a second one.
    pub fn verified(&self) -> crate::domain::reverification::Verified {
        crate::domain::reverification::Verified {
            first_at: self.session.first_factor_at,
            second_at: self.session.second_factor_at,
            user_has_second_factor: self.user.has_second_factor(),
        }
    }
}

/// A client as a request finds it (one query): the client, its live sessions (most recently
/// active first), and whether a sign-in or sign-up attempt is in progress on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRecord {
    pub client: Client,
    pub sessions: Vec<SessionDetail>,
    pub has_sign_in: bool,
    pub has_sign_up: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationMembership {
    pub organization_id: String,
    pub name: String,
    pub slug: String,
    pub role: String,
    /// The organization requires a second factor of its members (README, "Custom tasks").
    pub require_mfa: bool,
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
    /// attempt never makes two sessions (`Conflict::Attempt` when it is already gone).
    pub completes_attempt: Option<String>,
    /// Multi-session mode: the most live sessions the client may hold, this one included
    /// (`Conflict::SessionCap` beyond it), counted under the client's row lock so sessions
    /// started together cannot all pass one count.
    pub max_client_sessions: Option<usize>,
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
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct JudgedCode {
    pub id: String,
    pub code_hash: String,
}

/// One message the instance sent. `body` and `code` are kept only in testing or development
/// mode (README, "Security defaults"); otherwise they are empty.
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
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
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

/// An invitation to an organization (README, "Organizations, the switcher and invitations").
/// `status` is `pending`, `accepted` or `revoked`; a pending invitation past `expires_at` is
/// expired.
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

/// A key session tokens are signed with: ES256, the private half as PKCS#8 (base64), the public
/// point's coordinates as the JWKS publishes them (base64url). `Debug` leaves the private half
/// out.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub generation: i64,
    pub kid: String,
    pub private_key: String,
    pub public_x: String,
    pub public_y: String,
    pub created_at: i64,
}

/// A key about to be added (its generation is decided by the store). `Debug` leaves the private
/// half out.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSigningKey {
    pub kid: String,
    pub private_key: String,
    pub public_x: String,
    pub public_y: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("generation", &self.generation)
            .field("kid", &self.kid)
            .field("private_key", &"<redacted>")
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NewSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSigningKey")
            .field("kid", &self.kid)
            .field("private_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_never_shows_a_secret_in_debug() {
        let user = User {
            id: "user_1".into(),
            email: "a@example.com".into(),
            email_verified: true,
            phone: None,
            password_hash: Some("$argon2id$secret-hash".into()),
            password_compromised: false,
            totp_secret: Some("JBSWY3DPEHPK3PXP".into()),
            sms_mfa: false,
            totp_last_step: None,
            totp_pending_secret: Some("KRSXG5CTMVRXEZLU".into()),
            totp_pending_session: None,
            sms_pending_phone: None,
            sms_pending_session: None,
            backup_codes_unseen: Some("[\"abcde-fghjk\"]".into()),
            backup_codes_session: None,
            locked: false,
            failed_attempts: 0,
            lockout_until: None,
            created_at: 0,
            updated_at: 0,
            terms_version: None,
            legal_accepted_at: None,
            requested_tasks: Vec::new(),
            completed_tasks: Vec::new(),
        };
        let shown = format!("{user:?}");
        for secret in [
            "secret-hash",
            "JBSWY3DPEHPK3PXP",
            "KRSXG5CTMVRXEZLU",
            "abcde-fghjk",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("a@example.com") && shown.contains("<set>"));
    }
}
