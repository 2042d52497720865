//! The sign-in attempt as a state machine (README, "Security defaults"), after kanidm's
//! `idm/authsession`: each status is a variant that carries exactly its own data, and each step is
//! a transition that answers the next state (or a completed sign-in) or a stable error. No
//! transition changes the identifier once the attempt has one, and the user a code or factor is
//! proven for is the user the state names — so an attempt can never be re-pointed at another
//! account.

use serde::{Deserialize, Serialize};

use super::verification::CodePurpose;

/// Where a sign-in attempt stands (Clerk's status names, `needs_identifier` to `complete`).
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

    /// The sign-in step (below `sign_in_url`) that serves this status.
    pub fn step(self) -> &'static str {
        match self {
            Self::NeedsIdentifier | Self::NeedsFirstFactor => "factor-one",
            Self::NeedsSecondFactor => "factor-two",
            Self::NeedsClientTrust => "client-trust",
            Self::NeedsNewPassword => "reset-password",
            Self::Complete => "",
        }
    }
}

/// How the first factor is being proven (what the snapshot reports as the attempt's strategy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstFactor {
    Password,
    EmailCode,
    ResetPasswordEmailCode,
}

/// What the visitor asked for when the first screen was submitted without an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// "Use another method": the first-factor choices.
    AnotherMethod,
    /// "Forgot password?": a reset code.
    ResetPassword,
}

/// The address an attempt is for. `user_id` is `None` for an address without an account (with
/// enumeration protection the flow looks the same, but no code is ever sent and none is accepted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub identifier: String,
    pub user_id: Option<String>,
}

/// The first-factor step the attempt waits at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstFactorStep {
    /// The list of other methods ("Email code"). `password_compromised`: the password was right
    /// but may not be trusted.
    Choose { password_compromised: bool },
    /// An email code was sent (or, for an unknown address, seemed to be).
    EmailCode { password_compromised: bool },
    /// A password-reset code was sent (or seemed to be).
    ResetCode,
}

/// A new password chosen in forgot-password, applied only once the sign-in completes (so a reset
/// never changes the password of a user who has not also proven the second factor).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPassword {
    pub hash: String,
    pub sign_out_others: bool,
}

/// The attempt's state: each variant carries exactly what that status needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignInState {
    NeedsIdentifier {
        intent: Intent,
    },
    NeedsFirstFactor {
        account: Account,
        step: FirstFactorStep,
    },
    NeedsClientTrust {
        account: Account,
    },
    NeedsNewPassword {
        account: Account,
    },
    NeedsSecondFactor {
        account: Account,
        first_factor: FirstFactor,
        new_password: Option<PendingPassword>,
    },
}

/// What the server knows about the user and this client once the first factor is proven.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FirstFactorFacts {
    pub has_second_factor: bool,
    pub client_trust_enabled: bool,
    /// This client has completed a sign-in for this user before.
    pub client_known: bool,
}

/// A sign-in that is done: the session for `user_id` may be created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub user_id: String,
    pub first_factor: FirstFactor,
    pub second_factor: bool,
    /// Forgot-password: the new password to set as the session is created.
    pub new_password: Option<PendingPassword>,
}

/// The result of a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Continue(SignInState),
    Complete(Completion),
}

/// Why a step is refused. Each maps to a stable error code at the edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The step does not belong to the attempt's current status (out of order, twice, or for an
    /// identifier the attempt already has).
    #[error("this step is not available at the attempt's status")]
    StepInvalid,
    /// The code or factor is wrong, or the address has no account.
    #[error("incorrect code")]
    CodeIncorrect,
}

pub type Transition = Result<Step, SignInError>;

