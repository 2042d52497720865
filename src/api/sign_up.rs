//! Server functions of sign-up.

use super::AuthResult;
use crate::domain::errors::FlowError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::edge::{self, flag};
#[cfg(feature = "ssr")]
use crate::server::http::Limit;

/// The first sign-up screen. Rate-limited as an attempt start.
#[server(prefix = "/api", endpoint = "sign_up/create", output = crate::api::JsonText)]
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
#[server(prefix = "/api", endpoint = "sign_up/verify", output = crate::api::JsonText)]
pub async fn sign_up_verify(code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::sign_up::verify(&state, &ctx, &req, &code).await
    })
    .await
}

/// "Resend code" on the sign-up verification step.
#[server(prefix = "/api", endpoint = "sign_up/resend", output = crate::api::JsonText)]
pub async fn sign_up_resend() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::sign_up::resend(&state, &ctx, &req).await
    })
    .await
}
