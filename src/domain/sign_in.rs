//! The sign-in attempt state machine (SPEC §5.1).

use serde::{Deserialize, Serialize};

/// Where a sign-in attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInStatus {
    NeedsIdentifier,
    NeedsFirstFactor,
    NeedsSecondFactor,
    NeedsClientTrust,
    NeedsNewPassword,
    Complete,
}

impl SignInStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsIdentifier => "needs_identifier",
            Self::NeedsFirstFactor => "needs_first_factor",
            Self::NeedsSecondFactor => "needs_second_factor",
            Self::NeedsClientTrust => "needs_client_trust",
            Self::NeedsNewPassword => "needs_new_password",
            Self::Complete => "complete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "needs_identifier" => Self::NeedsIdentifier,
            "needs_first_factor" => Self::NeedsFirstFactor,
            "needs_second_factor" => Self::NeedsSecondFactor,
            "needs_client_trust" => Self::NeedsClientTrust,
            "needs_new_password" => Self::NeedsNewPassword,
            "complete" => Self::Complete,
            _ => return None,
        })
    }

    /// The hosted page that serves this status.
    pub fn path(self) -> &'static str {
        match self {
            Self::NeedsIdentifier => "/sign-in",
            Self::NeedsFirstFactor => "/sign-in/factor-one",
            Self::NeedsSecondFactor => "/sign-in/factor-two",
            Self::NeedsClientTrust => "/sign-in/client-trust",
            Self::NeedsNewPassword => "/sign-in/reset-password",
            Self::Complete => "/",
        }
    }
}

/// How the first factor is being proven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstFactor {
    Password,
    EmailCode,
    ResetPasswordEmailCode,
}

impl FirstFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::EmailCode => "email_code",
            Self::ResetPasswordEmailCode => "reset_password_email_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "password" => Self::Password,
            "email_code" => Self::EmailCode,
            "reset_password_email_code" => Self::ResetPasswordEmailCode,
            _ => return None,
        })
    }
}

/// What the server knows about the user and this client once the first factor is proven.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FirstFactorFacts {
    pub has_second_factor: bool,
    pub client_trust_enabled: bool,
    /// This client has completed a sign-in for this user before.
    pub client_known: bool,
}

/// The status after the first factor was proven with `strategy`.
///
/// A user with MFA always proves the second factor. Device trust applies to password sign-ins
/// only (an email code already proves the inbox), and never to a user with MFA.
pub fn after_first_factor(strategy: FirstFactor, facts: FirstFactorFacts) -> SignInStatus {
    match strategy {
        FirstFactor::ResetPasswordEmailCode => SignInStatus::NeedsNewPassword,
        _ if facts.has_second_factor => SignInStatus::NeedsSecondFactor,
        FirstFactor::Password if facts.client_trust_enabled && !facts.client_known => {
            SignInStatus::NeedsClientTrust
        }
        _ => SignInStatus::Complete,
    }
}

/// The status after a new password was set in the forgot-password flow: a reset never bypasses
/// MFA.
pub fn after_new_password(has_second_factor: bool) -> SignInStatus {
    if has_second_factor {
        SignInStatus::NeedsSecondFactor
    } else {
        SignInStatus::Complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_without_mfa_completes() {
        assert_eq!(
            after_first_factor(FirstFactor::Password, FirstFactorFacts::default()),
            SignInStatus::Complete
        );
    }

    #[test]
    fn mfa_wins_over_device_trust() {
        let facts = FirstFactorFacts {
            has_second_factor: true,
            client_trust_enabled: true,
            client_known: false,
        };
        assert_eq!(
            after_first_factor(FirstFactor::Password, facts),
            SignInStatus::NeedsSecondFactor
        );
        assert_eq!(
            after_first_factor(FirstFactor::EmailCode, facts),
            SignInStatus::NeedsSecondFactor
        );
    }

    #[test]
    fn device_trust_decision_table() {
        for enabled in [false, true] {
            for known in [false, true] {
                let facts = FirstFactorFacts {
                    has_second_factor: false,
                    client_trust_enabled: enabled,
                    client_known: known,
                };
                let expected = if enabled && !known {
                    SignInStatus::NeedsClientTrust
                } else {
                    SignInStatus::Complete
                };
                assert_eq!(after_first_factor(FirstFactor::Password, facts), expected);
                assert_eq!(
                    after_first_factor(FirstFactor::EmailCode, facts),
                    SignInStatus::Complete,
                    "an email code never triggers device trust"
                );
            }
        }
    }

    #[test]
    fn reset_goes_through_new_password_and_keeps_mfa() {
        let facts = FirstFactorFacts {
            has_second_factor: true,
            ..Default::default()
        };
        assert_eq!(
            after_first_factor(FirstFactor::ResetPasswordEmailCode, facts),
            SignInStatus::NeedsNewPassword
        );
        assert_eq!(after_new_password(true), SignInStatus::NeedsSecondFactor);
        assert_eq!(after_new_password(false), SignInStatus::Complete);
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            SignInStatus::NeedsIdentifier,
            SignInStatus::NeedsFirstFactor,
            SignInStatus::NeedsSecondFactor,
            SignInStatus::NeedsClientTrust,
            SignInStatus::NeedsNewPassword,
            SignInStatus::Complete,
        ] {
            assert_eq!(SignInStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            FirstFactor::parse("email_code"),
            Some(FirstFactor::EmailCode)
        );
    }
}
