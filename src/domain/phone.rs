//! Phone numbers in E.164 form (`+` and 8 to 15 digits).

/// Parses a typed phone number: spaces, dashes, dots and parentheses are dropped; the result must
/// be `+` followed by 8 to 15 digits.
pub fn parse_phone(input: &str) -> Option<String> {
    let cleaned: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = cleaned.strip_prefix('+')?;
    ((8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()))
        .then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_only() {
        assert_eq!(
            parse_phone("+1 (555) 010-0199").as_deref(),
            Some("+15550100199")
        );
        for bad in ["5550100199", "+12", "+1555abc0199", "", "+1234567890123456"] {
            assert_eq!(parse_phone(bad), None, "{bad:?}");
        }
    }
}
