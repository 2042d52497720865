//! Read models: what the pages and the server functions show — the client snapshot the
//! `AuthProvider` renders, the account portal, the organization portal and the invitation page.
//! Reading never writes; every view starts from the client context's access checks.

pub mod account;
pub mod organizations;

use super::client::ClientContext;
use super::state::AppState;
use super::store::{SessionDetail, SignInAttempt};
use crate::domain::errors::FlowError;
use crate::domain::snapshot::{
    ClientSnapshot, MfaSetupView, OrganizationView, SessionView, SignInView, SignUpView, UserView,
};

pub(crate) fn session_view(d: &SessionDetail) -> SessionView {
    SessionView {
        id: d.session.id.clone(),
        status: d.session.status,
        tasks: d.session.tasks.clone(),
        user: UserView {
            id: d.user.id.clone(),
            email: d.user.email.clone(),
        },
        organization: d.organization.as_ref().map(|o| OrganizationView {
            id: o.organization_id.clone(),
            name: o.name.clone(),
            slug: o.slug.clone(),
            role: o.role.clone(),
            require_mfa: o.require_mfa,
        }),
        memberships: Vec::new(),
        invitations: Vec::new(),
    }
}

/// The snapshot the `AuthProvider` renders: sessions, attempts in progress, public settings.
pub async fn snapshot(state: &AppState, ctx: &ClientContext) -> Result<ClientSnapshot, FlowError> {
    let now = state.now();
    let mut snap = ClientSnapshot {
        sessions: ctx.sessions.iter().map(session_view).collect(),
        last_active_session_id: ctx.active().map(|d| d.session.id.clone()),
        env: state.public(),
        ..Default::default()
    };
    if state.settings.organizations.enabled {
        // Only what exists is read: the client query says who has memberships or invitations.
        for (view, detail) in snap.sessions.iter_mut().zip(&ctx.sessions) {
            if detail.has_memberships {
                view.memberships = memberships(state, &view.user.id).await?;
            }
            if detail.has_invitations && Some(&view.id) == snap.last_active_session_id.as_ref() {
                view.invitations = organizations::invitations_for(state, &view.user.email).await?;
            }
        }
    }
    if let Some(active) = ctx.active() {
        if active.session.tasks.first() == Some(&crate::domain::session::TaskKey::SetupMfa) {
            snap.mfa_setup = Some(mfa_setup(state, active)?);
        }
    }
    if let Some(client) = ctx.client.as_ref().filter(|_| ctx.has_sign_in) {
        if let Some(a) = state.store.sign_in_for_client(&client.id).await? {
            if a.expires_at > now {
                snap.sign_in = Some(sign_in_view(state, a).await?);
            }
        }
    }
    if let Some(client) = ctx.client.as_ref().filter(|_| ctx.has_sign_up) {
        if let Some(a) = state.store.sign_up_for_client(&client.id).await? {
            if a.expires_at > now {
                let p = a.state.progress(state.settings.sign_up.legal_consent);
                snap.sign_up = Some(SignUpView {
                    status: p.status,
                    email: Some(a.state.email),
                    missing_fields: p.missing_fields,
                    unverified_fields: p.unverified_fields,
                    redirect_url: a.redirect_url,
                });
            }
        }
    }
    Ok(snap)
}

/// What the sign-in pages show of an attempt: its status, address and strategy and, at the second
/// factor, the user's methods and the last digits of the SMS phone.
async fn sign_in_view(state: &AppState, a: SignInAttempt) -> Result<SignInView, FlowError> {
    let mut view = SignInView {
        status: a.state.status(),
        identifier: a.state.identifier().map(str::to_string),
        strategy: a.state.strategy(),
        password_compromised: a.state.password_compromised(),
        redirect_url: a.redirect_url.clone(),
        second_factors: Vec::new(),
        phone_hint: None,
    };
    if a.state.status() == crate::domain::sign_in::SignInStatus::NeedsSecondFactor {
        if let Some(user) = match a.state.user_id() {
            Some(id) => state.store.user_by_id(id).await?,
            None => None,
        } {
            let left = state.store.backup_codes_left(&user.id).await?;
            view.second_factors = crate::server::mfa::available_methods(&user, left);
            view.phone_hint = user.sms_phone().map(|p| {
                p.chars()
                    .skip(p.chars().count().saturating_sub(2))
                    .collect()
            });
        }
    }
    Ok(view)
}

/// What the setup-mfa screens show for `s` (whose current task it is): the session's pending
/// authenticator secret with its QR code, the phone it is verifying, and the backup codes — only
/// to the session that enrolled the factor.
pub fn mfa_setup(state: &AppState, s: &SessionDetail) -> Result<MfaSetupView, FlowError> {
    let user = &s.user;
    let sid = &s.session.id;
    let mut setup = MfaSetupView {
        methods: (state.settings.mfa.methods.iter())
            .map(|m| m.as_str().to_string())
            .collect(),
        ..Default::default()
    };
    if user.backup_codes_pending_for(sid) {
        if let Some(unseen) = &user.backup_codes_unseen {
            setup.backup_codes =
                Some(serde_json::from_str(unseen).map_err(crate::server::error::internal)?);
            return Ok(setup);
        }
    }
    if user.has_second_factor() {
        // Set up from another session: this one must prove it by signing in again; it may not
        // enrol a factor over it.
        setup.factor_elsewhere = true;
        return Ok(setup);
    }
    // The client context started this session's enrolment.
    if let Some(secret) = user.totp_pending_for(sid) {
        setup.totp_qr_png_base64 =
            crate::server::mfa::qr_png_base64(secret, &state.settings.instance.name, &user.email);
        setup.totp_secret = Some(secret.to_string());
    }
    setup.pending_phone = user.sms_pending_for(sid).map(str::to_string);
    Ok(setup)
}

/// A user's memberships as the snapshot shows them (the chooser and the switcher list them).
pub async fn memberships(
    state: &AppState,
    user_id: &str,
) -> Result<Vec<OrganizationView>, FlowError> {
    Ok(state
        .store
        .user_memberships(user_id)
        .await?
        .into_iter()
        .map(|m| OrganizationView {
            id: m.organization.id,
            name: m.organization.name,
            slug: m.organization.slug,
            role: m.role,
            require_mfa: false,
        })
        .collect())
}
