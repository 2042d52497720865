//! Server functions: one per flow step, each at an explicit, stable URL under `/api/`. Each is
//! thin: it re-reads the caller's client and session itself, calls one service in
//! `server::flows`, sets the cookie, and answers the next URL with a fresh client snapshot (a real
//! redirect for a plain form post without JavaScript).

use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::snapshot::ClientSnapshot;
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

impl FromServerFnError for FlowError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        FlowError::with_detail(ErrorCode::MalformedRequest, value.to_string())
    }
}

/// What every auth mutation answers: where to go next, and the client as it now is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResult {
    pub next: String,
    pub snapshot: ClientSnapshot,
}

#[cfg(feature = "ssr")]
use crate::server::http::Limit;

#[cfg(feature = "ssr")]
mod edge {
    use super::AuthResult;
    use crate::domain::errors::{ErrorCode, FlowError};
    use crate::server::auth::{load_client, load_client_by_token, snapshot, ClientContext};
    use crate::server::cookies::client_cookie;
    use crate::server::flows::{Outcome, RequestInfo};
    use crate::server::http::{check_limit, Limit};
    use crate::server::state::AppState;
    use axum::extract::ConnectInfo;
    use http::request::Parts;
    use http::{header, HeaderValue};
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;
    use std::net::SocketAddr;

    /// The client the page-protection middleware already loaded for this request (page renders
    /// only), else a fresh load.
    pub async fn client(state: &AppState) -> Result<ClientContext, FlowError> {
        let parts = use_context::<Parts>().ok_or(FlowError::new(ErrorCode::Internal))?;
        match parts.extensions.get::<ClientContext>() {
            Some(ctx) => Ok(ctx.clone()),
            None => load_client(state, &parts.headers).await,
        }
    }

    /// The app state and the request, as the integration provides them.
    pub fn request() -> Result<(AppState, RequestInfo), FlowError> {
        let state = use_context::<AppState>().ok_or(FlowError::new(ErrorCode::Internal))?;
        let parts = use_context::<Parts>().ok_or(FlowError::new(ErrorCode::Internal))?;
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let req = RequestInfo::new(parts.headers, peer, &state.settings.trusted_proxies);
        Ok((state, req))
    }

    fn accepts_html(req: &RequestInfo) -> bool {
        req.headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    }

    /// Runs one step with the caller's client loaded, after the per-IP rate limit of its class
    /// (declared here, with the endpoint, so no endpoint can be left out of a list).
    pub async fn step<F, Fut>(limit: Limit, f: F) -> Result<AuthResult, FlowError>
    where
        F: FnOnce(AppState, ClientContext, RequestInfo) -> Fut,
        Fut: std::future::Future<Output = Result<Outcome, FlowError>>,
    {
        let (state, req) = request()?;
        let html = accepts_html(&req);
        let result = async {
            check_limit(&state, &req, limit).await?;
            let ctx = load_client(&state, &req.headers).await?;
            let out = f(state.clone(), ctx, req.clone()).await?;
            finish(&state, &req, out).await
        }
        .await;
        if let Err(e) = &result {
            if !html {
                set_status(e);
            }
        }
        result
    }

    /// Gives an error answer to a script (not a plain form post) its HTTP status, and a rate
    /// limit its `Retry-After`.
    pub fn set_status(e: &FlowError) {
        if let Some(res) = use_context::<ResponseOptions>() {
            res.set_status(
                http::StatusCode::from_u16(e.code.http_status())
                    .unwrap_or(http::StatusCode::BAD_REQUEST),
            );
            if e.code == ErrorCode::TooManyRequests {
                if let Some(v) = e.n.and_then(|n| HeaderValue::from_str(&n.to_string()).ok()) {
                    res.insert_header(header::RETRY_AFTER, v);
                }
            }
        }
    }

