//! The bundled list of breached/common passwords (README, "Security defaults"): Django's
//! `common-passwords.txt` (BSD licence), 19,640 entries, lower-cased.

use std::collections::HashSet;
use std::sync::OnceLock;

static LIST: &str = include_str!("common-passwords.txt");

fn set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        LIST.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Is `password` (compared case-insensitively) on the list?
pub fn is_breached(password: &str) -> bool {
    set().contains(password.to_lowercase().as_str())
}

/// How many passwords the list holds.
pub fn len() -> usize {
    set().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_common_passwords_the_spec_names() {
        assert!(len() >= 10_000);
        for p in ["12345678", "password", "qwerty123", "PASSWORD"] {
            assert!(is_breached(p), "{p} must be on the list");
        }
        assert!(!is_breached("correct horse battery staple 42"));
    }
}
