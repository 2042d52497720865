//! One-time verification codes (README, "Security defaults"): 6 digits, 10 minutes, 5 judgements,
//! single use, bound to a purpose, to the attempt and to the user they were sent for.

use serde::{Deserialize, Serialize};

pub const CODE_TTL_SECS: i64 = 600;
pub const CODE_MAX_ATTEMPTS: u32 = 5;
pub const CODE_RESEND_AFTER_SECS: i64 = 30;

/// What a code proves. A code made for one purpose never satisfies another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodePurpose {
    SignUpEmail,
    SignInEmail,
    ResetPassword,
    ClientTrust,
    SmsSecondFactor,
    PhoneVerification,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUpEmail => "sign_up_email",
            Self::SignInEmail => "sign_in_email",
            Self::ResetPassword => "reset_password",
            Self::ClientTrust => "client_trust",
            Self::SmsSecondFactor => "sms_second_factor",
            Self::PhoneVerification => "phone_verification",
        }
    }
}

/// Wrong second factors (authenticator, SMS or backup code) one sign-in attempt may judge before
/// it is abandoned; the user-wide lockout counts them as well.
pub const SECOND_FACTOR_MAX_JUDGEMENTS: u32 = 5;

/// Seconds until a new code may be sent after one was sent at `sent_at` (0 when it may be sent).
pub fn resend_wait(sent_at: i64, now: i64) -> i64 {
    (sent_at + CODE_RESEND_AFTER_SECS - now).max(0)
}

/// Normalises what a person typed: spaces and dashes are dropped; six ASCII digits remain.
pub fn parse_code(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resend_waits_thirty_seconds() {
        assert_eq!(resend_wait(100, 100), 30);
        assert_eq!(resend_wait(100, 129), 1);
        assert_eq!(resend_wait(100, 130), 0);
        assert_eq!(resend_wait(100, 500), 0);
    }

    #[test]
    fn parses_typed_codes() {
        assert_eq!(parse_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(parse_code("123-456").as_deref(), Some("123456"));
        assert_eq!(parse_code("12345"), None);
        assert_eq!(parse_code("1234567"), None);
        assert_eq!(parse_code("12345a"), None);
        assert_eq!(parse_code("١٢٣٤٥٦"), None, "only ASCII digits");
    }
}
