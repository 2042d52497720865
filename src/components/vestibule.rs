//! The client handle (README, "Session tasks for app developers"): `use_vestibule()` with
//! `set_active` and `sign_out`, the `navigate` callback of `finalize`, and `decorate_url`.

use super::auth_provider::{use_auth_context, AuthContext};
use super::nav::{use_go, use_leaves};
use crate::api::{activate, sign_out, AuthResult};
use crate::domain::redirect::{query_param, with_redirect_url};
use crate::domain::snapshot::SessionView;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What a `navigate` callback receives when a sign-in, sign-up, task or `set_active` finishes with
/// an active session.
#[derive(Clone, Debug)]
pub struct NavigateArgs {
    pub session: Option<SessionView>,
    /// Turns a destination into what to navigate to: see [`decorate_url`].
    pub decorate_url: fn(&str) -> String,
}

/// `decorate_url`: in-app paths come back unchanged (navigate with the router); paths the app's
/// router does not serve (the server's API, testing and asset endpoints) and other origins come
/// back absolute (navigate with a full page load).
pub fn decorate_url(path: &str) -> String {
    let outside_router = ["/api/", "/v1/", "/__testing/", "/pkg/"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    if path.starts_with('/') && !path.starts_with("//") && !outside_router {
        return path.to_string();
    }
    if path.starts_with('/') && !path.starts_with("//") {
        return format!("{}{path}", origin());
    }
    path.to_string()
}

fn origin() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return origin;
    }
    String::new()
}

/// The `navigate` callback a `SignIn`, `SignUp` or task component hands to its steps.
#[derive(Clone, Copy)]
pub struct FinalizeNavigate(pub Callback<NavigateArgs>);

/// Applies a mutation's answer: stores the new snapshot, then navigates — the task
/// URL if the active session is pending, else the `navigate` callback (for a finished session),
/// else the server's answer (the carried `redirect_url` or the after-sign-in URL). An empty answer
/// stays on the page. When `leaves` says the destination is another page's load (in a hosted
/// island, see [`super::nav::use_leaves`]), the snapshot is left for that page to show: the old
/// page never shows the next state while the browser loads the next one.
pub fn apply(
    ctx: &AuthContext,
    result: AuthResult,
    callback: Option<Callback<NavigateArgs>>,
    navigate: &dyn Fn(&str),
    leaves: &dyn Fn(&str) -> bool,
) {
    let AuthResult { snapshot, next } = result;
    if next.is_empty() {
        ctx.set_snapshot(snapshot);
        return;
    }
    let active = snapshot.active_session().cloned();
    // (A pending session sent to verify itself for its credential task goes there: the
    // verification page returns to the task.)
    let verifying = next.split('?').next() == Some(crate::domain::guard::VERIFY_PATH);
    let to = match (&active, callback) {
        (Some(s), _) if !s.tasks.is_empty() && !verifying => {
            let back = next
                .split_once('?')
                .and_then(|(_, q)| query_param(q, "redirect_url"));
            let urls = untrack(|| ctx.urls());
            with_redirect_url(&urls.task_url(&s.tasks[0]), back.as_deref())
        }
        (Some(_), Some(cb)) => {
            ctx.set_snapshot(snapshot);
            cb.run(NavigateArgs {
                session: active,
                decorate_url,
            });
            return;
        }
        _ => next,
    };
    if !(to.starts_with('/') && leaves(&to)) {
        ctx.set_snapshot(snapshot);
    }
    if to.starts_with('/') {
        navigate(&to);
    } else {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_href(&to);
        }
    }
}

/// Parameters of [`Vestibule::set_active`].
#[derive(Clone, Default)]
pub struct SetActive {
    /// A session of this browser to make active.
    pub session: Option<String>,
    /// `Some(id or slug)`, or `Some("")` for the personal workspace.
    pub organization: Option<String>,
    pub redirect_url: Option<String>,
    pub navigate: Option<Callback<NavigateArgs>>,
}

/// Parameters of [`Vestibule::sign_out`].
#[derive(Clone, Default)]
pub struct SignOutParams {
    /// A session of this browser; the active one when `None`.
    pub session_id: Option<String>,
    pub redirect_url: Option<String>,
}

/// The handle `use_vestibule()` returns (Clerk's `useClerk()`).
#[derive(Clone, Copy)]
pub struct Vestibule {
    ctx: AuthContext,
}

pub fn use_vestibule() -> Vestibule {
    Vestibule {
        ctx: use_auth_context(),
    }
}

impl Vestibule {
    /// Switches the active session and/or organization, then navigates as `apply` does.
    pub fn set_active(&self, params: SetActive) {
        let ctx = self.ctx;
        let go = use_go();
        let leaves = use_leaves();
        spawn_local(async move {
            let personal = params.organization.as_deref() == Some("");
            let organization = params.organization.filter(|o| !o.is_empty());
            let result = activate(
                params.session,
                organization,
                personal.then(|| "true".to_string()),
                params.redirect_url,
                None,
            )
            .await;
            if let Ok(result) = result {
                apply(&ctx, result, params.navigate, &|to| go(to, false), &leaves);
            }
        });
    }

    /// Signs out one session (the active one by default), then navigates.
    pub fn sign_out(&self, params: SignOutParams) {
        let ctx = self.ctx;
        let go = use_go();
        let leaves = use_leaves();
        spawn_local(async move {
            if let Ok(result) = sign_out(params.session_id, None, params.redirect_url).await {
                apply(&ctx, result, None, &|to| go(to, false), &leaves);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::snapshot::ClientSnapshot;
    use std::cell::RefCell;

    /// Applies an answer moving to `next` (the answer's snapshot names the last active session
    /// `"after"`), where `leaves` answers `leaving`: what the context then holds, and where it
    /// navigated.
    fn applied(next: &str, leaving: bool) -> (Option<String>, Vec<String>) {
        let owner = Owner::new();
        owner.set();
        let ctx = AuthContext::fixed(ClientSnapshot::default(), Default::default());
        let result = AuthResult {
            next: next.into(),
            snapshot: ClientSnapshot {
                last_active_session_id: Some("after".into()),
                ..Default::default()
            },
        };
        let went = RefCell::new(Vec::new());
        apply(
            &ctx,
            result,
            None,
            &|to| went.borrow_mut().push(to.to_string()),
            &|_| leaving,
        );
        let held = ctx.snapshot().and_then(|s| s.last_active_session_id);
        (held, went.into_inner())
    }

    #[test]
    fn an_answer_that_stays_on_the_page_shows_its_snapshot_here() {
        assert_eq!(applied("", true), (Some("after".into()), vec![]));
        assert_eq!(
            applied("/sign-in/factor-one", false),
            (Some("after".into()), vec!["/sign-in/factor-one".into()])
        );
    }

    #[test]
    fn an_answer_that_loads_another_page_leaves_the_snapshot_to_it() {
        assert_eq!(
            applied("/dashboard", true),
            (None, vec!["/dashboard".into()])
        );
    }

    #[test]
    fn decorate_url_keeps_in_app_paths_and_absolutises_the_rest() {
        assert_eq!(decorate_url("/dashboard"), "/dashboard");
        assert_eq!(
            decorate_url("https://other.example/x"),
            "https://other.example/x"
        );
        assert!(decorate_url("/v1/users").ends_with("/v1/users"));
        assert_ne!(decorate_url("//evil.example"), "/evil.example");
    }
}
