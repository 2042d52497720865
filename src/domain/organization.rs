//! Organizations: names, slugs and roles (README, "Organizations, the switcher and invitations").

use serde::{Deserialize, Serialize};

pub const ROLE_ADMIN: &str = "org:admin";
pub const ROLE_MEMBER: &str = "org:member";
pub const MAX_NAME_CHARS: usize = 100;

/// The permissions of the built-in roles (README, "Organizations, the switcher and invitations").
pub const READ_MEMBERS: &str = "org:sys_memberships:read";
pub const MANAGE_MEMBERS: &str = "org:sys_memberships:manage";
pub const MANAGE_INVITATIONS: &str = "org:sys_invitations:manage";
pub const MANAGE_PROFILE: &str = "org:sys_profile:manage";
pub const MAX_SLUG_LEN: usize = 64;

/// A valid organization slug: lowercase ASCII letters, digits and `-`, at least one letter or
/// digit, at most 64 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrganizationSlug(String);

impl OrganizationSlug {
    /// Parses a slug as given; nothing is cleaned up.
    pub fn parse(input: &str) -> Option<Self> {
        let ok = !input.is_empty()
            && input.len() <= MAX_SLUG_LEN
            && input
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && input.chars().any(|c| c.is_ascii_alphanumeric());
        ok.then(|| Self(input.to_string()))
    }

    /// Derives a slug from a name: lower-cased, runs of other characters become one `-`.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut slug = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: String = slug
            .trim_end_matches('-')
            .chars()
            .take(MAX_SLUG_LEN)
            .collect();
        Self::parse(slug.trim_end_matches('-'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A trimmed, non-empty organization name of at most 100 characters that does not look like a
/// web address: names go into invitation emails, where a link in one would be a phishing link
/// sent in the instance's name.
pub fn parse_name(input: &str) -> Option<String> {
    let name = input.trim();
    (!name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control)
        && !looks_like_link(name))
    .then(|| name.to_string())
}

/// Whether `text` holds something a mail client would show as a link: a scheme (`https:…`,
/// `javascript:…`), `www.`, or a word shaped like a domain name (`example.com`).
pub fn looks_like_link(text: &str) -> bool {
    // Full-width and ideographic full stops are dots to a mail client.
    let lower: String = text
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '\u{ff0e}' | '\u{3002}' | '\u{ff61}' => '.',
            c => c,
        })
        .collect();
    if lower.contains("://") || lower.contains("www.") {
        return true;
    }
    let scheme = lower.split_whitespace().any(|word| {
        word.split_once(':').is_some_and(|(scheme, rest)| {
            !rest.is_empty()
                && scheme.len() >= 2
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        })
    });
    // A domain is looked for in every run of letters, digits, `-` and `.`: `evil.com/login`,
    // `Acme,evil.com` and `evil.com?x` each hold one.
    let domain = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.'))
        .any(|run| {
            let labels: Vec<&str> = run.trim_matches('.').split('.').collect();
            labels.len() >= 2
                && labels.iter().all(|l| !l.is_empty())
                && labels.last().is_some_and(|tld| {
                    tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic)
                })
        });
    scheme || domain
}

/// Why an organization's name or slug is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OrganizationInputError {
    #[error("Name is too long")]
    NameTooLong,
    #[error("Name is invalid")]
    NameInvalid,
    #[error("Slug is too long")]
    SlugTooLong,
    #[error("Slug is invalid")]
    SlugInvalid,
}

impl OrganizationInputError {
    /// The field it is about ("Name" or "Slug").
    pub fn field(self) -> &'static str {
        match self {
            Self::NameTooLong | Self::NameInvalid => "Name",
            Self::SlugTooLong | Self::SlugInvalid => "Slug",
        }
    }

    pub fn is_too_long(self) -> bool {
        matches!(self, Self::NameTooLong | Self::SlugTooLong)
    }
}

