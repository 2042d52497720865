//! The sign-up attempt: `missing_requirements` until every field is present and the
//! email address is verified, then `complete`. The attempt is a state machine like sign-in's: the
//! address is fixed when the attempt is created (another address is another attempt), and an
//! address that already has an account waits at the code step forever.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignUpStatus {
    MissingRequirements,
    Complete,
}

/// What a sign-up attempt holds so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignUpFacts {
    pub has_email: bool,
    pub has_password: bool,
    pub legal_consent_required: bool,
    pub legal_accepted: bool,
    pub email_verified: bool,
}

/// The attempt's status with its missing and unverified fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpProgress {
    pub status: SignUpStatus,
    pub missing_fields: Vec<String>,
    pub unverified_fields: Vec<String>,
}

pub fn progress(facts: SignUpFacts) -> SignUpProgress {
    let mut missing = Vec::new();
    if !facts.has_email {
        missing.push("email_address".to_string());
    }
    if !facts.has_password {
        missing.push("password".to_string());
    }
    if facts.legal_consent_required && !facts.legal_accepted {
        missing.push("legal_accepted".to_string());
    }
    let mut unverified = Vec::new();
    if facts.has_email && !facts.email_verified {
        unverified.push("email_address".to_string());
    }
    let status = if missing.is_empty() && unverified.is_empty() {
        SignUpStatus::Complete
    } else {
        SignUpStatus::MissingRequirements
    };
    SignUpProgress {
        status,
        missing_fields: missing,
        unverified_fields: unverified,
    }
}

/// The sign-up attempt's state: the form was accepted and the emailed code is awaited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpState {
    pub email: String,
    pub password_hash: String,
    pub legal_accepted: bool,
    /// The address already has an account: the flow looks the same, but no code was sent and
    /// none completes it.
    pub existing_account: bool,
}

/// A sign-up that is done: create the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignUpCompletion {
    pub email: String,
    pub password_hash: String,
}

/// Why a sign-up step is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignUpError {
    #[error("incorrect code")]
    CodeIncorrect,
}

impl SignUpState {
    /// The emailed code was verified for this attempt's address.
    pub fn code_verified(self) -> Result<SignUpCompletion, SignUpError> {
        if self.existing_account {
            return Err(SignUpError::CodeIncorrect);
        }
        Ok(SignUpCompletion {
            email: self.email,
            password_hash: self.password_hash,
        })
    }

    /// What the snapshot reports.
    pub fn progress(&self, legal_consent_required: bool) -> SignUpProgress {
        progress(SignUpFacts {
            has_email: true,
            has_password: true,
            legal_consent_required,
            legal_accepted: self.legal_accepted,
            email_verified: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_account_never_completes_and_a_new_one_does() {
        let state = SignUpState {
            email: "a@example.com".into(),
            password_hash: "h".into(),
            legal_accepted: false,
            existing_account: true,
        };
        assert_eq!(
            state.clone().code_verified(),
            Err(SignUpError::CodeIncorrect)
        );
        let fresh = SignUpState {
            existing_account: false,
            ..state
        };
        assert_eq!(
            fresh.clone().code_verified().map(|c| c.email),
            Ok("a@example.com".to_string())
        );
        assert_eq!(
            fresh.progress(false).unverified_fields,
            vec!["email_address"]
        );
    }

    #[test]
    fn complete_only_when_everything_is_there_and_verified() {
        let mut facts = SignUpFacts {
            has_email: true,
            has_password: true,
            ..Default::default()
        };
        let p = progress(facts);
        assert_eq!(p.status, SignUpStatus::MissingRequirements);
        assert_eq!(p.unverified_fields, vec!["email_address"]);
        facts.email_verified = true;
        assert_eq!(progress(facts).status, SignUpStatus::Complete);
    }

    #[test]
    fn legal_consent_is_a_requirement_only_when_configured() {
        let facts = SignUpFacts {
            has_email: true,
            has_password: true,
            legal_consent_required: true,
            legal_accepted: false,
            email_verified: true,
        };
        let p = progress(facts);
        assert_eq!(p.status, SignUpStatus::MissingRequirements);
        assert_eq!(p.missing_fields, vec!["legal_accepted"]);
        assert_eq!(
            progress(SignUpFacts {
                legal_accepted: true,
                ..facts
            })
            .status,
            SignUpStatus::Complete
        );
    }

    #[test]
    fn an_empty_attempt_misses_email_and_password() {
        let p = progress(SignUpFacts::default());
        assert_eq!(p.missing_fields, vec!["email_address", "password"]);
        assert!(p.unverified_fields.is_empty());
    }
}
