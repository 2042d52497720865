//! `OrganizationStore`.

use super::super::*;
use async_trait::async_trait;

/// Organizations and memberships.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
    /// Creates an organization with its first members. One transaction; a taken slug is
    /// `Conflict(Slug)`.
    async fn create_organization(
        &self,
        name: &str,
        slug: &str,
        created_by: Option<&str>,
        members: &[(String, String)],
        now: i64,
    ) -> StoreResult<Organization>;
    async fn organization_by_id(&self, id: &str) -> StoreResult<Option<Organization>>;
    async fn organization_by_slug(&self, slug: &str) -> StoreResult<Option<Organization>>;
    /// Adds a member; an existing membership is `Conflict(Membership)`.
    async fn add_membership(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        now: i64,
    ) -> StoreResult<Membership>;
    /// The user's memberships, by organization name.
    async fn user_memberships(&self, user_id: &str) -> StoreResult<Vec<Membership>>;
    async fn set_session_organization(
        &self,
        session_id: &str,
        organization_id: Option<&str>,
    ) -> StoreResult<()>;
    /// The members of an organization with their email addresses, oldest first.
    async fn organization_members(&self, organization_id: &str) -> StoreResult<Vec<Member>>;
    /// Changes a member's role in one statement; demoting the last admin is
    /// `Conflict(LastAdmin)`, an unknown member `NotFound`.
    async fn set_member_role(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> StoreResult<()>;
    /// Removes a member (`Conflict(LastAdmin)` for the last admin) and, in the same
    /// transaction, clears the organization from that user's sessions.
    async fn remove_member(&self, organization_id: &str, user_id: &str) -> StoreResult<()>;
    /// Deletes an organization with its memberships and invitations, and clears it from every
    /// session that had it active. One transaction; `NotFound` for an unknown id.
    async fn delete_organization(&self, organization_id: &str) -> StoreResult<()>;
    /// Renames an organization; a taken slug is `Conflict(Slug)`.
    async fn rename_organization(
        &self,
        organization_id: &str,
        name: &str,
        slug: &str,
    ) -> StoreResult<Organization>;
    /// Creates a pending invitation. An email that already belongs to a member is
    /// `Conflict(Membership)`; a pending, unexpired one for the same email is
    /// `Conflict(Invitation)` (an expired one is revoked first). One transaction.
    async fn create_invitation(&self, new: NewInvitation, now: i64) -> StoreResult<Invitation>;
    /// An organization's pending, unexpired invitations, newest first.
    async fn pending_invitations(
        &self,
        organization_id: &str,
        now: i64,
    ) -> StoreResult<Vec<Invitation>>;
    /// Pending, unexpired invitations addressed to `email`, newest first.
    async fn invitations_for_email(&self, email: &str, now: i64) -> StoreResult<Vec<Invitation>>;
    async fn invitation_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Invitation>>;
    async fn invitation_by_id(&self, id: &str) -> StoreResult<Option<Invitation>>;
    /// Revokes a pending invitation of the organization (`NotFound` otherwise).
    async fn revoke_invitation(
        &self,
        organization_id: &str,
        invitation_id: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// Accepts a pending, unexpired invitation for `user_id`: marks it accepted and adds the
    /// membership (an existing membership is kept) in one transaction. A used, revoked or expired
    /// invitation is `Conflict(Invitation)`.
    async fn accept_invitation(
        &self,
        invitation_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Membership>;
    /// Creates a user and accepts the invitation for it in one transaction (sign-up through an
    /// invitation link): a taken email is `Conflict(Email)`, an invitation no longer usable
    /// `Conflict(Invitation)`, and neither leaves anything behind.
    async fn create_invited_user(
        &self,
        new: NewUser,
        invitation_id: &str,
        now: i64,
    ) -> StoreResult<(User, Membership)>;
}