/// The state after a right password for `account`'s user.
pub fn after_password(account: Account, compromised: bool, facts: FirstFactorFacts) -> Step {
    let Some(user_id) = account.user_id.clone() else {
        // Unreachable in practice (an unknown address never has a right password); refuse as if
        // it were wrong by waiting at the method list, which can never complete.
        return Step::Continue(SignInState::NeedsFirstFactor {
            account,
            step: FirstFactorStep::Choose {
                password_compromised: false,
            },
        });
    };
    if compromised {
        return Step::Continue(SignInState::NeedsFirstFactor {
            account,
            step: FirstFactorStep::Choose {
                password_compromised: true,
            },
        });
    }
    if facts.has_second_factor {
        return Step::Continue(SignInState::NeedsSecondFactor {
            account,
            first_factor: FirstFactor::Password,
            new_password: None,
        });
    }
    if facts.client_trust_enabled && !facts.client_known {
        return Step::Continue(SignInState::NeedsClientTrust { account });
    }
    Step::Complete(Completion {
        user_id,
        first_factor: FirstFactor::Password,
        second_factor: false,
        new_password: None,
    })
}

impl SignInState {
    /// The status name of this state.
    pub fn status(&self) -> SignInStatus {
        match self {
            Self::NeedsIdentifier { .. } => SignInStatus::NeedsIdentifier,
            Self::NeedsFirstFactor { .. } => SignInStatus::NeedsFirstFactor,
            Self::NeedsClientTrust { .. } => SignInStatus::NeedsClientTrust,
            Self::NeedsNewPassword { .. } => SignInStatus::NeedsNewPassword,
            Self::NeedsSecondFactor { .. } => SignInStatus::NeedsSecondFactor,
        }
    }

    /// The attempt's address, once it has one (it never changes afterwards).
    pub fn account(&self) -> Option<&Account> {
        match self {
            Self::NeedsIdentifier { .. } => None,
            Self::NeedsFirstFactor { account, .. }
            | Self::NeedsClientTrust { account }
            | Self::NeedsNewPassword { account }
            | Self::NeedsSecondFactor { account, .. } => Some(account),
        }
    }

    pub fn identifier(&self) -> Option<&str> {
        self.account().map(|a| a.identifier.as_str())
    }

    /// The user the attempt is for, once known.
    pub fn user_id(&self) -> Option<&str> {
        self.account().and_then(|a| a.user_id.as_deref())
    }

    /// The strategy the snapshot reports.
    pub fn strategy(&self) -> Option<FirstFactor> {
        match self {
            Self::NeedsIdentifier {
                intent: Intent::ResetPassword,
            }
            | Self::NeedsNewPassword { .. }
            | Self::NeedsFirstFactor {
                step: FirstFactorStep::ResetCode,
                ..
            } => Some(FirstFactor::ResetPasswordEmailCode),
            Self::NeedsFirstFactor {
                step: FirstFactorStep::EmailCode { .. },
                ..
            } => Some(FirstFactor::EmailCode),
            Self::NeedsSecondFactor { first_factor, .. } => Some(*first_factor),
            Self::NeedsClientTrust { .. } => Some(FirstFactor::Password),
            _ => None,
        }
    }

    /// The password was right but compromised (the method list shows the notice).
    pub fn password_compromised(&self) -> bool {
        matches!(
            self,
            Self::NeedsFirstFactor {
                step: FirstFactorStep::Choose {
                    password_compromised: true
                } | FirstFactorStep::EmailCode {
                    password_compromised: true
                },
                ..
            }
        )
    }

    /// The emailed code this state accepts, if any.
    pub fn code_purpose(&self) -> Option<CodePurpose> {
        match self {
            Self::NeedsFirstFactor {
                step: FirstFactorStep::EmailCode { .. },
                ..
            } => Some(CodePurpose::SignInEmail),
            Self::NeedsFirstFactor {
                step: FirstFactorStep::ResetCode,
                ..
            } => Some(CodePurpose::ResetPassword),
            Self::NeedsClientTrust { .. } => Some(CodePurpose::ClientTrust),
            _ => None,
        }
    }

