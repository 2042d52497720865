//! Sessions: statuses and the task list (README, "Session tasks for app developers"), computed from
//! facts and settings.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a session stands: `pending` while it owes tasks, `active`, or how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Pending,
    Ended,
    Removed,
    Revoked,
    Expired,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Ended => "ended",
            Self::Removed => "removed",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => Self::Active,
            "pending" => Self::Pending,
            "ended" => Self::Ended,
            "removed" => Self::Removed,
            "revoked" => Self::Revoked,
            "expired" => Self::Expired,
            _ => return None,
        })
    }

    /// Active and pending sessions are signed in (pending ones still owe tasks).
    pub fn is_signed_in(self) -> bool {
        matches!(self, Self::Active | Self::Pending)
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A session task (README, "Session tasks for app developers"): the built-in ones, in their fixed
/// order, or one the app defines (`[[tasks.custom]]`), which follow the built-ins in the order
/// configured.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum TaskKey {
    ResetPassword,
    SetupMfa,
    AcceptTerms,
    ChooseOrganization,
    /// An app-defined task; the key is valid ([`valid_custom_key`]) and not a built-in one.
    Custom(String),
}

impl TaskKey {
    pub const BUILT_IN: [TaskKey; 4] = [
        Self::ResetPassword,
        Self::SetupMfa,
        Self::AcceptTerms,
        Self::ChooseOrganization,
    ];

    /// The task sets a credential (a password, a second factor), under the one rule every
    /// credential change follows (`domain::credentials`).
    pub fn changes_credential(&self) -> bool {
        matches!(self, Self::ResetPassword | Self::SetupMfa)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::ResetPassword => "reset-password",
            Self::SetupMfa => "setup-mfa",
            Self::AcceptTerms => "accept-terms",
            Self::ChooseOrganization => "choose-organization",
            Self::Custom(key) => key,
        }
    }

    /// A built-in key, or any well-formed custom key (whether it is configured is the settings'
    /// question).
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(k) = Self::BUILT_IN.iter().find(|k| k.as_str() == s) {
            return Some(k.clone());
        }
        valid_custom_key(s).then(|| Self::Custom(s.to_string()))
    }

    pub fn is_custom(&self) -> bool {
        matches!(self, Self::Custom(_))
    }
}

/// A custom task key: 1 to 64 lowercase ASCII letters, digits and `-`, starting with a letter,
/// and not a built-in key.
pub fn valid_custom_key(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !TaskKey::BUILT_IN.iter().any(|k| k.as_str() == s)
}

impl From<TaskKey> for String {
    fn from(k: TaskKey) -> String {
        k.as_str().to_string()
    }
}

impl TryFrom<String> for TaskKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        TaskKey::parse(&s).ok_or_else(|| format!("unknown task `{s}`"))
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which users owe an app-defined task (README, "Custom tasks").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applies {
    /// Only users for whom an operator requested it.
    #[default]
    OnRequest,
    /// Every user, once.
    AllUsers,
    /// Users created after the task was added to the configuration.
    NewUsers,
}

/// An app-defined task as the task computation sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomTaskRule {
    pub key: String,
    pub applies: Applies,
    /// When the instance first saw the task in its configuration (unix seconds).
    pub added_at: i64,
}

/// The instance settings that tasks depend on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskSettings {
    pub force_reset_on_compromise: bool,
    pub mfa_required: bool,
    pub organizations_enabled: bool,
    pub allow_personal_accounts: bool,
    /// The terms version users must have accepted (`sign_up.terms_version`, only while
    /// `sign_up.legal_consent` is on).
    pub terms_version: Option<String>,
    /// App-defined tasks, in the configured order.
    pub custom: Vec<CustomTaskRule>,
}

