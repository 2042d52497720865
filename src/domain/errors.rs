//! Stable error codes and the fixed sentences shown for them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The error codes as one table: each row is a variant, its stable code (the only spelling on
/// the wire), its HTTP status and the sentence shown for it — an expression over `n` (the number
/// some sentences carry) and `detail` (a field name, for the field errors). Adding a code is
/// adding a row.
macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:literal, |$n:ident, $detail:ident| $sentence:expr;)*) => {
        /// Every error a flow or API can answer with. [`ErrorCode::as_str`] is the stable code,
        /// and the only spelling on the wire (serde uses it too).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant),*];

            /// The stable code string, e.g. `form_password_incorrect`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The HTTP status that goes with the code.
            pub fn http_status(self) -> u16 {
                match self {
                    $(Self::$variant => $status,)*
                }
            }
        }

        /// The sentence for `code`, given the error's number and detail.
        #[allow(unused_variables)]
        fn sentence_of(code: ErrorCode, n: u64, detail: Option<&String>) -> String {
            match code {
                $(ErrorCode::$variant => {
                    let ($n, $detail) = (n, detail);
                    let sentence: String = $sentence;
                    sentence
                })*
            }
        }
    };
}

error_codes! {
    FormIdentifierNotFound = "form_identifier_not_found", 422, |n, detail| "Couldn't find your account.".into();
    FormPasswordIncorrect = "form_password_incorrect", 422, |n, detail| "Email address or password is incorrect.".into();
    FormCodeIncorrect = "form_code_incorrect", 422, |n, detail| "Incorrect code.".into();
    FormPasswordPwned = "form_password_pwned", 422, |n, detail| "This password has been found as part of a breach and can not be used, please try another password.".into();
    FormPasswordCompromised = "form_password_compromised", 422, |n, detail| "Your password may be compromised. To protect your account, please continue with an alternative sign-in method. You will be required to reset your password after signing in.".into();
    UserLocked = "user_locked", 422, |n, detail| format!(
        "Your account is locked. You will be able to try again in {}.",
        plural(n.max(1), "minute", "minutes")
    );
    SessionExists = "session_exists", 422, |n, detail| "You're already signed in.".into();
    IdentifierAlreadySignedIn = "identifier_already_signed_in", 422, |n, detail| "You're already signed in to this account.".into();
    TooManyRequests = "too_many_requests", 429, |n, detail| format!(
        "Too many requests. Please try again in {}.",
        plural(n.max(1), "second", "seconds")
    );
    FormPasswordLengthTooShort = "form_password_length_too_short", 422, |n, detail| {
        format!("Your password must contain {n} or more characters.")
    };
    FormPasswordLengthTooLong = "form_password_length_too_long", 422, |n, detail| {
        format!("Your password must contain {n} or fewer characters.")
    };
    FormNewPasswordMatchesCurrent = "form_new_password_matches_current", 422, |n, detail| {
        "Your new password must be different from your current password.".into()
    };
    FormPasswordMismatch = "form_password_mismatch", 422, |n, detail| "Passwords don't match.".into();
    FormPasswordMatchesIdentifier = "form_password_matches_identifier", 422, |n, detail| {
        "Your password can't be the same as your email address.".into()
    };
    FormLegalConsentMissing = "form_legal_consent_missing", 422, |n, detail| {
        "You must accept the Terms of Service and Privacy Policy to continue.".into()
    };
    FormIdentifierExists = "form_identifier_exists", 409, |n, detail| "That email address is taken. Please try another.".into();
    TooManySessions = "too_many_sessions", 422, |n, detail| {
        format!("You can be signed in to at most {n} accounts on this browser.")
    };
    FormParamFormatInvalid = "form_param_format_invalid", 422, |n, detail| match detail {
        Some(d) => format!("{d} is invalid."),
        None => "Enter a valid email address.".into(),
    };
    FormParamMissing = "form_param_missing", 422, |n, detail| match detail {
        Some(d) => format!("{d} is required."),
        None => "A required field is missing.".into(),
    };
    FormParamTooLong = "form_param_too_long", 422, |n, detail| match detail {
        Some(d) => format!("{d} is too long."),
        None => "A field is too long.".into(),
    };
    OriginMismatch = "origin_mismatch", 403, |n, detail| "This request came from another site and was refused.".into();
    SignUpDisabled = "sign_up_disabled", 422, |n, detail| "Sign-up is disabled on this instance.".into();
    TaskNotCurrent = "task_not_current", 403, |n, detail| "This step is not available right now.".into();
    OrganizationSlugTaken = "organization_slug_taken", 409, |n, detail| "That slug is taken. Please try another.".into();
    PersonalWorkspaceDisabled = "personal_workspace_disabled", 422, |n, detail| {
        "You must choose an organization: personal accounts are turned off.".into()
    };
    OrganizationCreationDisabled = "organization_creation_disabled", 403, |n, detail| {
        "Creating organizations is turned off on this instance.".into()
    };
    ReverificationRequired = "reverification_required", 403, |n, detail| {
        "Verify your identity to continue.".into()
    };
    LastFactorRequired = "last_factor_required", 422, |n, detail| {
        "You can't remove your last second factor while two-step verification is required."
            .into()
    };
    AttemptMissing = "attempt_missing", 422, |n, detail| "Your sign-in session has expired. Please start again.".into();
    SignInStepInvalid = "sign_in_step_invalid", 409, |n, detail| {
        "This step is not available any more. Please start again.".into()
    };
    StrategyForUserInvalid = "strategy_for_user_invalid", 422, |n, detail| {
        "That verification method is not available for this account.".into()
    };
    CodeResendTooSoon = "code_resend_too_soon", 422, |n, detail| format!(
        "You can request a new code in {}.",
        plural(n.max(1), "second", "seconds")
    );
    LastAdminRequired = "last_admin_required", 409, |n, detail| {
        "An organization must keep at least one admin.".into()
    };
    AlreadyMember = "already_a_member_in_organization", 409, |n, detail| "That person is already a member of this organization.".into();
    InvitationAlreadyPending = "duplicate_record", 409, |n, detail| {
        "An invitation to that email address is already pending.".into()
    };
    InvitationInvalid = "invitation_invalid", 422, |n, detail| {
        "This invitation is no longer valid. Ask an admin of the organization for a new one."
            .into()
    };
    InvitationEmailMismatch = "invitation_email_mismatch", 422, |n, detail| {
        "This invitation was sent to a different email address.".into()
    };
    Unauthenticated = "unauthenticated", 401, |n, detail| "You need to sign in to do that.".into();
    Forbidden = "forbidden", 403, |n, detail| "You are not allowed to do that.".into();
    ResourceNotFound = "resource_not_found", 404, |n, detail| "Not found.".into();
    MalformedRequest = "malformed_request", 400, |n, detail| match detail {
        Some(d) => format!("The request is malformed: {d}"),
        None => "The request is malformed.".into(),
    };
    Internal = "internal_error", 500, |n, detail| "Something went wrong. Please try again.".into();
}

