//! The client snapshot the `AuthProvider` renders on the server and hydrates in the browser: the
//! counterpart of Clerk's `client` resource plus the public part of the instance settings.

use super::session::{SessionStatus, TaskKey};
use super::sign_in::{FirstFactor, SignInStatus};
use super::sign_up::SignUpStatus;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSnapshot {
    /// Signed-in (active or pending) sessions of this client, most recently active first.
    pub sessions: Vec<SessionView>,
    pub last_active_session_id: Option<String>,
    pub sign_in: Option<SignInView>,
    pub sign_up: Option<SignUpView>,
    /// What the setup-mfa task shows, while it is the active session's current task.
    pub mfa_setup: Option<MfaSetupView>,
    pub env: PublicSettings,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub status: SessionStatus,
    pub tasks: Vec<TaskKey>,
    pub user: UserView,
    pub organization: Option<OrganizationView>,
    /// The user's organization memberships (with their roles), by name.
    pub memberships: Vec<OrganizationView>,
    /// Pending invitations addressed to the user's email, newest first.
    #[serde(default)]
    pub invitations: Vec<InvitationView>,
}

impl SessionView {
    pub fn current_task(&self) -> Option<TaskKey> {
        self.tasks.first().cloned()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub role: String,
    /// The organization requires a second factor of its members (shown for the active one).
    #[serde(default)]
    pub require_mfa: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInView {
    pub status: SignInStatus,
    pub identifier: Option<String>,
    pub strategy: Option<FirstFactor>,
    /// The password was right but is compromised: continue with an email code.
    pub password_compromised: bool,
    pub redirect_url: Option<String>,
    /// At `needs_second_factor`: the user's factors (`totp`, `sms`, `backup_code`), the default
    /// first.
    pub second_factors: Vec<String>,
    /// At `needs_second_factor` with SMS: the phone's last digits.
    pub phone_hint: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpView {
    pub status: SignUpStatus,
    pub email: Option<String>,
    pub missing_fields: Vec<String>,
    pub unverified_fields: Vec<String>,
    pub redirect_url: Option<String>,
}

/// The settings the browser needs to render the flows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSettings {
    pub instance_name: String,
    pub multi_session: bool,
    pub sign_up_enabled: bool,
    pub legal_consent: bool,
    pub organizations_enabled: bool,
    pub allow_personal_accounts: bool,
    pub organization_creation_enabled: bool,
    pub min_password_length: usize,
    /// The server's URLs (sign-in, sign-up, after sign-in/out, task URLs): what an
    /// `AuthProvider` uses for every URL it is not given.
    pub urls: super::guard::AuthUrls,
    /// The instance's protected path patterns (`[app] protected`).
    pub protected: Vec<String>,
    /// The app-defined tasks (README, "Custom tasks") the hosted task page shows.
    #[serde(default)]
    pub custom_tasks: Vec<CustomTaskView>,
}

/// What the hosted page of an app-defined task shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomTaskView {
    pub key: String,
    pub title: String,
    pub description: Option<String>,
}

impl Default for PublicSettings {
    fn default() -> Self {
        Self {
            instance_name: "Vestibule".into(),
            multi_session: false,
            sign_up_enabled: true,
            legal_consent: false,
            organizations_enabled: false,
            allow_personal_accounts: true,
            organization_creation_enabled: true,
            min_password_length: 8,
            urls: Default::default(),
            protected: Vec::new(),
            custom_tasks: Vec::new(),
        }
    }
}

impl ClientSnapshot {
    /// The client's active session (the last active one that is still signed in).
    pub fn active_session(&self) -> Option<&SessionView> {
        let id = self.last_active_session_id.as_deref()?;
        self.sessions
            .iter()
            .find(|s| s.id == id && s.status.is_signed_in())
    }
}

/// What the setup-mfa screens show: the methods offered, the pending authenticator secret and its
/// QR code, the phone being verified, and the backup codes to show once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSetupView {
    pub methods: Vec<String>,
    pub totp_secret: Option<String>,
    pub totp_qr_png_base64: Option<String>,
    pub pending_phone: Option<String>,
    pub backup_codes: Option<Vec<String>>,
    /// The user set up a factor from another session: this session must sign in again with it.
    #[serde(default)]
    pub factor_elsewhere: bool,
}

/// An invitation to an organization, as its invitee or the organization's admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub organization_id: String,
    pub organization_name: String,
    pub email: String,
    pub role: String,
}

/// A member of an organization, as the organization portal lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub role: String,
    /// The member is the viewer.
    pub is_self: bool,
}

/// What the organization portal (`/organization`) shows for the active organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationProfileView {
    /// The organization, with the viewer's role.
    pub organization: OrganizationView,
    pub permissions: Vec<String>,
    pub members: Vec<MemberView>,
    /// Pending invitations (only for those who may manage invitations).
    pub invitations: Vec<InvitationView>,
}

