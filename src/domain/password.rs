//! The password policy (README, "Security defaults").

use super::errors::{ErrorCode, FlowError};

/// Hard upper bound on password length, in characters (never truncated).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The instance's password rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub reject_breached: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            reject_breached: true,
        }
    }
}

impl PasswordPolicy {
    /// Checks a new password. `is_breached` answers whether the password is in the bundled list of
    /// breached/common passwords; it is only asked when `reject_breached` is on.
    pub fn check(
        &self,
        password: &str,
        email: &str,
        is_breached: impl Fn(&str) -> bool,
    ) -> Result<(), FlowError> {
        let chars = password.chars().count();
        if chars < self.min_length {
            return Err(FlowError::with_n(
                ErrorCode::FormPasswordLengthTooShort,
                self.min_length as u64,
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(FlowError::with_n(
                ErrorCode::FormPasswordLengthTooLong,
                MAX_PASSWORD_CHARS as u64,
            ));
        }
        if !email.is_empty() && password.to_lowercase() == email.to_lowercase() {
            return Err(ErrorCode::FormPasswordMatchesIdentifier.into());
        }
        if self.reject_breached && is_breached(password) {
            return Err(ErrorCode::FormPasswordPwned.into());
        }
        Ok(())
    }

    /// Checks a new password together with its confirmation.
    pub fn check_new(
        &self,
        password: &str,
        confirm: &str,
        email: &str,
        is_breached: impl Fn(&str) -> bool,
    ) -> Result<(), FlowError> {
        self.check(password, email, is_breached)?;
        if password != confirm {
            return Err(ErrorCode::FormPasswordMismatch.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: &str) -> bool {
        false
    }

    #[test]
    fn enforces_minimum_in_characters_not_bytes() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            policy.check("short", "a@b.co", never).unwrap_err().code,
            ErrorCode::FormPasswordLengthTooShort
        );
        // 8 multi-byte characters are enough.
        assert!(policy.check("ééééééééé", "a@b.co", never).is_ok());
        let custom = PasswordPolicy {
            min_length: 12,
            reject_breached: true,
        };
        let err = custom.check("elevenchars", "a@b.co", never).unwrap_err();
        assert_eq!(err.n, Some(12));
    }

    #[test]
    fn enforces_maximum_without_truncating() {
        let policy = PasswordPolicy::default();
        assert!(policy.check(&"x".repeat(256), "a@b.co", never).is_ok());
        assert_eq!(
            policy
                .check(&"x".repeat(257), "a@b.co", never)
                .unwrap_err()
                .code,
            ErrorCode::FormPasswordLengthTooLong
        );
    }

    #[test]
    fn refuses_the_email_and_breached_passwords() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            policy
                .check("Ada@Example.com", "ada@example.com", never)
                .unwrap_err()
                .code,
            ErrorCode::FormPasswordMatchesIdentifier
        );
        let breached = |p: &str| p == "password123";
        assert_eq!(
            policy
                .check("password123", "a@b.co", breached)
                .unwrap_err()
                .code,
            ErrorCode::FormPasswordPwned
        );
        let lax = PasswordPolicy {
            min_length: 8,
            reject_breached: false,
        };
        assert!(lax.check("password123", "a@b.co", breached).is_ok());
    }

    #[test]
    fn confirmation_must_match() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            policy
                .check_new("correct horse", "correct house", "a@b.co", never)
                .unwrap_err()
                .code,
            ErrorCode::FormPasswordMismatch
        );
        assert!(policy
            .check_new("correct horse", "correct horse", "a@b.co", never)
            .is_ok());
    }
}
