//! Email addresses: parsed once, valid afterwards.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically valid email address, stored lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

/// Why a string is not an email address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("email address is empty")]
    Empty,
    #[error("email address is longer than 254 characters")]
    TooLong,
    #[error("email address is not valid")]
    Invalid,
}

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    /// Parses an address. Nothing is silently cleaned up: surrounding white space is an error
    /// (forms trim before calling this). The whole address is lower-cased.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        if input.is_empty() {
            return Err(EmailError::Empty);
        }
        if input.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = input.rsplit_once('@').ok_or(EmailError::Invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| {
                c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii()
            });
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(EmailError::Invalid);
        }
        Ok(Self(input.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases() {
        assert_eq!(
            EmailAddress::parse("Ada@Example.COM").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(EmailAddress::parse("a.b+tag@sub.example.org").is_ok());
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            " a@b.com",
            "a@b.com ",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b..com",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn rejects_overlong_addresses() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }
}
