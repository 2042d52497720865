//! The second-factor methods an instance offers (`[mfa] methods`).

use serde::{Deserialize, Serialize};

/// A method a user may enrol as a second factor. Backup codes come with either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MfaMethod {
    /// An authenticator app (TOTP).
    Totp,
    /// A code sent by text message.
    Sms,
}

impl MfaMethod {
    /// The name in settings and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Sms => "sms",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_named_as_in_settings() {
        for m in [MfaMethod::Totp, MfaMethod::Sms] {
            let json = serde_json::to_value(m).unwrap();
            assert_eq!(json, m.as_str());
            assert_eq!(serde_json::from_value::<MfaMethod>(json).unwrap(), m);
        }
        assert!(serde_json::from_str::<MfaMethod>("\"email\"").is_err());
    }
}