    async fn finish(
        state: &AppState,
        req: &RequestInfo,
        out: Outcome,
    ) -> Result<AuthResult, FlowError> {
        let ctx = match &out.new_token {
            Some(token) => {
                if let (Some(res), Ok(v)) = (
                    use_context::<ResponseOptions>(),
                    HeaderValue::from_str(&client_cookie(token, state.https())),
                ) {
                    res.append_header(header::SET_COOKIE, v);
                }
                load_client_by_token(state, token).await?
            }
            None => load_client(state, &req.headers).await?,
        };
        let snap = snapshot(state, &ctx).await?;
        if accepts_html(req) && !out.next.is_empty() {
            leptos_axum::redirect(&out.next);
        }
        Ok(AuthResult {
            next: out.next,
            snapshot: snap,
        })
    }
}

/// A checkbox or hidden flag field: present and not `false`/`off`.
#[cfg(feature = "ssr")]
fn flag(v: &Option<String>) -> bool {
    v.as_deref()
        .is_some_and(|s| !s.is_empty() && s != "false" && s != "off")
}

/// The caller's client snapshot (sessions, attempts in progress, public settings). Anyone may call.
#[server(prefix = "/api", endpoint = "client")]
pub async fn get_client_snapshot() -> Result<ClientSnapshot, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    crate::server::auth::snapshot(&state, &ctx).await
}

/// The first sign-in screen. `action` is the submit button: `continue` (password),
/// `another_method` or `forgot_password`. Anyone may call; rate-limited as an attempt start.
#[server(prefix = "/api", endpoint = "sign_in/start")]
pub async fn sign_in_start(
    email: String,
    password: Option<String>,
    action: Option<String>,
    redirect_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    use crate::server::flows::sign_in::{start, StartAction};
    edge::step(Limit::Start, |state, ctx, req| async move {
        let action = StartAction::parse(action.as_deref().unwrap_or("continue"));
        start(
            &state,
            &ctx,
            &req,
            &email,
            password.as_deref().unwrap_or(""),
            action,
            redirect_url.as_deref(),
        )
        .await
    })
    .await
}

/// The email-address step when the first screen was left empty. Rate-limited as an attempt
/// start (it is where the address is typed).
#[server(prefix = "/api", endpoint = "sign_in/identify")]
pub async fn sign_in_identify(email: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Start, |state, ctx, req| async move {
        crate::server::flows::sign_in::identify(&state, &ctx, &req, &email).await
    })
    .await
}

/// "Email code" on `/sign-in/factor-one`.
#[server(prefix = "/api", endpoint = "sign_in/email_code")]
pub async fn sign_in_email_code() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::sign_in::choose_email_code(&state, &ctx, &req).await
    })
    .await
}

/// A typed code (email code, reset code, device code). Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "sign_in/code")]
pub async fn sign_in_code(code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::sign_in::attempt_code(&state, &ctx, &req, &code).await
    })
    .await
}

/// "Resend code" on a sign-in code step.
#[server(prefix = "/api", endpoint = "sign_in/resend")]
pub async fn sign_in_resend() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::sign_in::resend_code(&state, &ctx, &req).await
    })
    .await
}

/// The new password of forgot-password. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "sign_in/new_password")]
pub async fn sign_in_new_password(
    password: String,
    confirm_password: String,
    sign_out_others: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::sign_in::reset_password(
            &state,
            &ctx,
            &req,
            &password,
            &confirm_password,
            flag(&sign_out_others),
        )
        .await
    })
    .await
}

/// "Back": abandons the sign-in attempt.
#[server(prefix = "/api", endpoint = "sign_in/back")]
pub async fn sign_in_back() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::sign_in::abandon(&state, &ctx).await
    })
    .await
}

/// The first sign-up screen. Rate-limited as an attempt start.
#[server(prefix = "/api", endpoint = "sign_up/create")]
pub async fn sign_up_create(
    email: String,
    password: String,
    legal_accepted: Option<String>,
    redirect_url: Option<String>,
    invitation: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Start, |state, ctx, req| async move {
        crate::server::flows::sign_up::create(
            &state,
            &ctx,
            &req,
            crate::server::flows::sign_up::SignUpForm {
                email: &email,
                password: &password,
                legal_accepted: flag(&legal_accepted),
                redirect_url: redirect_url.as_deref(),
                invitation: invitation.as_deref(),
            },
        )
        .await
    })
    .await
}