/// One page of `use_organization_list()`: memberships and invitations, 10 of each at most.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationListPage {
    pub page: u32,
    pub memberships: Vec<OrganizationView>,
    pub invitations: Vec<InvitationView>,
    pub total_memberships: u32,
    pub total_invitations: u32,
}

pub const ORGANIZATION_PAGE_SIZE: usize = 10;

impl OrganizationListPage {
    /// Page `page` (from 0) of the given lists.
    pub fn of(page: u32, memberships: &[OrganizationView], invitations: &[InvitationView]) -> Self {
        let slice = |len: usize| {
            let start = (page as usize)
                .saturating_mul(ORGANIZATION_PAGE_SIZE)
                .min(len);
            start..(start + ORGANIZATION_PAGE_SIZE).min(len)
        };
        Self {
            page,
            memberships: memberships[slice(memberships.len())].to_vec(),
            invitations: invitations[slice(invitations.len())].to_vec(),
            total_memberships: memberships.len() as u32,
            total_invitations: invitations.len() as u32,
        }
    }

    pub fn has_next_page(&self) -> bool {
        let seen = (self.page as usize + 1) * ORGANIZATION_PAGE_SIZE;
        seen < self.total_memberships as usize || seen < self.total_invitations as usize
    }

    pub fn has_previous_page(&self) -> bool {
        self.page > 0
    }
}

/// What an invitation link finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
    /// No such invitation.
    Invalid,
}

/// What the invitation page (`/invitation?token=…`) shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPageView {
    pub status: InvitationStatus,
    pub organization_name: Option<String>,
    /// The invitee's address (only for a pending invitation).
    pub email: Option<String>,
    /// The address of the account signed in on this browser, if any.
    pub signed_in_as: Option<String>,
    /// The invitee already has an account.
    pub account_exists: bool,
    /// A session of the invitee's account on this browser (multi-session), to switch to.
    pub invitee_session_id: Option<String>,
}

/// What the account portal shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub email: String,
    pub authenticator_app: bool,
    pub sms_phone: Option<String>,
    pub backup_codes_left: u32,
    /// Codes just regenerated: shown this once.
    pub new_backup_codes: Option<Vec<String>>,
    /// An authenticator app being added: its secret and QR code (base64 PNG).
    pub totp_setup: Option<(String, String)>,
    /// A phone being verified for SMS codes.
    pub pending_phone: Option<String>,
    pub devices: Vec<DeviceView>,
    /// The session's first factor is older than the re-verification window: security changes
    /// ask for the password.
    #[serde(default)]
    pub reverification_needed: bool,
}

/// What the reverification page or dialog shows (README, "Reverification"): the factor still needed
/// for the level (`None`: verified enough), and how the user can give it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReverificationView {
    pub level: String,
    pub needed: Option<crate::domain::reverification::NeededFactor>,
    pub has_password: bool,
    pub email: String,
    /// `totp`, `sms`, `backup_code`: the second factors the user can verify with.
    pub second_factors: Vec<String>,
}

/// One signed-in session of the user, on this or another device.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub session_id: String,
    pub user_agent: String,
    pub ip: String,
    pub last_active_at: String,
    pub this_device: bool,
}

/// What a check sees of the active session: the counterpart of Clerk's `auth()` object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthView {
    pub is_signed_in: bool,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    /// Reported even when a pending session is treated as signed out.
    pub session_status: Option<SessionStatus>,
    pub current_task: Option<TaskKey>,
    pub org_id: Option<String>,
    pub org_role: Option<String>,
    pub org_slug: Option<String>,
}

impl AuthView {
    /// Builds the view of `session`. A pending session is signed out unless
    /// `treat_pending_as_signed_out` is false; its status and task are reported either way.
    pub fn of(session: Option<&SessionView>, treat_pending_as_signed_out: bool) -> Self {
        let Some(s) = session else {
            return Self::default();
        };
        let mut view = Self {
            session_status: Some(s.status),
            current_task: s.current_task(),
            ..Self::default()
        };
        let signed_in = match s.status {
            SessionStatus::Active => true,
            SessionStatus::Pending => !treat_pending_as_signed_out,
            _ => false,
        };
        if signed_in {
            view.is_signed_in = true;
            view.user_id = Some(s.user.id.clone());
            view.session_id = Some(s.id.clone());
            if let Some(org) = &s.organization {
                view.org_id = Some(org.id.clone());
                view.org_role = Some(org.role.clone());
                view.org_slug = Some(org.slug.clone());
            }
        }
        view
    }

    pub fn is_pending(&self) -> bool {
        self.session_status == Some(SessionStatus::Pending)
    }

