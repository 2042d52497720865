//! TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step, each step accepted once) and backup codes.

use super::store::User;
use super::tokens::{eq_ct, hash};
use rand::{rngs::OsRng, Rng};
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECS: i64 = 30;
pub const BACKUP_CODE_COUNT: usize = 10;

/// The second factors a user can prove at sign-in, the default first: the authenticator app, then
/// SMS, then backup codes (while any are left).
pub fn available_methods(user: &User, backup_codes_left: u32) -> Vec<String> {
    let mut factors = Vec::new();
    if user.totp_secret.is_some() {
        factors.push("totp".to_string());
    }
    if user.sms_phone().is_some() {
        factors.push("sms".to_string());
    }
    if user.has_second_factor() && backup_codes_left > 0 {
        factors.push("backup_code".to_string());
    }
    factors
}

/// A new 160-bit secret, base32 (RFC 4648, no padding).
pub fn new_secret() -> String {
    match Secret::generate_secret().to_encoded() {
        Secret::Encoded(s) => s.trim_end_matches('=').to_string(),
        Secret::Raw(bytes) => hex::encode(bytes),
    }
}

fn totp(secret: &str, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS as u64,
        bytes,
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .ok()
}

/// The enrolment QR code as a base64 PNG (for a `data:` URL).
pub fn qr_png_base64(secret: &str, issuer: &str, account: &str) -> Option<String> {
    totp(secret, issuer, account)?.get_qr_base64().ok()
}

/// The code for `secret` at `time` (tests and tools).
pub fn code_at(secret: &str, time: i64) -> Option<String> {
    Some(totp(secret, "x", "x")?.generate(time.max(0) as u64))
}

/// The time step at which `code` is valid for `secret` around `now` (±1 step), if any and if it
/// is newer than `last_step` (a code is accepted at most once).
pub fn verify(secret: &str, code: &str, now: i64, last_step: Option<i64>) -> Option<i64> {
    let totp = totp(secret, "x", "x")?;
    let current = now.div_euclid(STEP_SECS);
    (current - 1..=current + 1).find(|step| {
        last_step.is_none_or(|last| *step > last)
            && eq_ct(&totp.generate((*step * STEP_SECS).max(0) as u64), code)
    })
}

/// Ten fresh backup codes (`xxxxx-xxxxx`, about 50 bits each).
pub fn new_backup_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..BACKUP_CODE_COUNT)
        .map(|_| {
            let mut s: String = (0..10)
                .map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            s.insert(5, '-');
            s
        })
        .collect()
}

/// A typed backup code as it is hashed: case and dashes do not matter.
pub fn normalize_backup_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The unsalted selector stored next to a code's salted hash: 16 bits of its SHA-256, enough to
/// find the one row to verify, far too few to recover the code from.
pub fn backup_code_selector(normal: &str) -> String {
    hash(normal)[..4].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_window_and_refuses_replay() {
        let secret = new_secret();
        assert!(secret.len() >= 32);
        let t = 1_700_000_000; // a step boundary is not assumed
        let code = code_at(&secret, t).unwrap();
        let step = verify(&secret, &code, t, None).expect("current step");
        assert_eq!(step, t.div_euclid(STEP_SECS));
        assert_eq!(
            verify(&secret, &code, t + STEP_SECS, None),
            Some(step),
            "one step late"
        );
        assert_eq!(
            verify(&secret, &code, t - STEP_SECS, None),
            Some(step),
            "one step early"
        );
        assert_eq!(
            verify(&secret, &code, t + 2 * STEP_SECS, None),
            None,
            "two steps late"
        );
        assert_eq!(
            verify(&secret, &code, t, Some(step)),
            None,
            "replay refused"
        );
        assert_eq!(verify(&secret, "000000x", t, None), None);
    }

    #[test]
    fn backup_codes_are_distinct_and_normalised() {
        let codes = new_backup_codes();
        assert_eq!(codes.len(), 10);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        let normal = normalize_backup_code(&codes[0]);
        assert_eq!(
            normalize_backup_code(&codes[0].to_uppercase().replace('-', " ")),
            normal
        );
        assert_eq!(backup_code_selector(&normal).len(), 4);
        assert_eq!(
            backup_code_selector(&normal),
            backup_code_selector(&normalize_backup_code(&codes[0].to_uppercase()))
        );
    }

    #[test]
    fn qr_code_renders() {
        let png = qr_png_base64(&new_secret(), "Vestibule", "a@b.co").unwrap();
        assert!(png.len() > 100);
    }
}