/// The emailed sign-up code. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "sign_up/verify")]
pub async fn sign_up_verify(code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::sign_up::verify(&state, &ctx, &req, &code).await
    })
    .await
}

/// "Resend code" on the sign-up verification step.
#[server(prefix = "/api", endpoint = "sign_up/resend")]
pub async fn sign_up_resend() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::sign_up::resend(&state, &ctx, &req).await
    })
    .await
}

/// Signs out the active session, a given session of this client, or (`all`) every session of the
/// client. Only sessions of the calling client can be named.
#[server(prefix = "/api", endpoint = "sessions/sign_out")]
pub async fn sign_out(
    session_id: Option<String>,
    all: Option<String>,
    redirect_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::sessions::sign_out(
            &state,
            &ctx,
            session_id.as_deref().filter(|s| !s.is_empty()),
            flag(&all),
            redirect_url.as_deref(),
        )
        .await
    })
    .await
}

/// Demo app data: the dashboard's view of the active session. Refuses a pending session (it is
/// signed out by default), so a task cannot be skipped by calling this directly.
#[server(prefix = "/api", endpoint = "app/whoami")]
pub async fn whoami() -> Result<crate::domain::snapshot::AuthView, FlowError> {
    auth()
        .await?
        .require(true)
        .cloned()
        .inspect_err(edge::set_status)
}

/// `auth()` for server functions (SPEC §8): the caller's [`Auth`](crate::server::auth::Auth),
/// loaded from its own cookie — never trusted from the router guard. Use
/// `.with(treat_pending_as_signed_out)` or `.require(..)` on it.
#[cfg(feature = "ssr")]
pub async fn auth() -> Result<crate::server::auth::Auth, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    Ok(crate::server::auth::Auth::from_context(&ctx))
}

