//! Secrets at rest (README, "Encryption at rest"): the operator's key-encryption key and the
//! keys it replaced, as a [`Keyring`].
//!
//! Two subkeys are derived from each 32-byte key with HKDF-SHA256, one per purpose, so the key
//! itself is never used directly:
//!
//! - the *sealing* subkey encrypts the columns that hold secrets (XChaCha20-Poly1305, a random
//!   192-bit nonce per value). A sealed value is self-describing text,
//!   `enc:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`, and its associated data names the
//!   column and the row it belongs to, so it does not open anywhere else. A value without the
//!   `enc:` prefix is plaintext written before sealing existed and is read as is; the re-seal
//!   pass at start seals it.
//! - the *code MAC* subkey authenticates the one-time codes that are emailed and texted:
//!   HMAC-SHA256 over the code's binding and the code, so a copy of the database alone cannot
//!   test the million possible codes.
//!
//! A key's id is the first 8 hex digits of the SHA-256 of a third subkey: it names the key in
//! sealed values without saying anything of it. Neither keys nor subkeys are ever formatted:
//! `Debug` shows the ids only.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The bytes of a key-encryption key.
pub const KEY_LEN: usize = 32;
/// What every sealed value starts with; anything else is legacy plaintext.
const SEALED: &str = "enc:";
/// The format this version writes.
const V1: &str = "enc:v1:";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The environment variable holding the current key (base64 or hex of 32 bytes).
pub const ENV_KEY: &str = "VESTIBULE_ENCRYPTION_KEY";
/// The environment variable naming a file that holds the current key.
pub const ENV_KEY_FILE: &str = "VESTIBULE_ENCRYPTION_KEY_FILE";
/// The environment variable holding the keys the current one replaced, comma-separated.
pub const ENV_PREVIOUS: &str = "VESTIBULE_ENCRYPTION_KEYS_PREVIOUS";
/// The variables above, which are not `VESTIBULE_<SECTION>__<KEY>` settings.
pub const ENV_NAMES: [&str; 3] = [ENV_KEY, ENV_KEY_FILE, ENV_PREVIOUS];

/// Why a key could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "no encryption key: set {ENV_KEY} to 32 random bytes, base64 or hex (make one with \
         `openssl rand -base64 32`), or {ENV_KEY_FILE} to a file holding it. Keep it safe and \
         give every instance the same one: the TOTP secrets, signing keys and unseen backup codes \
         in the database cannot be read without it (README, \"Encryption at rest\")"
    )]
    Missing,
    #[error("{0}: an encryption key must be 32 bytes, base64 or hex ({1}); make one with `openssl rand -base64 32`")]
    Malformed(String, String),
    #[error("{ENV_KEY_FILE}: cannot read {0}: {1}")]
    File(String, String),
    #[error("set either {ENV_KEY} or {ENV_KEY_FILE}, not both")]
    Both,
    #[error("two different encryption keys have the same id {0}: generate another key")]
    IdCollision(String),
}

/// Why a sealed value did not open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Sealed under a key this instance was not given (neither the current nor a previous one).
    #[error(
        "sealed under encryption key {0}, which is neither {ENV_KEY} nor one of \
         {ENV_PREVIOUS}"
    )]
    UnknownKey(String),
    /// Not a well-formed sealed value, or it failed authentication: altered, moved to another
    /// row or column, or sealed under another key with a colliding id.
    #[error("a sealed value does not open (altered, or copied from another row)")]
    Invalid,
    /// A format this version does not know.
    #[error("a sealed value has an unknown format")]
    UnknownFormat,
}

/// One key-encryption key, as its subkeys.
struct Key {
    id: String,
    seal: Zeroizing<[u8; KEY_LEN]>,
    mac: Zeroizing<[u8; KEY_LEN]>,
}

impl Key {
    fn derive(raw: &[u8; KEY_LEN]) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"vestibule encryption key"), raw);
        let sub = |info: &[u8]| {
            let mut out = Zeroizing::new([0u8; KEY_LEN]);
            // 32 bytes is far below HKDF-SHA256's limit of 255 × 32: expansion cannot fail.
            let _ = hk.expand(info, &mut out[..]);
            out
        };
        let id_key = sub(b"vestibule/v1/key-id");
        Self {
            id: hex::encode(&Sha256::digest(&id_key[..])[..4]),
            seal: sub(b"vestibule/v1/seal"),
            mac: sub(b"vestibule/v1/code-mac"),
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.seal[..]))
    }

    fn code_mac(&self, binding: &[&str], code: &str) -> [u8; 32] {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.mac[..]) {
            Ok(m) => m,
            // HMAC takes a key of any length.
            Err(_) => return [0u8; 32],
        };
        for part in binding.iter().chain(std::iter::once(&code)) {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }
}