    /// Role check in the active organization.
    pub fn has_role(&self, role: &str) -> bool {
        self.is_signed_in && self.org_role.as_deref() == Some(role)
    }

    /// Permission check in the active organization
    /// (README, "Organizations, the switcher and invitations").
    pub fn has_permission(&self, permission: &str) -> bool {
        self.is_signed_in
            && self
                .org_role
                .as_deref()
                .is_some_and(|r| role_permissions(r).contains(&permission))
    }
}

/// A role or permission check in the active organization: `auth.has(&Has::permission(..))`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Has {
    Role(String),
    Permission(String),
    /// A recent enough verification of the session's factors (README, "Reverification"). Judged by
    /// the server's `Auth::has`, which knows when the factors were verified; a browser view answers
    /// false.
    Reverification(crate::domain::reverification::Reverification),
}

impl Has {
    pub fn role(role: impl Into<String>) -> Self {
        Self::Role(role.into())
    }

    pub fn permission(permission: impl Into<String>) -> Self {
        Self::Permission(permission.into())
    }

    /// `Has::reverification(Reverification::STRICT)`.
    pub fn reverification(level: crate::domain::reverification::Reverification) -> Self {
        Self::Reverification(level)
    }
}

impl AuthView {
    /// `has(Has::role(..) | Has::permission(..))`
    /// (README, "Organizations, the switcher and invitations"): false when signed out (or pending,
    /// unless the view was built with `treat_pending_as_signed_out = false`).
    pub fn has(&self, check: &Has) -> bool {
        match check {
            Has::Role(role) => self.has_role(role),
            Has::Permission(permission) => self.has_permission(permission),
            Has::Reverification(_) => false,
        }
    }
}

/// The permissions each built-in role grants.
pub fn role_permissions(role: &str) -> &'static [&'static str] {
    match role {
        "org:admin" => &[
            "org:sys_memberships:read",
            "org:sys_memberships:manage",
            "org:sys_invitations:manage",
            "org:sys_profile:manage",
        ],
        "org:member" => &["org:sys_memberships:read"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(status: SessionStatus, tasks: Vec<TaskKey>) -> SessionView {
        SessionView {
            id: "sess_1".into(),
            status,
            tasks,
            user: UserView {
                id: "user_1".into(),
                email: "a@b.co".into(),
            },
            organization: Some(OrganizationView {
                id: "org_1".into(),
                name: "Acme".into(),
                slug: "acme".into(),
                role: "org:admin".into(),
                require_mfa: false,
            }),
            memberships: vec![],
            invitations: vec![],
        }
    }

    #[test]
    fn pending_is_signed_out_by_default_but_reports_status_and_task() {
        let s = session(SessionStatus::Pending, vec![TaskKey::SetupMfa]);
        let view = AuthView::of(Some(&s), true);
        assert!(!view.is_signed_in);
        assert_eq!(view.user_id, None);
        assert_eq!(view.session_status, Some(SessionStatus::Pending));
        assert_eq!(view.current_task, Some(TaskKey::SetupMfa));
        assert!(!view.has_role("org:admin"));

        let opted_in = AuthView::of(Some(&s), false);
        assert!(opted_in.is_signed_in);
        assert_eq!(opted_in.user_id.as_deref(), Some("user_1"));
        assert!(opted_in.has_role("org:admin"));
    }

    #[test]
    fn active_session_exposes_org_and_permissions() {
        let s = session(SessionStatus::Active, vec![]);
        let view = AuthView::of(Some(&s), true);
        assert!(view.is_signed_in);
        assert_eq!(view.org_slug.as_deref(), Some("acme"));
        assert!(view.has_permission("org:sys_memberships:manage"));
        assert!(view.has(&Has::permission("org:sys_invitations:manage")));
        assert!(view.has(&Has::role("org:admin")));
        let mut member = s.clone();
        member.organization.as_mut().unwrap().role = "org:member".into();
        let member = AuthView::of(Some(&member), true);
        assert!(member.has(&Has::permission("org:sys_memberships:read")));
        assert!(!member.has(&Has::permission("org:sys_memberships:manage")));
        assert!(!member.has(&Has::permission("org:sys_profile:manage")));
        assert!(!view.has_role("org:member"));
        assert_eq!(AuthView::of(None, true), AuthView::default());
    }

    #[test]
    fn active_session_is_the_last_active_signed_in_one() {
        let mut snap = ClientSnapshot {
            sessions: vec![session(SessionStatus::Active, vec![])],
            last_active_session_id: Some("sess_1".into()),
            ..Default::default()
        };
        assert!(snap.active_session().is_some());
        snap.last_active_session_id = Some("sess_2".into());
        assert!(snap.active_session().is_none());
    }
}
