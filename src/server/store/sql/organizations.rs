//! Organizations, memberships (the last admin is kept by guarded statements run under the
//! organization's row lock) and invitations (accepting is one guarded update).

/// The condition that keeps an organization's last admin: the member is not an admin, or
/// another admin exists. `$1` is the organization, `$2` the user.
pub const NOT_LAST_ADMIN: &str = "(role <> 'org:admin' OR (SELECT COUNT(*) FROM memberships \
    WHERE organization_id = $1 AND role = 'org:admin') > 1)";

macro_rules! impl_organizations {
    ($store:ident, $db:ty) => {
        const _: () = {
            use $crate::server::store::rows::{self, conflict_or, INVITATION_COLUMNS};
            use $crate::server::store::sql::organizations::NOT_LAST_ADMIN;
            use $crate::server::store::*;
            use $crate::server::tokens::new_id;

            type Conn = <$db as sqlx::Database>::Connection;

            impl $store {
                /// Inside a transaction: marks a pending, unexpired invitation accepted (the
                /// guarded update is what makes a link single use) and adds the membership,
                /// keeping an existing one.
                async fn accept_in(
                    conn: &mut Conn,
                    invitation: Invitation,
                    user_id: &str,
                    now: i64,
                ) -> StoreResult<Membership> {
                    let done = sqlx::query(
                        "UPDATE invitations SET status = 'accepted', updated_at = $2 \
                         WHERE id = $1 AND status = 'pending' AND expires_at > $2",
                    )
                    .bind(&invitation.id)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Conflict(Conflict::Invitation));
                    }
                    sqlx::query(
                        "INSERT INTO memberships (id, organization_id, user_id, role, created_at) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (organization_id, user_id) DO NOTHING",
                    )
                    .bind(new_id("mem"))
                    .bind(&invitation.organization.id)
                    .bind(user_id)
                    .bind(&invitation.role)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                    let (id, role): (String, String) = sqlx::query_as(
                        "SELECT id, role FROM memberships \
                         WHERE organization_id = $1 AND user_id = $2",
                    )
                    .bind(&invitation.organization.id)
                    .bind(user_id)
                    .fetch_one(&mut *conn)
                    .await?;
                    Ok(Membership {
                        id,
                        organization: invitation.organization,
                        user_id: user_id.to_string(),
                        role,
                    })
                }

                async fn invitation_where(
                    &self,
                    condition: &str,
                    arg: &str,
                ) -> StoreResult<Option<Invitation>> {
                    let row: Option<rows::InvitationRow> = sqlx::query_as(&format!(
                        "SELECT {INVITATION_COLUMNS} FROM invitations i \
                         JOIN organizations o ON o.id = i.organization_id WHERE {condition}"
                    ))
                    .bind(arg)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(Into::into))
                }

                async fn invitations_where(
                    &self,
                    condition: &str,
                    arg: &str,
                    now: i64,
                ) -> StoreResult<Vec<Invitation>> {
                    let rows: Vec<rows::InvitationRow> = sqlx::query_as(&format!(
                        "SELECT {INVITATION_COLUMNS} FROM invitations i \
                         JOIN organizations o ON o.id = i.organization_id \
                         WHERE {condition} AND i.status = 'pending' AND i.expires_at > $2 \
                         ORDER BY i.created_at DESC, i.id"
                    ))
                    .bind(arg)
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                /// Why a guarded membership change touched no row: the member is unknown, or is
                /// the last admin.
                async fn member_change_refused(
                    conn: &mut Conn,
                    organization_id: &str,
                    user_id: &str,
                ) -> StoreError {
                    match sqlx::query_scalar::<_, String>(
                        "SELECT id FROM memberships WHERE organization_id = $1 AND user_id = $2",
                    )
                    .bind(organization_id)
                    .bind(user_id)
                    .fetch_optional(&mut *conn)
                    .await
                    {
                        Ok(Some(_)) => StoreError::Conflict(Conflict::LastAdmin),
                        Ok(None) => StoreError::NotFound,
                        Err(e) => StoreError::Db(e),
                    }
                }
            }

            #[async_trait::async_trait]
            impl OrganizationStore for $store {
                async fn create_organization(
                    &self,
                    name: &str,
                    slug: &str,
                    created_by: Option<&str>,
                    members: &[(String, String)],
                    now: i64,
                ) -> StoreResult<Organization> {
                    let id = new_id("org");
                    let mut tx = self.pool.begin().await?;
                    sqlx::query(
                        "INSERT INTO organizations (id, name, slug, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&id)
                    .bind(name)
                    .bind(slug)
                    .bind(created_by)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_or(e, Conflict::Slug))?;
                    for (user_id, role) in members {
                        sqlx::query(
                            "INSERT INTO memberships (id, organization_id, user_id, role, \
                             created_at) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(new_id("mem"))
                        .bind(&id)
                        .bind(user_id)
                        .bind(role)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| conflict_or(e, Conflict::Membership))?;
                    }
                    tx.commit().await?;
                    Ok(Organization {
                        id,
                        name: name.to_string(),
                        slug: slug.to_string(),
                        created_at: now,
                    })
                }

                async fn organization_by_id(&self, id: &str) -> StoreResult<Option<Organization>> {
                    let row: Option<rows::OrganizationRow> = sqlx::query_as(
                        "SELECT id, name, slug, created_at FROM organizations WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(Into::into))
                }

                async fn organization_by_slug(
                    &self,
                    slug: &str,
                ) -> StoreResult<Option<Organization>> {
                    let row: Option<rows::OrganizationRow> = sqlx::query_as(
                        "SELECT id, name, slug, created_at FROM organizations WHERE slug = $1",
                    )
                    .bind(slug)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(Into::into))
                }

                async fn add_membership(
                    &self,
                    organization_id: &str,
                    user_id: &str,
                    role: &str,
                    now: i64,
                ) -> StoreResult<Membership> {
                    let organization = self
                        .organization_by_id(organization_id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let id = new_id("mem");
                    sqlx::query(
                        "INSERT INTO memberships (id, organization_id, user_id, role, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&id)
                    .bind(organization_id)
                    .bind(user_id)
                    .bind(role)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                            StoreError::NotFound
                        }
                        _ => conflict_or(e, Conflict::Membership),
                    })?;
                    Ok(Membership {
                        id,
                        organization,
                        user_id: user_id.to_string(),
                        role: role.to_string(),
                    })
                }

                async fn user_memberships(&self, user_id: &str) -> StoreResult<Vec<Membership>> {
                    let rows: Vec<rows::MembershipRow> = sqlx::query_as(
                        "SELECT m.id AS m_id, m.user_id AS m_user_id, m.role AS m_role, \
                         o.id AS o_id, o.name AS o_name, o.slug AS o_slug, \
                         o.created_at AS o_created_at \
                         FROM memberships m JOIN organizations o ON o.id = m.organization_id \
                         WHERE m.user_id = $1 ORDER BY o.name, o.id",
                    )
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn set_session_organization(
                    &self,
                    session_id: &str,
                    organization_id: Option<&str>,
                ) -> StoreResult<()> {
                    sqlx::query("UPDATE sessions SET active_organization_id = $1 WHERE id = $2")
                        .bind(organization_id)
                        .bind(session_id)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn organization_members(
                    &self,
                    organization_id: &str,
                ) -> StoreResult<Vec<Member>> {
                    let rows: Vec<rows::MemberRow> = sqlx::query_as(
                        "SELECT m.id, m.user_id, u.email, m.role, m.created_at \
                         FROM memberships m JOIN users u ON u.id = m.user_id \
                         WHERE m.organization_id = $1 ORDER BY m.created_at, u.email",
                    )
                    .bind(organization_id)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn set_member_role(
                    &self,
                    organization_id: &str,
                    user_id: &str,
                    role: &str,
                ) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await?;
                    Self::lock_organization(&mut tx, organization_id).await?;
                    // An admin may always stay or become admin; a demotion needs another admin.
                    let done = sqlx::query(&format!(
                        "UPDATE memberships SET role = $3 WHERE organization_id = $1 \
                         AND user_id = $2 AND ($3 = 'org:admin' OR {NOT_LAST_ADMIN})"
                    ))
                    .bind(organization_id)
                    .bind(user_id)
                    .bind(role)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(
                            Self::member_change_refused(&mut tx, organization_id, user_id).await
                        );
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn remove_member(
                    &self,
                    organization_id: &str,
                    user_id: &str,
                ) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await?;
                    Self::lock_organization(&mut tx, organization_id).await?;
                    let done = sqlx::query(&format!(
                        "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2 \
                         AND {NOT_LAST_ADMIN}"
                    ))
                    .bind(organization_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(
                            Self::member_change_refused(&mut tx, organization_id, user_id).await
                        );
                    }
                    sqlx::query(
                        "UPDATE sessions SET active_organization_id = NULL \
                         WHERE user_id = $2 AND active_organization_id = $1",
                    )
                    .bind(organization_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn delete_organization(&self, organization_id: &str) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await?;
                    sqlx::query(
                        "UPDATE sessions SET active_organization_id = NULL \
                         WHERE active_organization_id = $1",
                    )
                    .bind(organization_id)
                    .execute(&mut *tx)
                    .await?;
                    // Memberships and invitations go with it (ON DELETE CASCADE).
                    let done = sqlx::query("DELETE FROM organizations WHERE id = $1")
                        .bind(organization_id)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn rename_organization(
                    &self,
                    organization_id: &str,
                    name: &str,
                    slug: &str,
                ) -> StoreResult<Organization> {
                    let done =
                        sqlx::query("UPDATE organizations SET name = $2, slug = $3 WHERE id = $1")
                            .bind(organization_id)
                            .bind(name)
                            .bind(slug)
                            .execute(&self.pool)
                            .await
                            .map_err(|e| conflict_or(e, Conflict::Slug))?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.organization_by_id(organization_id)
                        .await?
                        .ok_or(StoreError::NotFound)
                }

                async fn create_invitation(
                    &self,
                    new: NewInvitation,
                    now: i64,
                ) -> StoreResult<Invitation> {
                    let organization = self
                        .organization_by_id(&new.organization_id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let mut tx = self.pool.begin().await?;
                    let member: Option<String> = sqlx::query_scalar(
                        "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id \
                         WHERE m.organization_id = $1 AND u.email = $2",
                    )
                    .bind(&new.organization_id)
                    .bind(&new.email)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if member.is_some() {
                        return Err(StoreError::Conflict(Conflict::Membership));
                    }
                    sqlx::query(
                        "UPDATE invitations SET status = 'revoked', updated_at = $3 \
                         WHERE organization_id = $1 AND email = $2 AND status = 'pending' \
                         AND expires_at <= $3",
                    )
                    .bind(&new.organization_id)
                    .bind(&new.email)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let id = new_id("orginv");
                    sqlx::query(
                        "INSERT INTO invitations (id, organization_id, email, role, status, \
                         token_hash, invited_by, created_at, expires_at, updated_at) \
                         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $7)",
                    )
                    .bind(&id)
                    .bind(&new.organization_id)
                    .bind(&new.email)
                    .bind(&new.role)
                    .bind(&new.token_hash)
                    .bind(&new.invited_by)
                    .bind(now)
                    .bind(new.expires_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_or(e, Conflict::Invitation))?;
                    tx.commit().await?;
                    Ok(Invitation {
                        id,
                        organization,
                        email: new.email,
                        role: new.role,
                        status: "pending".into(),
                        created_at: now,
                        expires_at: new.expires_at,
                    })
                }

                async fn pending_invitations(
                    &self,
                    organization_id: &str,
                    now: i64,
                ) -> StoreResult<Vec<Invitation>> {
                    self.invitations_where("i.organization_id = $1", organization_id, now)
                        .await
                }

                async fn invitations_for_email(
                    &self,
                    email: &str,
                    now: i64,
                ) -> StoreResult<Vec<Invitation>> {
                    self.invitations_where("i.email = $1", email, now).await
                }

                async fn invitation_by_token_hash(
                    &self,
                    token_hash: &str,
                ) -> StoreResult<Option<Invitation>> {
                    self.invitation_where("i.token_hash = $1", token_hash).await
                }

                async fn invitation_by_id(&self, id: &str) -> StoreResult<Option<Invitation>> {
                    self.invitation_where("i.id = $1", id).await
                }

                async fn revoke_invitation(
                    &self,
                    organization_id: &str,
                    invitation_id: &str,
                    now: i64,
                ) -> StoreResult<()> {
                    let done = sqlx::query(
                        "UPDATE invitations SET status = 'revoked', updated_at = $3 \
                         WHERE id = $1 AND organization_id = $2 AND status = 'pending'",
                    )
                    .bind(invitation_id)
                    .bind(organization_id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn accept_invitation(
                    &self,
                    invitation_id: &str,
                    user_id: &str,
                    now: i64,
                ) -> StoreResult<Membership> {
                    let invitation = self
                        .invitation_where("i.id = $1", invitation_id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let mut tx = self.pool.begin().await?;
                    let membership = Self::accept_in(&mut tx, invitation, user_id, now).await?;
                    tx.commit().await?;
                    Ok(membership)
                }

                async fn create_invited_user(
                    &self,
                    new: NewUser,
                    invitation_id: &str,
                    now: i64,
                ) -> StoreResult<(User, Membership)> {
                    let invitation = self
                        .invitation_where("i.id = $1", invitation_id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let mut tx = self.pool.begin().await?;
                    let id = Self::insert_user(&mut tx, &self.keyring, &new, now).await?;
                    let membership = Self::accept_in(&mut tx, invitation, &id, now).await?;
                    tx.commit().await?;
                    let user = self.user_by_id(&id).await?.ok_or(StoreError::NotFound)?;
                    Ok((user, membership))
                }
            }
        };
    };
}
pub(crate) use impl_organizations;
