//! The columns that hold secrets, sealed at rest with the instance's keyring (README, "Encryption
//! at rest"): each is sealed where the store writes it and opened where it reads it, so the
//! services above only ever see plaintext. A sealed value is bound to its column and its row (the
//! associated data), so it cannot be moved elsewhere; no statement copies one of these columns
//! into another.

use super::{StoreError, StoreResult};
use crate::server::secrets::{Keyring, OpenError};
use async_trait::async_trait;

/// A sealed column: its table, the column that names its row, and its own name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedColumn {
    pub table: &'static str,
    pub row_key: &'static str,
    pub column: &'static str,
    /// `table.column`, the associated data's column part.
    pub name: &'static str,
}

const fn users(column: &'static str, name: &'static str) -> SealedColumn {
    SealedColumn {
        table: "users",
        row_key: "id",
        column,
        name,
    }
}

/// The authenticator secret.
pub const TOTP_SECRET: SealedColumn = users("totp_secret", "users.totp_secret");
/// The authenticator secret being enrolled.
pub const TOTP_PENDING_SECRET: SealedColumn =
    users("totp_pending_secret", "users.totp_pending_secret");
/// The backup codes of an enrolment, until the enrolling session saw them.
pub const BACKUP_CODES_UNSEEN: SealedColumn =
    users("backup_codes_unseen", "users.backup_codes_unseen");
/// Regenerated backup codes, until the portal showed them.
pub const REGENERATED_CODES_UNSEEN: SealedColumn =
    users("regenerated_codes_unseen", "users.regenerated_codes_unseen");
/// The private half of a session-token signing key, bound to its `kid`.
pub const SIGNING_PRIVATE_KEY: SealedColumn = SealedColumn {
    table: "signing_keys",
    row_key: "kid",
    column: "private_key",
    name: "signing_keys.private_key",
};

/// Every sealed column: what the re-seal pass walks.
pub const SEALED_COLUMNS: [SealedColumn; 5] = [
    TOTP_SECRET,
    TOTP_PENDING_SECRET,
    BACKUP_CODES_UNSEEN,
    REGENERATED_CODES_UNSEEN,
    SIGNING_PRIVATE_KEY,
];

/// How many rows the re-seal pass reads at a time.
pub const RESEAL_BATCH: i64 = 500;

impl SealedColumn {
    /// A value of this column in the row `row` that did not open. The message names the column,
    /// the row and the key id, never the value.
    pub fn unopened(&self, row: &str, e: OpenError) -> StoreError {
        StoreError::Corrupt(format!("{} of {row}: {e}", self.name))
    }

    /// Seals `plaintext` for the row `row`.
    pub fn seal(&self, keyring: &Keyring, row: &str, plaintext: &str) -> String {
        keyring.seal(self.name, row, plaintext)
    }

    pub fn seal_opt(
        &self,
        keyring: &Keyring,
        row: &str,
        plaintext: Option<&str>,
    ) -> Option<String> {
        keyring.seal_opt(self.name, row, plaintext)
    }

    /// Opens the stored value of the row `row`.
    pub fn open(&self, keyring: &Keyring, row: &str, stored: &str) -> StoreResult<String> {
        keyring
            .open(self.name, row, stored)
            .map_err(|e| self.unopened(row, e))
    }

    pub fn open_opt(
        &self,
        keyring: &Keyring,
        row: &str,
        stored: Option<String>,
    ) -> StoreResult<Option<String>> {
        keyring
            .open_opt(self.name, row, stored)
            .map_err(|e| self.unopened(row, e))
    }
}

/// Moving the sealed columns to the current key.
#[async_trait]
pub trait SealStore: Send + Sync {
    /// Rewrites, under the current key, every value of the sealed columns that is sealed under
    /// a previous key or still plaintext — each row with a guarded update (only while it still
    /// holds the value read), so instances starting together never overwrite a newer value.
    /// Answers how many values it rewrote. A value no key of the keyring opens stops the pass
    /// (`Corrupt`, naming its column, row and key id).
    async fn reseal_secrets(&self) -> StoreResult<u64>;
}