    /// The email-address step (`needs_identifier` only): the identifier is set once. A reset
    /// intent goes straight to the reset code.
    pub fn identify(self, account: Account) -> Transition {
        match self {
            Self::NeedsIdentifier { intent } => {
                let step = match intent {
                    Intent::AnotherMethod => FirstFactorStep::Choose {
                        password_compromised: false,
                    },
                    Intent::ResetPassword => FirstFactorStep::ResetCode,
                };
                Ok(Step::Continue(Self::NeedsFirstFactor { account, step }))
            }
            _ => Err(SignInError::StepInvalid),
        }
    }

    /// "Email code" on the method list: a code is sent to the attempt's own address.
    pub fn choose_email_code(self) -> Transition {
        match self {
            Self::NeedsFirstFactor {
                account,
                step:
                    FirstFactorStep::Choose {
                        password_compromised,
                    }
                    | FirstFactorStep::EmailCode {
                        password_compromised,
                    },
            } => Ok(Step::Continue(Self::NeedsFirstFactor {
                account,
                step: FirstFactorStep::EmailCode {
                    password_compromised,
                },
            })),
            _ => Err(SignInError::StepInvalid),
        }
    }

    /// The emailed code of this state was verified for the attempt's user.
    pub fn code_verified(self, facts: FirstFactorFacts) -> Transition {
        let (account, first_factor) = match self {
            Self::NeedsFirstFactor {
                account,
                step: FirstFactorStep::ResetCode,
            } => {
                if account.user_id.is_none() {
                    return Err(SignInError::CodeIncorrect);
                }
                return Ok(Step::Continue(Self::NeedsNewPassword { account }));
            }
            Self::NeedsFirstFactor {
                account,
                step: FirstFactorStep::EmailCode { .. },
            } => (account, FirstFactor::EmailCode),
            Self::NeedsClientTrust { account } => (account, FirstFactor::Password),
            _ => return Err(SignInError::StepInvalid),
        };
        let Some(user_id) = account.user_id.clone() else {
            return Err(SignInError::CodeIncorrect);
        };
        // A user with MFA always proves it — also when the factor was enabled while this attempt
        // waited for its device code.
        if facts.has_second_factor {
            return Ok(Step::Continue(Self::NeedsSecondFactor {
                account,
                first_factor,
                new_password: None,
            }));
        }
        Ok(Step::Complete(Completion {
            user_id,
            first_factor,
            second_factor: false,
            new_password: None,
        }))
    }

    /// The new password of forgot-password. With MFA the second factor comes first and the
    /// password is set only when it is proven.
    pub fn new_password(self, password: PendingPassword, has_second_factor: bool) -> Transition {
        match self {
            Self::NeedsNewPassword { account } => {
                let Some(user_id) = account.user_id.clone() else {
                    return Err(SignInError::StepInvalid);
                };
                if has_second_factor {
                    Ok(Step::Continue(Self::NeedsSecondFactor {
                        account,
                        first_factor: FirstFactor::ResetPasswordEmailCode,
                        new_password: Some(password),
                    }))
                } else {
                    Ok(Step::Complete(Completion {
                        user_id,
                        first_factor: FirstFactor::ResetPasswordEmailCode,
                        second_factor: false,
                        new_password: Some(password),
                    }))
                }
            }
            _ => Err(SignInError::StepInvalid),
        }
    }

    /// The second factor was proven for the attempt's user.
    pub fn second_factor_verified(self) -> Transition {
        match self {
            Self::NeedsSecondFactor {
                account,
                first_factor,
                new_password,
            } => {
                let user_id = account.user_id.ok_or(SignInError::StepInvalid)?;
                Ok(Step::Complete(Completion {
                    user_id,
                    first_factor,
                    second_factor: true,
                    new_password,
                }))
            }
            _ => Err(SignInError::StepInvalid),
        }
    }
}

#[cfg(test)]
mod tests;