/// The facts about a user and a session that tasks depend on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskFacts {
    pub password_compromised: bool,
    /// A verified second factor (it applies at sign-in from the moment it is verified).
    pub has_second_factor: bool,
    /// This session enrolled the factor and has not yet confirmed that it saw the backup codes.
    pub backup_codes_pending: bool,
    /// The user has a verified second factor, whichever session proved it (what an organization
    /// or an operator requiring MFA asks: that it is set up).
    pub user_has_second_factor: bool,
    pub has_active_organization: bool,
    /// The session's active organization requires a second factor of its members.
    pub organization_requires_mfa: bool,
    /// The terms version the user accepted, if any.
    pub accepted_terms_version: Option<String>,
    pub user_created_at: i64,
    /// Tasks an operator requested of the user and the user has not done yet.
    pub requested: Vec<TaskKey>,
    /// App-defined tasks the user has completed.
    pub completed: Vec<String>,
}

/// The tasks a session owes, in order. Empty means the session is active.
pub fn compute_tasks(settings: &TaskSettings, facts: &TaskFacts) -> Vec<TaskKey> {
    let requested = |k: &TaskKey| facts.requested.contains(k);
    let mut tasks = Vec::new();
    if (settings.force_reset_on_compromise && facts.password_compromised)
        || requested(&TaskKey::ResetPassword)
    {
        tasks.push(TaskKey::ResetPassword);
    }
    // The instance's requirement asks that this session proved (or enrolled) a factor; an
    // organization's or an operator's, that the user has one set up.
    let user_mfa = facts.organization_requires_mfa || requested(&TaskKey::SetupMfa);
    let missing = (settings.mfa_required && !facts.has_second_factor)
        || (user_mfa && !facts.has_second_factor && !facts.user_has_second_factor);
    if (settings.mfa_required || user_mfa) && (missing || facts.backup_codes_pending) {
        tasks.push(TaskKey::SetupMfa);
    }
    let terms_outdated = settings
        .terms_version
        .as_ref()
        .is_some_and(|v| facts.accepted_terms_version.as_ref() != Some(v));
    if terms_outdated || requested(&TaskKey::AcceptTerms) {
        tasks.push(TaskKey::AcceptTerms);
    }
    if settings.organizations_enabled
        && (!settings.allow_personal_accounts || requested(&TaskKey::ChooseOrganization))
        && !facts.has_active_organization
    {
        tasks.push(TaskKey::ChooseOrganization);
    }
    for rule in &settings.custom {
        let key = TaskKey::Custom(rule.key.clone());
        let done = facts.completed.contains(&rule.key);
        let owed = requested(&key)
            || match rule.applies {
                Applies::OnRequest => false,
                Applies::AllUsers => !done,
                Applies::NewUsers => !done && facts.user_created_at >= rule.added_at,
            };
        if owed {
            tasks.push(key);
        }
    }
    tasks
}