/// The current key, which seals and authenticates everything new, and the keys it replaced,
/// which still open and verify what was written under them until the re-seal pass has moved it.
pub struct Keyring {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The associated data of a value in `column` of the row `row`.
fn associated_data(column: &str, row: &str) -> Vec<u8> {
    let mut ad = Vec::with_capacity(16 + column.len() + row.len());
    ad.extend_from_slice(b"vestibule/v1");
    for part in [column, row] {
        ad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        ad.extend_from_slice(part.as_bytes());
    }
    ad
}

impl Keyring {
    /// A keyring of raw keys. A previous key equal to the current one (or to another previous
    /// one) is ignored; two different keys with the same id are refused.
    pub fn new(current: &[u8; KEY_LEN], previous: &[[u8; KEY_LEN]]) -> Result<Self, KeyError> {
        let current = Key::derive(current);
        let mut seen: Vec<Key> = Vec::new();
        for raw in previous {
            let key = Key::derive(raw);
            let same_id = std::iter::once(&current)
                .chain(seen.iter())
                .find(|k| k.id == key.id);
            match same_id {
                Some(k) if k.seal[..] == key.seal[..] => continue,
                Some(_) => return Err(KeyError::IdCollision(key.id)),
                None => seen.push(key),
            }
        }
        Ok(Self {
            current,
            previous: seen,
        })
    }

    /// A keyring of keys written as base64 or hex.
    pub fn from_encoded(current: &str, previous: &[&str]) -> Result<Self, KeyError> {
        let current = parse_key(ENV_KEY, current)?;
        let previous = previous
            .iter()
            .map(|p| parse_key(ENV_PREVIOUS, p))
            .collect::<Result<Vec<_>, _>>()?;
        let previous: Zeroizing<Vec<[u8; KEY_LEN]>> =
            Zeroizing::new(previous.iter().map(|k| **k).collect());
        Self::new(&current, &previous)
    }

    /// The keyring the environment describes: `VESTIBULE_ENCRYPTION_KEY` (or the file
    /// `VESTIBULE_ENCRYPTION_KEY_FILE` names) and `VESTIBULE_ENCRYPTION_KEYS_PREVIOUS`.
    pub fn from_env<'a>(
        env: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, KeyError> {
        let (mut key, mut file, mut previous) = (None, None, None);
        for (name, value) in env {
            match name {
                ENV_KEY => key = Some(value),
                ENV_KEY_FILE => file = Some(value),
                ENV_PREVIOUS => previous = Some(value),
                _ => {}
            }
        }
        let key = key.filter(|k| !k.trim().is_empty());
        let file = file.filter(|f| !f.trim().is_empty());
        let from_file;
        let current = match (key, file) {
            (Some(_), Some(_)) => return Err(KeyError::Both),
            (Some(k), None) => k,
            (None, Some(path)) => {
                from_file = Zeroizing::new(
                    std::fs::read_to_string(path.trim())
                        .map_err(|e| KeyError::File(path.trim().to_string(), e.to_string()))?,
                );
                from_file.as_str()
            }
            (None, None) => return Err(KeyError::Missing),
        };
        let previous: Vec<&str> = previous
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        Self::from_encoded(current, &previous)
    }

    /// The keyring of `key` and `previous` where they are given (a builder's), else of what
    /// `env` names (see [`from_env`](Self::from_env)).
    pub fn from_sources(
        env: &[(String, String)],
        key: Option<&str>,
        previous: Option<&[Zeroizing<String>]>,
    ) -> Result<Self, KeyError> {
        let mut vars: Vec<(&str, &str)> = env
            .iter()
            .filter(|(name, _)| ENV_NAMES.contains(&name.as_str()))
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        if let Some(key) = key {
            vars.retain(|(name, _)| *name != ENV_KEY && *name != ENV_KEY_FILE);
            vars.push((ENV_KEY, key));
        }
        let joined;
        if let Some(previous) = previous {
            let list: Vec<&str> = previous.iter().map(|k| k.as_str()).collect();
            joined = Zeroizing::new(list.join(","));
            vars.retain(|(name, _)| *name != ENV_PREVIOUS);
            vars.push((ENV_PREVIOUS, joined.as_str()));
        }
        Self::from_env(vars)
    }

    /// The id of the current key (what new sealed values carry).
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    fn key(&self, id: &str) -> Option<&Key> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }

