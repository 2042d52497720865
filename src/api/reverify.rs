//! Server functions of reverification (README, "Reverification"): what the page or dialog shows,
//! and each factor verified again. `dialog` marks a call from the kit's dialog (no navigation: it
//! retries the action itself); otherwise a finished verification returns to `redirect_url`.

use super::AuthResult;
use crate::domain::errors::FlowError;
use crate::domain::snapshot::ReverificationView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::edge::{self, flag};
#[cfg(feature = "ssr")]
use crate::server::flows::reverify::{self, Asked, CodeChannel};
#[cfg(feature = "ssr")]
use crate::server::http::Limit;

#[cfg(feature = "ssr")]
fn asked(level: Option<String>, redirect_url: Option<String>, dialog: Option<String>) -> Asked {
    Asked {
        level: level.filter(|l| !l.is_empty()),
        redirect_url: redirect_url.filter(|r| !r.is_empty()),
        dialog: flag(&dialog),
    }
}

/// What `/user/verify` (or the dialog) shows for `level` (default `strict`). Active sessions only.
#[server(prefix = "/api", endpoint = "user/verify", output = crate::api::JsonText)]
pub async fn get_reverification(level: Option<String>) -> Result<ReverificationView, FlowError> {
    async {
        let (state, _) = edge::request()?;
        let ctx = edge::client(&state).await?;
        reverify::view(&state, &ctx, level.as_deref()).await
    }
    .await
    .inspect_err(edge::set_status)
}

/// The password, again. Rate-limited as a factor attempt; wrong ones count towards the lockout.
#[server(prefix = "/api", endpoint = "user/verify/password", output = crate::api::JsonText)]
pub async fn reverify_password(
    password: String,
    level: Option<String>,
    redirect_url: Option<String>,
    dialog: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        let asked = asked(level, redirect_url, dialog);
        reverify::password(&state, &ctx, &password, &asked).await
    })
    .await
}

/// "Email code" (a user without a password) or "SMS code" (`channel` `email` or `sms`): a code
/// bound to this session.
#[server(prefix = "/api", endpoint = "user/verify/send_code", output = crate::api::JsonText)]
pub async fn reverify_send_code(
    channel: String,
    level: Option<String>,
    redirect_url: Option<String>,
    dialog: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        let channel = match channel.as_str() {
            "email" => CodeChannel::Email,
            "sms" => CodeChannel::Sms,
            _ => {
                return Err(FlowError::with_detail(
                    crate::domain::errors::ErrorCode::FormParamFormatInvalid,
                    "Channel",
                ))
            }
        };
        let asked = asked(level, redirect_url, dialog);
        reverify::send_code(&state, &ctx, &req, channel, &asked).await
    })
    .await
}

/// A code: `strategy` `email_code`, `totp`, `sms` or `backup_code`. Rate-limited as a factor
/// attempt; wrong ones count towards the lockout.
#[server(prefix = "/api", endpoint = "user/verify/code", output = crate::api::JsonText)]
pub async fn reverify_code(
    strategy: String,
    code: String,
    level: Option<String>,
    redirect_url: Option<String>,
    dialog: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        let asked = asked(level, redirect_url, dialog);
        reverify::code(&state, &ctx, &strategy, &code, &asked).await
    })
    .await
}