impl ErrorCode {
    /// The code named by its stable string.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::parse(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code `{code}`")))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The largest `n` an error read from a URL keeps (minutes, seconds and limits are far below).
pub const MAX_URL_N: u64 = 1_000_000;

/// A flow error: a stable code, and the number some sentences carry (minutes, seconds, limits).
/// On the wire it also carries `errors: [{ code, message }]`, the shape of every other error
/// answer (README, "Backend API"), so a client can read any error the same way.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FlowError {
    pub code: ErrorCode,
    /// Minutes for `user_locked`, seconds for `too_many_requests`, the limit for length and
    /// session-count errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u64>,
    /// Free text for codes without a fixed sentence (internal details never go here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl FlowError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            n: None,
            detail: None,
        }
    }

    pub fn with_n(code: ErrorCode, n: u64) -> Self {
        Self {
            code,
            n: Some(n),
            detail: None,
        }
    }

    pub fn with_detail(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            n: None,
            detail: Some(detail.into()),
        }
    }

    /// An error read back from a page's URL (the no-JavaScript round trip, `?__err=`): anyone can
    /// write such a link, so only what the server itself puts there is kept — `detail` only as a
    /// field name (up to two words, at most 24 letters, digits, `_` or `.`) and only for the
    /// field errors, `n` at most [`MAX_URL_N`]. Anything else falls back to the fixed sentence.
    pub fn from_url(self) -> Self {
        let field_name = |d: &str| {
            d.len() <= 24
                && d.split(' ').count() <= 2
                && d.split(' ').all(|w| {
                    !w.is_empty()
                        && w.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                })
        };
        let detail = match self.code {
            ErrorCode::FormParamFormatInvalid
            | ErrorCode::FormParamMissing
            | ErrorCode::FormParamTooLong => self.detail.filter(|d| field_name(d)),
            _ => None,
        };
        Self {
            code: self.code,
            n: self.n.filter(|n| *n <= MAX_URL_N),
            detail,
        }
    }

    /// The sentence shown to people. Fixed for the codes the README lists.
    pub fn sentence(&self) -> String {
        sentence_of(self.code, self.n.unwrap_or(0), self.detail.as_ref())
    }
}