    /// Seals `plaintext` as the value of `column` in the row `row`, under the current key.
    pub fn seal(&self, column: &str, row: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ad = associated_data(column, row);
        let sealed = self.current.cipher().encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: &ad,
            },
        );
        // XChaCha20-Poly1305 encrypts any message below 256 GiB: this never fails.
        let sealed = sealed.unwrap_or_default();
        let mut payload = Vec::with_capacity(NONCE_LEN + sealed.len());
        payload.extend_from_slice(&nonce);
        payload.extend_from_slice(&sealed);
        format!(
            "{V1}{}:{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    /// [`seal`](Self::seal) of an optional value.
    pub fn seal_opt(&self, column: &str, row: &str, plaintext: Option<&str>) -> Option<String> {
        plaintext.map(|p| self.seal(column, row, p))
    }

    /// Opens the value of `column` in the row `row`: a sealed value with the key its id names,
    /// legacy plaintext as it is.
    pub fn open(&self, column: &str, row: &str, stored: &str) -> Result<String, OpenError> {
        let Some(rest) = stored.strip_prefix(SEALED) else {
            return Ok(stored.to_string());
        };
        let rest = rest.strip_prefix("v1:").ok_or(OpenError::UnknownFormat)?;
        let (id, payload) = rest.split_once(':').ok_or(OpenError::Invalid)?;
        let key = self
            .key(id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_string()))?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| OpenError::Invalid)?;
        if payload.len() < NONCE_LEN + TAG_LEN {
            return Err(OpenError::Invalid);
        }
        let (nonce, sealed) = payload.split_at(NONCE_LEN);
        let ad = associated_data(column, row);
        let plain = key
            .cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &ad,
                },
            )
            .map_err(|_| OpenError::Invalid)?;
        String::from_utf8(plain).map_err(|_| OpenError::Invalid)
    }

    /// [`open`](Self::open) of an optional value.
    pub fn open_opt(
        &self,
        column: &str,
        row: &str,
        stored: Option<String>,
    ) -> Result<Option<String>, OpenError> {
        stored.map(|s| self.open(column, row, &s)).transpose()
    }

    /// Whether `stored` is sealed under the current key (else the re-seal pass rewrites it).
    pub fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(V1)
            .and_then(|rest| rest.strip_prefix(self.current.id.as_str()))
            .is_some_and(|rest| rest.starts_with(':'))
    }

    /// The `LIKE` pattern of values sealed under the current key.
    pub fn current_pattern(&self) -> String {
        format!("{V1}{}:%", self.current.id)
    }

    /// `stored` sealed under the current key, or `None` when it is already.
    pub fn reseal(
        &self,
        column: &str,
        row: &str,
        stored: &str,
    ) -> Result<Option<String>, OpenError> {
        if self.is_current(stored) {
            return Ok(None);
        }
        let plain = Zeroizing::new(self.open(column, row, stored)?);
        Ok(Some(self.seal(column, row, &plain)))
    }

    /// The MAC stored for a one-time `code` sent under `binding` (its purpose, attempt, user and
    /// recipient), under the current key: hex HMAC-SHA256.
    pub fn code_mac(&self, binding: &[&str], code: &str) -> String {
        hex::encode(self.current.code_mac(binding, code))
    }

    /// Whether `stored` is the MAC of `code` under `binding` with the current key or a previous
    /// one (a code sent just before a rotation still works). Every key is tried, in constant time.
    pub fn verify_code_mac(&self, binding: &[&str], code: &str, stored: &str) -> bool {
        let Ok(stored) = hex::decode(stored) else {
            return false;
        };
        let mut matched = subtle::Choice::from(0);
        for key in std::iter::once(&self.current).chain(&self.previous) {
            matched |= key.code_mac(binding, code)[..].ct_eq(&stored[..]);
        }
        bool::from(matched)
    }
}

/// A key written as base64 (standard or URL-safe, padded or not) or hex; `what` names it in the
/// error, which never shows the key.
pub fn parse_key(what: &str, text: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let text = text.trim();
    let bytes = Zeroizing::new(
        if text.len() == 2 * KEY_LEN && text.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(text).ok()
        } else {
            [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(text).ok())
        }
        .ok_or_else(|| {
            KeyError::Malformed(what.to_string(), "neither base64 nor hex".to_string())
        })?,
    );
    if bytes.len() != KEY_LEN {
        return Err(KeyError::Malformed(
            what.to_string(),
            format!("this one has {} bytes", bytes.len()),
        ));
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// A fresh random key, base64: what `openssl rand -base64 32` prints.
pub fn generate_key() -> String {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(&mut key[..]);
    STANDARD.encode(&key[..])
}

#[cfg(test)]
#[path = "secrets_tests.rs"]
mod tests;
