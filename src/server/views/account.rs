//! The account portal `/user` (README, "Hosted pages"): what it shows the signed-in (not pending)
//! user.

use crate::domain::errors::FlowError;
use crate::domain::reverification::Reverification;
use crate::domain::snapshot::{AccountView, DeviceView};
use crate::server::client::ClientContext;
use crate::server::clock::rfc3339;
use crate::server::mfa;
use crate::server::state::AppState;

/// What `/user` shows.
pub async fn account(state: &AppState, ctx: &ClientContext) -> Result<AccountView, FlowError> {
    let s = ctx.require_active()?;
    let user = &s.user;
    let devices = state
        .store
        .user_sessions(&user.id)
        .await?
        .into_iter()
        .filter(|d| d.status.is_signed_in())
        .map(|d| DeviceView {
            this_device: d.client_id == s.session.client_id,
            session_id: d.id,
            user_agent: d.user_agent.unwrap_or_else(|| "Unknown device".into()),
            ip: d.ip.unwrap_or_default(),
            last_active_at: rfc3339(d.last_active_at),
        })
        .collect();
    let new_backup_codes = match state
        .store
        .take_regenerated_codes(&user.id, &s.session.id)
        .await?
    {
        Some(json) => Some(serde_json::from_str(&json).map_err(crate::server::error::internal)?),
        None => None,
    };
    Ok(AccountView {
        email: user.email.clone(),
        authenticator_app: user.totp_secret.is_some(),
        sms_phone: user.phone.clone().filter(|_| user.sms_mfa),
        backup_codes_left: state.store.backup_codes_left(&user.id).await?,
        new_backup_codes,
        // An enrolment is shown only to the session that started it.
        totp_setup: user.totp_pending_for(&s.session.id).map(|secret| {
            let qr = mfa::qr_png_base64(secret, &state.settings.instance.name, &user.email);
            (secret.to_string(), qr.unwrap_or_default())
        }),
        pending_phone: user.sms_pending_for(&s.session.id).map(str::to_string),
        devices,
        reverification_needed: !Reverification::STRICT.is_met(state.now(), &s.verified()),
    })
}
