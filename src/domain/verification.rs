//! One-time verification codes (SPEC §3, §10): 6 digits, 10 minutes, 5 attempts, single use,
//! bound to a purpose.

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

/// The stored state of one issued code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeState {
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: u32,
    pub consumed: bool,
}

/// The outcome of presenting a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeVerdict {
    /// Right code, in time: consume it.
    Accept,
    /// Wrong code: count the attempt.
    Wrong,
    /// Expired, used up or already consumed: refuse without counting.
    Unusable,
}

impl CodeState {
    pub fn issued(now: i64) -> Self {
        Self {
            created_at: now,
            expires_at: now + CODE_TTL_SECS,
            attempts: 0,
            consumed: false,
        }
    }

    pub fn verdict(&self, now: i64, matches: bool) -> CodeVerdict {
        if self.consumed || now >= self.expires_at || self.attempts >= CODE_MAX_ATTEMPTS {
            CodeVerdict::Unusable
        } else if matches {
            CodeVerdict::Accept
        } else {
            CodeVerdict::Wrong
        }
    }

    /// Seconds until a new code may be sent (0 when it may be sent now).
    pub fn resend_wait(&self, now: i64) -> i64 {
        (self.created_at + CODE_RESEND_AFTER_SECS - now).max(0)
    }
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
    fn accepts_in_time_and_refuses_after_expiry() {
        let state = CodeState::issued(1_000);
        assert_eq!(
            state.verdict(1_000 + CODE_TTL_SECS - 1, true),
            CodeVerdict::Accept
        );
        assert_eq!(
            state.verdict(1_000 + CODE_TTL_SECS, true),
            CodeVerdict::Unusable
        );
        assert_eq!(state.verdict(1_001, false), CodeVerdict::Wrong);
    }

    #[test]
    fn single_use_and_bounded_attempts() {
        let mut state = CodeState::issued(0);
        state.consumed = true;
        assert_eq!(state.verdict(1, true), CodeVerdict::Unusable);
        let mut state = CodeState::issued(0);
        state.attempts = CODE_MAX_ATTEMPTS;
        assert_eq!(
            state.verdict(1, true),
            CodeVerdict::Unusable,
            "5 wrong tries burn the code"
        );
        state.attempts = CODE_MAX_ATTEMPTS - 1;
        assert_eq!(state.verdict(1, true), CodeVerdict::Accept);
    }

    #[test]
    fn resend_waits_thirty_seconds() {
        let state = CodeState::issued(100);
        assert_eq!(state.resend_wait(100), 30);
        assert_eq!(state.resend_wait(129), 1);
        assert_eq!(state.resend_wait(131), 0);
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