impl Serialize for FlowError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(Serialize)]
        struct Entry<'a> {
            code: &'a str,
            message: String,
        }
        let fields = 2 + usize::from(self.n.is_some()) + usize::from(self.detail.is_some());
        let mut s = serializer.serialize_struct("FlowError", fields)?;
        s.serialize_field("code", &self.code)?;
        if let Some(n) = self.n {
            s.serialize_field("n", &n)?;
        }
        if let Some(detail) = &self.detail {
            s.serialize_field("detail", detail)?;
        }
        s.serialize_field(
            "errors",
            &[Entry {
                code: self.code.as_str(),
                message: self.sentence(),
            }],
        )?;
        s.end()
    }
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sentence())
    }
}

impl std::error::Error for FlowError {}

impl From<super::organization::OrganizationInputError> for FlowError {
    fn from(e: super::organization::OrganizationInputError) -> Self {
        let code = if e.is_too_long() {
            ErrorCode::FormParamTooLong
        } else {
            ErrorCode::FormParamFormatInvalid
        };
        FlowError::with_detail(code, e.field())
    }
}

impl From<ErrorCode> for FlowError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_from_a_url_keeps_only_what_the_server_puts_there() {
        let field = FlowError::with_detail(ErrorCode::FormParamFormatInvalid, "Verification code");
        assert_eq!(field.clone().from_url(), field);
        let dotted = FlowError::with_detail(ErrorCode::FormParamTooLong, "members.role");
        assert_eq!(dotted.clone().from_url(), dotted);
        let spoof = FlowError::with_detail(
            ErrorCode::MalformedRequest,
            "Your account was suspended, call +1 555 0100",
        );
        assert_eq!(spoof.from_url().sentence(), "The request is malformed.");
        for text in [
            "Call us at 555",
            "Account suspended, call",
            "a\nb",
            "<b>x</b>",
            "",
        ] {
            let e = FlowError::with_detail(ErrorCode::FormParamMissing, text).from_url();
            assert_eq!(e.detail, None, "{text:?} was kept");
        }
        let locked = FlowError::with_n(ErrorCode::UserLocked, u64::MAX).from_url();
        assert_eq!(locked.n, None);
        assert_eq!(
            FlowError::with_n(ErrorCode::TooManyRequests, 7)
                .from_url()
                .n,
            Some(7)
        );
    }

    #[test]
    fn fixed_sentences_match_the_spec() {
        assert_eq!(
            FlowError::new(ErrorCode::FormPasswordIncorrect).sentence(),
            "Email address or password is incorrect."
        );
        assert_eq!(
            FlowError::new(ErrorCode::FormCodeIncorrect).sentence(),
            "Incorrect code."
        );
        assert_eq!(
            FlowError::with_n(ErrorCode::UserLocked, 1).sentence(),
            "Your account is locked. You will be able to try again in 1 minute."
        );
        assert_eq!(
            FlowError::with_n(ErrorCode::UserLocked, 60).sentence(),
            "Your account is locked. You will be able to try again in 60 minutes."
        );
        assert_eq!(
            FlowError::with_n(ErrorCode::TooManyRequests, 1).sentence(),
            "Too many requests. Please try again in 1 second."
        );
        assert_eq!(
            FlowError::with_n(ErrorCode::TooManyRequests, 7).sentence(),
            "Too many requests. Please try again in 7 seconds."
        );
        assert_eq!(
            FlowError::with_n(ErrorCode::FormPasswordLengthTooShort, 8).sentence(),
            "Your password must contain 8 or more characters."
        );
        assert_eq!(
            FlowError::with_n(ErrorCode::TooManySessions, 5).sentence(),
            "You can be signed in to at most 5 accounts on this browser."
        );
    }

    #[test]
    fn every_code_has_one_spelling_on_the_wire() {
        let unique: std::collections::HashSet<_> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(unique.len(), ErrorCode::ALL.len());
        for &code in ErrorCode::ALL {
            let json = serde_json::to_value(FlowError::with_n(code, 3)).unwrap();
            assert_eq!(json["code"], code.as_str(), "{json}");
            assert_eq!(json["errors"][0]["code"], code.as_str());
            let back: FlowError = serde_json::from_value(json).unwrap();
            assert_eq!(back.code, code);
        }
    }

    #[test]
    fn codes_serialize_as_snake_case_strings() {
        let json = serde_json::to_string(&ErrorCode::FormPasswordPwned).unwrap();
        assert_eq!(json, "\"form_password_pwned\"");
        assert_eq!(ErrorCode::FormPasswordPwned.as_str(), "form_password_pwned");
        assert_eq!(ErrorCode::TooManyRequests.http_status(), 429);
    }
}
