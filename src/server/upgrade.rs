//! What a start does to stored data after the migrations: values sealed under a previous key (or
//! stored before sealing) move to the current key (README, "Encryption at rest"), and addresses
//! stored before they were normalised are rewritten in their one form, once per database.

use super::secrets::Keyring;
use super::store::{Store, StoreError};
use crate::domain::email::EmailAddress;

/// Runs both; a value no key opens (`StoreError::Corrupt`) stops the start.
pub async fn after_migrations(
    store: &dyn Store,
    keyring: &Keyring,
    now: i64,
) -> Result<(), StoreError> {
    let resealed = store.reseal_secrets().await?;
    if resealed > 0 {
        tracing::info!(
            resealed,
            key = keyring.current_id(),
            "re-sealed stored secrets under the current encryption key"
        );
    }
    let normal = |email: &str| EmailAddress::parse(email).ok().map(|a| a.to_string());
    let report = store.normalise_addresses(&normal, now).await?;
    if report.rewritten > 0 {
        tracing::info!(
            rewritten = report.rewritten,
            "addresses rewritten in their one form"
        );
    }
    if !report.collisions.is_empty() {
        tracing::warn!(
            users = ?report.collisions,
            "users whose address in its one form is another user's were left as they were"
        );
    }
    Ok(())
}
