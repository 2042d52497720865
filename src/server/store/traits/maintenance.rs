//! `MaintenanceStore`.

use super::super::*;
use async_trait::async_trait;

/// What rewriting the stored addresses did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressRewrite {
    /// Users and pending invitations whose address was rewritten.
    pub rewritten: u64,
    /// Users left as they were: their address in its one form is another user's already.
    pub collisions: Vec<String>,
}

/// One-off upgrades of stored data, each run once per database.
#[async_trait]
pub trait MaintenanceStore: Send + Sync {
    /// Rewrites every user's and pending invitation's address into the form `normal` gives
    /// (`None` leaves it), once per database: a later call does nothing. Each row is one guarded
    /// update; a user whose normal form another user has already is left and reported.
    async fn normalise_addresses(
        &self,
        normal: &(dyn for<'s> Fn(&'s str) -> Option<String> + Sync),
        now: i64,
    ) -> StoreResult<AddressRewrite>;
}
