//! Notice emails a step sends once it has succeeded (a new sign-in, a changed password or
//! factor): queued through the delivery, never failing the step.

use crate::server::messages;
use crate::server::state::AppState;
use crate::server::store::User;

/// Queues a notice email; a failure is logged, never shown (the step itself succeeded).
pub async fn notify(state: &AppState, user: &User, message: messages::Message) {
    let template = message.template.name();
    if let Err(e) = state
        .delivery
        .email(&user.email, message, state.now())
        .await
    {
        tracing::warn!(error = %e, template, "notice not queued");
    }
}
