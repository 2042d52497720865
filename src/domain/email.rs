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

    /// Parses an address into the one form it is compared, limited and stored in. Nothing is
    /// silently cleaned up: surrounding white space is an error (forms trim before calling this).
    /// On the server the domain goes through IDNA (UTS #46: `exämple.com`, its punycode and its
    /// full-width spelling are one domain, stored as punycode) and the local part through NFKC;
    /// both are lower-cased. The browser only lower-cases: it checks forms, the server decides.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        if input.is_empty() {
            return Err(EmailError::Empty);
        }
        if input.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = input.rsplit_once('@').ok_or(EmailError::Invalid)?;
        let local = normal_local(local);
        let domain = normal_domain(domain)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || "!#$%&'*+-/=?^_`{|}~.".contains(c)
                    || (!c.is_ascii() && !invisible(c))
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
        let address = format!("{local}@{domain}");
        if address.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Characters that do not show (zero-width and format characters, direction overrides, the
/// soft hyphen): two addresses that differ only by them would look the same in a member list.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}'
        | '\u{17b5}' | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}' | '\u{ffa0}' | '\u{fff0}'..='\u{fff8}')
        || c.is_control()
}

#[cfg(feature = "ssr")]
fn normal_local(local: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    local.nfkc().collect::<String>().to_lowercase()
}

#[cfg(not(feature = "ssr"))]
fn normal_local(local: &str) -> String {
    local.to_lowercase()
}

/// The ASCII (punycode) form of a domain; a label that is not valid IDNA is an invalid address.
#[cfg(feature = "ssr")]
fn normal_domain(domain: &str) -> Result<String, EmailError> {
    idna::domain_to_ascii(domain).map_err(|_| EmailError::Invalid)
}

#[cfg(not(feature = "ssr"))]
fn normal_domain(domain: &str) -> Result<String, EmailError> {
    Ok(domain.to_lowercase())
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

    #[cfg(feature = "ssr")]
    #[test]
    fn one_address_whatever_its_unicode_spelling() {
        let composed = EmailAddress::parse("victim@exämple.com").unwrap();
        assert_eq!(composed.as_str(), "victim@xn--exmple-cua.com");
        for same in [
            "victim@xn--exmple-cua.com",
            "Victim@EXÄMPLE.com",
            "victim@exa\u{308}mple.com",
            "\u{ff56}ictim@ex\u{e4}mple.com",
            "victim@ex\u{e4}mple\u{3002}com",
        ] {
            assert_eq!(EmailAddress::parse(same).unwrap(), composed, "{same:?}");
        }
        assert_eq!(
            EmailAddress::parse("ａｄａ@ＥＸＡＭＰＬＥ.com")
                .unwrap()
                .as_str(),
            "ada@example.com"
        );
        assert!(
            EmailAddress::parse("a@xn--a.com").is_err(),
            "invalid punycode"
        );
        assert!(EmailAddress::parse("a@exa_mple.com").is_err());
        for hidden in [
            "vic\u{200b}tim@example.com",
            "vic\u{202e}tim@example.com",
            "a\u{ad}b@example.com",
        ] {
            assert!(EmailAddress::parse(hidden).is_err(), "{hidden:?}");
        }
    }

    #[test]
    fn rejects_overlong_addresses() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }
}
