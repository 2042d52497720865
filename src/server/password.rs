//! argon2id hashing (m = 19 MiB, t = 2, p = 1) on the blocking pool behind a semaphore, so a
//! flood of sign-ins cannot starve the async threads that render pages.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    dummy_hash: Arc<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("hashing semaphore closed")]
    Closed,
}

fn argon2() -> Argon2<'static> {
    // The parameters are constants, so building them cannot fail; fall back to the defaults (which
    // are the same OWASP values in argon2 0.5) rather than panic.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes synchronously (for the blocking pool and benchmarks).
pub fn hash_blocking(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

/// Verifies synchronously; a malformed stored hash verifies as false.
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

impl Hasher {
    /// `concurrency` is the number of hashes allowed at once (the number of cores).
    pub fn new(concurrency: usize) -> Result<Self, HashError> {
        let dummy_hash = hash_blocking("vestibule-dummy-password-for-timing")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Closed)?;
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there is no user, so that
    /// an unknown email costs the same time as a wrong password.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Closed)?;
        let real = hash.is_some();
        let target = hash.unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let ok = tokio::task::spawn_blocking(move || verify_blocking(&password, &target)).await?;
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id_with_owasp_parameters() {
        let hasher = Hasher::new(2).unwrap();
        let hash = hasher.hash("correct horse".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher
            .verify("correct horse".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong horse".into(), Some(hash))
            .await
            .unwrap());
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
        assert!(!verify_blocking("x", "not a hash"));
    }
}