/// An organization's name and slug as typed — the one parser every form and the Backend API use:
/// the name trimmed (1 to 100 characters, no control characters); the slug as given (nothing is
/// cleaned up), or derived from the name when it is `None` or empty.
pub fn parse_name_and_slug(
    name: &str,
    slug: Option<&str>,
) -> Result<(String, OrganizationSlug), OrganizationInputError> {
    if name.trim().chars().count() > MAX_NAME_CHARS {
        return Err(OrganizationInputError::NameTooLong);
    }
    let name = parse_name(name).ok_or(OrganizationInputError::NameInvalid)?;
    let slug = match slug.filter(|s| !s.is_empty()) {
        Some(s) if s.len() > MAX_SLUG_LEN => return Err(OrganizationInputError::SlugTooLong),
        Some(s) => OrganizationSlug::parse(s),
        None => OrganizationSlug::from_name(&name),
    }
    .ok_or(OrganizationInputError::SlugInvalid)?;
    Ok((name, slug))
}

/// Is `role` one of the built-in roles?
pub fn is_known_role(role: &str) -> bool {
    role == ROLE_ADMIN || role == ROLE_MEMBER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_rules() {
        assert!(OrganizationSlug::parse("acme-2").is_some());
        for bad in [
            "",
            "Acme",
            "acme corp",
            "---",
            "acmé",
            "a_b",
            &"a".repeat(65),
        ] {
            assert!(OrganizationSlug::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn slugs_derive_from_names() {
        assert_eq!(
            OrganizationSlug::from_name("Acme Corp!").unwrap().as_str(),
            "acme-corp"
        );
        assert_eq!(
            OrganizationSlug::from_name("  Ünïcode & Co  ")
                .unwrap()
                .as_str(),
            "n-code-co"
        );
        assert!(OrganizationSlug::from_name("!!!").is_none());
    }

    #[test]
    fn names_that_look_like_links_are_refused() {
        for link in [
            "Visit https://evil.example now",
            "http:evil",
            "javascript:alert(1)",
            "www.evil",
            "Security team (evil.example)",
            "Pay at EVIL.COM.",
            "xn--exmple-cua.com",
            "Pay at evil.com/login",
            "Acme,evil.com",
            "evil.com?x",
            "evil\u{ff0e}com",
        ] {
            assert_eq!(parse_name(link), None, "{link:?}");
        }
        for fine in [
            "Acme Inc.",
            "Team: Alpha",
            "v2.0 Labs",
            "R&D",
            "Ünïcode & Co",
            "a.b",
        ] {
            assert_eq!(parse_name(fine).as_deref(), Some(fine), "{fine:?}");
        }
    }

    #[test]
    fn names_and_slugs_parse_together() {
        let (name, slug) = parse_name_and_slug("  Acme Corp ", None).unwrap();
        assert_eq!((name.as_str(), slug.as_str()), ("Acme Corp", "acme-corp"));
        assert_eq!(
            parse_name_and_slug("Acme", Some("")).unwrap().1.as_str(),
            "acme"
        );
        assert_eq!(
            parse_name_and_slug("Acme", Some("team-1"))
                .unwrap()
                .1
                .as_str(),
            "team-1"
        );
        assert_eq!(
            parse_name_and_slug(&"x".repeat(101), None),
            Err(OrganizationInputError::NameTooLong)
        );
        assert_eq!(
            parse_name_and_slug("  ", None),
            Err(OrganizationInputError::NameInvalid)
        );
        assert_eq!(
            parse_name_and_slug("Acme", Some("Bad Slug")),
            Err(OrganizationInputError::SlugInvalid)
        );
        assert_eq!(
            parse_name_and_slug("Acme", Some(&"a".repeat(65))),
            Err(OrganizationInputError::SlugTooLong)
        );
        assert_eq!(
            parse_name_and_slug("!!!", None),
            Err(OrganizationInputError::SlugInvalid)
        );
    }

    #[test]
    fn names_and_roles() {
        assert_eq!(parse_name("  Acme  ").as_deref(), Some("Acme"));
        assert!(parse_name("   ").is_none());
        assert!(parse_name(&"x".repeat(101)).is_none());
        assert!(is_known_role("org:admin") && is_known_role("org:member"));
        assert!(!is_known_role("admin"));
    }
}