/// The status of a live (not ended) session given its tasks: `pending ⇔ tasks non-empty`.
pub fn live_status(tasks: &[TaskKey]) -> SessionStatus {
    if tasks.is_empty() {
        SessionStatus::Active
    } else {
        SessionStatus::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_bools() -> [bool; 2] {
        [false, true]
    }

    fn in_built_in_order(tasks: &[TaskKey]) -> bool {
        let rank = |k: &TaskKey| TaskKey::BUILT_IN.iter().position(|b| b == k);
        tasks.windows(2).all(|w| rank(&w[0]) < rank(&w[1]))
    }

    fn custom(key: &str, applies: Applies, added_at: i64) -> CustomTaskRule {
        CustomTaskRule {
            key: key.into(),
            applies,
            added_at,
        }
    }

    fn key(k: &str) -> TaskKey {
        TaskKey::parse(k).unwrap()
    }

    #[test]
    fn custom_tasks_follow_the_built_ins_in_the_configured_order() {
        let settings = TaskSettings {
            force_reset_on_compromise: true,
            custom: vec![
                custom("zeta", Applies::AllUsers, 0),
                custom("alpha", Applies::AllUsers, 0),
            ],
            ..Default::default()
        };
        let facts = TaskFacts {
            password_compromised: true,
            ..Default::default()
        };
        assert_eq!(
            compute_tasks(&settings, &facts),
            vec![TaskKey::ResetPassword, key("zeta"), key("alpha")]
        );
        let done = TaskFacts {
            completed: vec!["zeta".into()],
            ..facts
        };
        assert_eq!(
            compute_tasks(&settings, &done),
            vec![TaskKey::ResetPassword, key("alpha")]
        );
    }

    #[test]
    fn each_applicability_decides_who_owes_a_custom_task() {
        let settings = TaskSettings {
            custom: vec![
                custom("asked", Applies::OnRequest, 100),
                custom("everyone", Applies::AllUsers, 100),
                custom("newcomers", Applies::NewUsers, 100),
            ],
            ..Default::default()
        };
        let old_user = TaskFacts {
            user_created_at: 99,
            ..Default::default()
        };
        assert_eq!(compute_tasks(&settings, &old_user), vec![key("everyone")]);
        let new_user = TaskFacts {
            user_created_at: 100,
            ..Default::default()
        };
        assert_eq!(
            compute_tasks(&settings, &new_user),
            vec![key("everyone"), key("newcomers")]
        );
        let asked = TaskFacts {
            requested: vec![key("asked")],
            completed: vec!["everyone".into(), "newcomers".into()],
            user_created_at: 100,
            ..Default::default()
        };
        assert_eq!(compute_tasks(&settings, &asked), vec![key("asked")]);
        // A request for a task the configuration no longer has is owed by nobody.
        let gone = TaskFacts {
            requested: vec![key("removed")],
            completed: vec!["everyone".into()],
            ..Default::default()
        };
        assert!(compute_tasks(&settings, &gone).is_empty());
    }

    #[test]
    fn requested_built_in_tasks_apply_without_their_setting() {
        let settings = TaskSettings {
            organizations_enabled: true,
            allow_personal_accounts: true,
            ..Default::default()
        };
        let facts = TaskFacts {
            requested: TaskKey::BUILT_IN.to_vec(),
            ..Default::default()
        };
        assert_eq!(compute_tasks(&settings, &facts), TaskKey::BUILT_IN.to_vec());
        // setup-mfa asked of one user is done once a factor is enrolled and its codes seen.
        let enrolled = TaskFacts {
            requested: vec![TaskKey::SetupMfa],
            has_second_factor: true,
            ..Default::default()
        };
        assert!(compute_tasks(&settings, &enrolled).is_empty());
        // Without organizations, choosing one is not asked even when requested.
        let no_orgs = TaskSettings::default();
        let asked = TaskFacts {
            requested: vec![TaskKey::ChooseOrganization],
            ..Default::default()
        };
        assert!(compute_tasks(&no_orgs, &asked).is_empty());
    }

    #[test]
    fn terms_are_owed_until_the_current_version_is_accepted() {
        let settings = TaskSettings {
            mfa_required: true,
            organizations_enabled: true,
            terms_version: Some("2026-12-01".into()),
            custom: vec![custom("dpa", Applies::AllUsers, 0)],
            ..Default::default()
        };
        let never = TaskFacts::default();
        assert_eq!(
            compute_tasks(&settings, &never),
            vec![
                TaskKey::SetupMfa,
                TaskKey::AcceptTerms,
                TaskKey::ChooseOrganization,
                key("dpa")
            ]
        );
        let older = TaskFacts {
            has_second_factor: true,
            has_active_organization: true,
            completed: vec!["dpa".into()],
            accepted_terms_version: Some("2026-01-01".into()),
            ..Default::default()
        };
        assert_eq!(compute_tasks(&settings, &older), vec![TaskKey::AcceptTerms]);
        let current = TaskFacts {
            accepted_terms_version: Some("2026-12-01".into()),
            ..older
        };
        assert!(compute_tasks(&settings, &current).is_empty());
        let unversioned = TaskSettings {
            terms_version: None,
            ..settings
        };
        assert!(!compute_tasks(&unversioned, &never).contains(&TaskKey::AcceptTerms));
    }

    #[test]
    fn a_factor_set_up_in_another_session_satisfies_an_organization_not_the_instance() {
        let facts = TaskFacts {
            has_active_organization: true,
            organization_requires_mfa: true,
            user_has_second_factor: true,
            ..Default::default()
        };
        assert!(compute_tasks(&TaskSettings::default(), &facts).is_empty());
        let instance = TaskSettings {
            mfa_required: true,
            ..Default::default()
        };
        assert_eq!(compute_tasks(&instance, &facts), vec![TaskKey::SetupMfa]);
        let codes_unseen = TaskFacts {
            has_second_factor: true,
            backup_codes_pending: true,
            ..facts
        };
        assert_eq!(
            compute_tasks(&TaskSettings::default(), &codes_unseen),
            vec![TaskKey::SetupMfa],
            "the enrolling session still sees its backup codes"
        );
    }

    #[test]
    fn an_organization_requiring_mfa_asks_only_while_it_is_active() {
        let settings = TaskSettings {
            organizations_enabled: true,
            allow_personal_accounts: true,
            ..Default::default()
        };
        let in_strict_org = TaskFacts {
            has_active_organization: true,
            organization_requires_mfa: true,
            ..Default::default()
        };
        assert_eq!(
            compute_tasks(&settings, &in_strict_org),
            vec![TaskKey::SetupMfa]
        );
        let elsewhere = TaskFacts {
            organization_requires_mfa: false,
            ..in_strict_org.clone()
        };
        assert!(compute_tasks(&settings, &elsewhere).is_empty());
        let enrolled = TaskFacts {
            has_second_factor: true,
            ..in_strict_org
        };
        assert!(compute_tasks(&settings, &enrolled).is_empty());
    }

    #[test]
    fn every_combination_follows_the_table_and_order() {
        for force in all_bools() {
            for mfa in all_bools() {
                for orgs in all_bools() {
                    for personal in all_bools() {
                        for compromised in all_bools() {
                            for factor in all_bools() {
                                for codes in all_bools() {
                                    for org in all_bools() {
                                        let s = TaskSettings {
                                            force_reset_on_compromise: force,
                                            mfa_required: mfa,
                                            organizations_enabled: orgs,
                                            allow_personal_accounts: personal,
                                            ..Default::default()
                                        };
                                        let f = TaskFacts {
                                            password_compromised: compromised,
                                            has_second_factor: factor,
                                            backup_codes_pending: codes,
                                            has_active_organization: org,
                                            ..Default::default()
                                        };
                                        let tasks = compute_tasks(&s, &f);
                                        assert_eq!(
                                            tasks.contains(&TaskKey::ResetPassword),
                                            force && compromised
                                        );
                                        assert_eq!(
                                            tasks.contains(&TaskKey::SetupMfa),
                                            mfa && (!factor || codes)
                                        );
                                        assert_eq!(
                                            tasks.contains(&TaskKey::ChooseOrganization),
                                            orgs && !personal && !org
                                        );
                                        assert!(in_built_in_order(&tasks));
                                        assert_eq!(
                                            live_status(&tasks) == SessionStatus::Pending,
                                            !tasks.is_empty()
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_new_fact_turns_an_active_session_pending() {
        let settings = TaskSettings {
            force_reset_on_compromise: true,
            ..Default::default()
        };
        let before = compute_tasks(&settings, &TaskFacts::default());
        assert_eq!(live_status(&before), SessionStatus::Active);
        let after = compute_tasks(
            &settings,
            &TaskFacts {
                password_compromised: true,
                ..Default::default()
            },
        );
        assert_eq!(after, vec![TaskKey::ResetPassword]);
        assert_eq!(live_status(&after), SessionStatus::Pending);
    }

    #[test]
    fn keys_round_trip() {
        let custom = TaskKey::Custom("accept-dpa".into());
        for key in TaskKey::BUILT_IN.into_iter().chain([custom]) {
            assert_eq!(TaskKey::parse(key.as_str()), Some(key.clone()));
            let json = serde_json::to_string(&key).unwrap();
            assert_eq!(json, format!("\"{}\"", key.as_str()));
            assert_eq!(serde_json::from_str::<TaskKey>(&json).unwrap(), key);
        }
        for bad in ["", "Nope", "1st", "a_b", "a b", "dpa!", &"a".repeat(65)] {
            assert_eq!(TaskKey::parse(bad), None, "{bad:?}");
            assert!(serde_json::from_str::<TaskKey>(&format!("{bad:?}")).is_err());
        }
        assert!(
            !valid_custom_key("setup-mfa"),
            "a built-in key is not a custom one"
        );
        assert_eq!(
            SessionStatus::parse("pending"),
            Some(SessionStatus::Pending)
        );
    }
}