#[cfg(feature = "ssr")]
fn destination(
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> crate::server::flows::tasks::Destination {
    crate::server::flows::tasks::Destination {
        redirect_url: redirect_url.filter(|s| !s.is_empty()),
        complete_url: complete_url.filter(|s| !s.is_empty()),
    }
}

/// The `reset-password` task. Only for a session whose current task it is.
#[server(prefix = "/api", endpoint = "tasks/reset_password")]
pub async fn task_reset_password(
    password: String,
    confirm_password: String,
    sign_out_others: Option<String>,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::tasks::reset_password(
            &state,
            &ctx,
            &req,
            &password,
            &confirm_password,
            flag(&sign_out_others),
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// `set_active({ session, organization })`: `session_id` one of this client's signed-in
/// sessions; `organization` an id or slug of the caller's memberships, or `personal` for the
/// personal workspace (refused while personal accounts are off); neither leaves it. Pending
/// sessions may call it: it is how `choose-organization` is done.
#[server(prefix = "/api", endpoint = "sessions/set_active")]
pub async fn activate(
    session_id: Option<String>,
    organization: Option<String>,
    personal: Option<String>,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::tasks::set_active(
            &state,
            &ctx,
            &req,
            session_id.as_deref().filter(|s| !s.is_empty()),
            if flag(&personal) {
                Some("")
            } else {
                organization.as_deref().filter(|o| !o.is_empty())
            },
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// Creates an organization with the caller as admin and makes it active.
#[server(prefix = "/api", endpoint = "organizations/create")]
pub async fn create_organization(
    name: String,
    slug: Option<String>,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::tasks::create_organization(
            &state,
            &ctx,
            &req,
            &name,
            slug.as_deref().unwrap_or(""),
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// The authenticator code that proves the new secret. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "tasks/mfa/totp")]
pub async fn mfa_totp(
    code: String,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::tasks::mfa_totp_verify(
            &state,
            &ctx,
            &req,
            &code,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// The phone number for SMS codes.
#[server(prefix = "/api", endpoint = "tasks/mfa/phone")]
pub async fn mfa_phone(phone: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::tasks::mfa_phone(&state, &ctx, &req, &phone).await
    })
    .await
}

/// The code sent to the phone. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "tasks/mfa/phone_code")]
pub async fn mfa_phone_code(
    code: String,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::tasks::mfa_phone_verify(
            &state,
            &ctx,
            &req,
            &code,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// "Continue" under the backup codes.
#[server(prefix = "/api", endpoint = "tasks/mfa/done")]
pub async fn mfa_done(
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::tasks::mfa_backup_codes_seen(
            &state,
            &ctx,
            &req,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// The second factor at sign-in: `method` is `totp`, `sms` or `backup_code`. Rate-limited as a
/// factor attempt; wrong codes count towards the lockout.
#[server(prefix = "/api", endpoint = "sign_in/second_factor")]
pub async fn sign_in_second_factor(method: String, code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::sign_in::attempt_second_factor(&state, &ctx, &req, &method, &code)
            .await
    })
    .await
}

/// "SMS code" at `/sign-in/factor-two`: sends a code to the reserved phone.
#[server(prefix = "/api", endpoint = "sign_in/sms_code")]
pub async fn sign_in_sms_code() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::sign_in::send_sms_code(&state, &ctx, &req).await
    })
    .await
}

/// What the account portal shows. Active sessions only.
#[server(prefix = "/api", endpoint = "account")]
pub async fn get_account() -> Result<crate::domain::snapshot::AccountView, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    crate::server::flows::portal::account(&state, &ctx)
        .await
        .inspect_err(edge::set_status)
}

/// Changes the password from the portal. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn account_password(
    current_password: String,
    password: String,
    confirm_password: String,
    sign_out_others: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::change_password(
            &state,
            &ctx,
            &current_password,
            &password,
            &confirm_password,
            flag(&sign_out_others),
        )
        .await
    })
    .await
}

/// "Regenerate backup codes" (password re-entered). Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/backup_codes")]
pub async fn account_backup_codes(current_password: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::regenerate_backup_codes(&state, &ctx, &current_password).await
    })
    .await
}

/// "Sign out" of one device in the portal's device list (password, unless the sign-in or the
/// last re-verification is less than 10 minutes old). Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/devices/sign_out")]
pub async fn account_device_sign_out(
    session_id: String,
    current_password: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::revoke_device(
            &state,
            &ctx,
            &session_id,
            current_password.as_deref().unwrap_or(""),
        )
        .await
    })
    .await
}

/// "Sign out of all other devices", offered after a factor changed (re-verification as above).
/// Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/devices/sign_out_others")]
pub async fn account_sign_out_others(
    current_password: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::sign_out_other_devices(
            &state,
            &ctx,
            current_password.as_deref().unwrap_or(""),
        )
        .await
    })
    .await
}

/// "Add authenticator app" in the portal (password, unless signed in within 10 minutes).
#[server(prefix = "/api", endpoint = "account/totp/start")]
pub async fn account_totp_start(current_password: Option<String>) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::start_totp(
            &state,
            &ctx,
            current_password.as_deref().unwrap_or(""),
        )
        .await
    })
    .await
}

/// The code that proves the new authenticator app. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/totp/confirm")]
pub async fn account_totp_confirm(code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::confirm_totp(&state, &ctx, &code).await
    })
    .await
}

/// "Add phone" in the portal: a code goes to it.
#[server(prefix = "/api", endpoint = "account/sms/start")]
pub async fn account_sms_start(
    current_password: Option<String>,
    phone: String,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::portal::start_sms(
            &state,
            &ctx,
            &req,
            current_password.as_deref().unwrap_or(""),
            &phone,
        )
        .await
    })
    .await
}

/// The code sent to the new phone. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/sms/confirm")]
pub async fn account_sms_confirm(code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::confirm_sms(&state, &ctx, &code).await
    })
    .await
}

