//! Sessions: statuses and the task list of SPEC §4.1, computed from facts and settings.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a session stands (SPEC §3).
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

/// A session task, in the fixed order of SPEC §4.1 (the derive order is that order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TaskKey {
    #[serde(rename = "reset-password")]
    ResetPassword,
    #[serde(rename = "setup-mfa")]
    SetupMfa,
    #[serde(rename = "choose-organization")]
    ChooseOrganization,
}

impl TaskKey {
    pub const ALL: [TaskKey; 3] = [
        Self::ResetPassword,
        Self::SetupMfa,
        Self::ChooseOrganization,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResetPassword => "reset-password",
            Self::SetupMfa => "setup-mfa",
            Self::ChooseOrganization => "choose-organization",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The instance settings that tasks depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskSettings {
    pub force_reset_on_compromise: bool,
    pub mfa_required: bool,
    pub organizations_enabled: bool,
    pub allow_personal_accounts: bool,
}

/// The facts about a user and a session that tasks depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskFacts {
    pub password_compromised: bool,
    /// A verified second factor (it applies at sign-in from the moment it is verified).
    pub has_second_factor: bool,
    /// This session enrolled the factor and has not yet confirmed that it saw the backup codes.
    pub backup_codes_pending: bool,
    pub has_active_organization: bool,
}

/// The tasks a session owes, in order. Empty means the session is active.
pub fn compute_tasks(settings: TaskSettings, facts: TaskFacts) -> Vec<TaskKey> {
    let mut tasks = Vec::new();
    if settings.force_reset_on_compromise && facts.password_compromised {
        tasks.push(TaskKey::ResetPassword);
    }
    if settings.mfa_required && (!facts.has_second_factor || facts.backup_codes_pending) {
        tasks.push(TaskKey::SetupMfa);
    }
    if settings.organizations_enabled
        && !settings.allow_personal_accounts
        && !facts.has_active_organization
    {
        tasks.push(TaskKey::ChooseOrganization);
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
                                        };
                                        let f = TaskFacts {
                                            password_compromised: compromised,
                                            has_second_factor: factor,
                                            backup_codes_pending: codes,
                                            has_active_organization: org,
                                        };
                                        let tasks = compute_tasks(s, f);
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
                                        let mut sorted = tasks.clone();
                                        sorted.sort();
                                        assert_eq!(tasks, sorted, "tasks keep the fixed order");
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
        let before = compute_tasks(settings, TaskFacts::default());
        assert_eq!(live_status(&before), SessionStatus::Active);
        let after = compute_tasks(
            settings,
            TaskFacts {
                password_compromised: true,
                ..Default::default()
            },
        );
        assert_eq!(after, vec![TaskKey::ResetPassword]);
        assert_eq!(live_status(&after), SessionStatus::Pending);
    }

    #[test]
    fn keys_round_trip() {
        for key in TaskKey::ALL {
            assert_eq!(TaskKey::parse(key.as_str()), Some(key));
            assert_eq!(
                serde_json::to_string(&key).unwrap(),
                format!("\"{}\"", key.as_str())
            );
        }
        assert_eq!(TaskKey::parse("nope"), None);
        assert_eq!(
            SessionStatus::parse("pending"),
            Some(SessionStatus::Pending)
        );
    }
}