/// Removes a second factor (`factor` is `totp` or `sms`).
#[server(prefix = "/api", endpoint = "account/factor/remove")]
pub async fn account_factor_remove(
    factor: String,
    current_password: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        use crate::server::store::FactorKind;
        let factor = match factor.as_str() {
            "totp" => FactorKind::Totp,
            "sms" => FactorKind::Sms,
            _ => {
                return Err(FlowError::with_detail(
                    ErrorCode::FormParamFormatInvalid,
                    "Factor",
                ))
            }
        };
        crate::server::flows::portal::remove_factor(
            &state,
            &ctx,
            factor,
            current_password.as_deref().unwrap_or(""),
        )
        .await
    })
    .await
}

/// What `/organization` shows for the active organization (members; invitations for admins).
/// Active sessions with an active organization only.
#[server(prefix = "/api", endpoint = "organizations/profile")]
pub async fn get_organization_profile(
) -> Result<crate::domain::snapshot::OrganizationProfileView, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    crate::server::flows::organizations::profile(&state, &ctx)
        .await
        .inspect_err(edge::set_status)
}

/// Renames the active organization (`org:sys_profile:manage`).
#[server(prefix = "/api", endpoint = "organizations/rename")]
pub async fn organization_rename(
    name: String,
    slug: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::organizations::rename(
            &state,
            &ctx,
            &name,
            slug.as_deref().unwrap_or(""),
        )
        .await
    })
    .await
}

/// Changes a member's role (`org:sys_memberships:manage`); the last admin stays an admin.
#[server(prefix = "/api", endpoint = "organizations/members/role")]
pub async fn organization_member_role(
    user_id: String,
    role: String,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::organizations::set_role(&state, &ctx, &user_id, &role).await
    })
    .await
}

/// Removes a member (`org:sys_memberships:manage`); the last admin stays.
#[server(prefix = "/api", endpoint = "organizations/members/remove")]
pub async fn organization_member_remove(user_id: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::remove_member(&state, &ctx, &req, &user_id).await
    })
    .await
}

/// "Leave organization" (anyone but the last admin).
#[server(prefix = "/api", endpoint = "organizations/leave")]
pub async fn organization_leave() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::leave(&state, &ctx, &req).await
    })
    .await
}

/// Invites an email address with a role (`org:sys_invitations:manage`).
#[server(prefix = "/api", endpoint = "organizations/invitations/create")]
pub async fn organization_invite(email: String, role: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::organizations::invite(&state, &ctx, &email, &role).await
    })
    .await
}

/// Revokes a pending invitation (`org:sys_invitations:manage`).
#[server(prefix = "/api", endpoint = "organizations/invitations/revoke")]
pub async fn organization_revoke_invitation(
    invitation_id: String,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::organizations::revoke(&state, &ctx, &invitation_id).await
    })
    .await
}

/// One page (from 0, 10 per page) of the caller's memberships and pending invitations.
#[server(prefix = "/api", endpoint = "organizations/list")]
pub async fn organization_list(
    page: u32,
) -> Result<crate::domain::snapshot::OrganizationListPage, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    crate::server::flows::organizations::list(&state, &ctx, page)
        .await
        .inspect_err(edge::set_status)
}

/// What the invitation page shows for a link's token. Anyone may call (the token is the secret).
#[server(prefix = "/api", endpoint = "invitations/lookup")]
pub async fn get_invitation(
    token: String,
) -> Result<crate::domain::snapshot::InvitationPageView, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    crate::server::flows::organizations::page(&state, &ctx, &token)
        .await
        .inspect_err(edge::set_status)
}

/// "Accept invitation": the signed-in invitee joins the organization.
#[server(prefix = "/api", endpoint = "invitations/accept")]
pub async fn accept_invitation(token: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::accept(&state, &ctx, &req, &token).await
    })
    .await
}

/// "Join <organization>": accepts one of the caller's pending invitations (by id) and makes the
/// organization active.
#[server(prefix = "/api", endpoint = "invitations/join")]
pub async fn join_invitation(
    invitation_id: String,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::join_by_id(
            &state,
            &ctx,
            &req,
            &invitation_id,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}
