//! Where a visitor may go (README, "Session tasks for app developers"): one decision shared by the
//! server's route protection (an HTTP redirect before anything streams) and the router-level guard
//! in the browser.

use super::redirect::{query_param, safe_redirect, with_redirect_url};
use super::session::TaskKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The URLs an `AuthProvider` is configured with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthUrls {
    pub sign_in_url: String,
    pub sign_up_url: String,
    pub after_sign_in_url: String,
    pub after_sign_out_url: String,
    /// Task key (`choose-organization`, …) to path; missing keys use `/sign-in/tasks/<key>`.
    pub task_urls: BTreeMap<String, String>,
}

impl Default for AuthUrls {
    fn default() -> Self {
        Self {
            sign_in_url: "/sign-in".into(),
            sign_up_url: "/sign-up".into(),
            after_sign_in_url: "/".into(),
            after_sign_out_url: "/".into(),
            task_urls: BTreeMap::new(),
        }
    }
}

/// The hosted pages that are not steps of sign-in or sign-up (fixed paths of the route group).
pub const USER_PROFILE_PATH: &str = "/user";
pub const ORGANIZATION_PROFILE_PATH: &str = "/organization";
pub const CREATE_ORGANIZATION_PATH: &str = "/organization/new";
pub const INVITATION_PATH: &str = "/invitation";
/// The hosted reverification page, below the portal.
pub const VERIFY_PATH: &str = "/user/verify";

/// The steps of sign-in and sign-up, below `sign_in_url` and `sign_up_url`.
const SIGN_IN_STEPS: [&str; 5] = [
    "factor-one",
    "factor-two",
    "client-trust",
    "reset-password",
    "choose",
];
const SIGN_UP_STEPS: [&str; 1] = ["verify-email-address"];

impl AuthUrls {
    /// A step of sign-in (`factor-one`, …) below `sign_in_url`; `""` is the first screen.
    pub fn sign_in_step(&self, step: &str) -> String {
        step_url(&self.sign_in_url, step)
    }

    /// A step of sign-up below `sign_up_url`.
    pub fn sign_up_step(&self, step: &str) -> String {
        step_url(&self.sign_up_url, step)
    }

    /// The step of sign-in `path` shows (`""` for the first screen), if it is a sign-in page.
    pub fn sign_in_step_of<'a>(&self, path: &'a str) -> Option<&'a str> {
        step_of(&self.sign_in_url, path)
    }

    /// The step of sign-up `path` shows, if it is a sign-up page.
    pub fn sign_up_step_of<'a>(&self, path: &'a str) -> Option<&'a str> {
        step_of(&self.sign_up_url, path)
    }

    /// The hosted task pages' prefix: `<sign_in_url>/tasks`.
    pub fn tasks_url(&self) -> String {
        self.sign_in_step("tasks")
    }

    /// The URL of the page for task `key`.
    pub fn task_url(&self, key: &TaskKey) -> String {
        self.task_urls
            .get(key.as_str())
            .cloned()
            .unwrap_or_else(|| format!("{}/{}", self.tasks_url(), key.as_str()))
    }

    /// The task whose page `path` is, if any (hosted or configured).
    pub fn task_of_path(&self, path: &str) -> Option<TaskKey> {
        if let Some(key) = path
            .strip_prefix(self.tasks_url().as_str())
            .and_then(|rest| rest.strip_prefix('/'))
        {
            // An app-defined task is a task page only when the instance knows it (its URL is
            // listed); any other key is no page at all.
            return TaskKey::parse(key.trim_end_matches('/'))
                .filter(|k| !k.is_custom() || self.task_urls.contains_key(k.as_str()));
        }
        self.task_urls
            .iter()
            .find(|(_, u)| *u == path)
            .and_then(|(k, _)| TaskKey::parse(k))
    }

    /// Where to go once signed in: the carried `redirect_url` if safe, else the after-sign-in URL.
    pub fn completion_target(&self, redirect_url: Option<&str>) -> String {
        redirect_url
            .and_then(safe_redirect)
            .unwrap_or_else(|| self.after_sign_in_url.clone())
    }
}

fn step_url(base: &str, step: &str) -> String {
    if step.is_empty() {
        base.to_string()
    } else {
        format!("{}/{step}", base.trim_end_matches('/'))
    }
}

fn step_of<'a>(base: &str, path: &'a str) -> Option<&'a str> {
    let path = path.trim_end_matches('/');
    let rest = path.strip_prefix(base.trim_end_matches('/'))?;
    if rest.is_empty() {
        return Some("");
    }
    rest.strip_prefix('/')
}

/// What the guard knows of the active session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visitor<'a> {
    SignedOut,
    Pending(&'a [TaskKey]),
    Active,
}

/// Does `path` fall under one of the protected patterns? A pattern `/user` covers `/user` and
/// everything below it; a pattern ending in `/*` covers only what is below.
pub fn is_protected(path: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        if let Some(prefix) = p.strip_suffix("/*") {
            path.starts_with(prefix) && path[prefix.len()..].starts_with('/')
        } else {
            path == p || (path.starts_with(p.as_str()) && path[p.len()..].starts_with('/'))
        }
    })
}

/// The paths Vestibule's route group serves the hosted sign-in and sign-up flows at (their steps
/// and the task pages too): what islands mode serves as islands (`pages::hosted`).
pub fn is_hosted_flow_path(path: &str) -> bool {
    path == "/sign-in"
        || path.starts_with("/sign-in/")
        || path == "/sign-up"
        || path == "/sign-up/verify-email-address"
}

/// A page of the sign-in or sign-up flow (not the account chooser, not a task).
fn is_auth_flow_page(urls: &AuthUrls, path: &str) -> bool {
    let sign_in = urls
        .sign_in_step_of(path)
        .is_some_and(|s| s.is_empty() || (s != "choose" && SIGN_IN_STEPS.contains(&s)));
    let sign_up = urls
        .sign_up_step_of(path)
        .is_some_and(|s| s.is_empty() || SIGN_UP_STEPS.contains(&s));
    sign_in || sign_up
}

/// The redirect the guard asks for when `visitor` opens `path?query`, or `None` to let it render.
pub fn decide(
    path: &str,
    query: &str,
    visitor: Visitor<'_>,
    multi_session: bool,
    urls: &AuthUrls,
    protected: &[String],
) -> Option<String> {
    let here = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let carried = query_param(query, "redirect_url").and_then(|u| safe_redirect(&u));
    let to_task = |tasks: &[TaskKey], back: Option<&str>| {
        tasks
            .first()
            .map(|k| with_redirect_url(&urls.task_url(k), back))
    };

    // A pending session whose current task changes a credential proves itself here first when
    // its factors are old (the same rule as the portal's).
    if path == VERIFY_PATH {
        if let Visitor::Pending(tasks) = visitor {
            if tasks.first().is_some_and(TaskKey::changes_credential) {
                return None;
            }
        }
    }
    if is_protected(path, protected) {
        return match visitor {
            Visitor::SignedOut => Some(with_redirect_url(&urls.sign_in_url, Some(&here))),
            Visitor::Pending(tasks) => to_task(tasks, Some(&here)),
            Visitor::Active => None,
        };
    }

    let task_page = urls.task_of_path(path);
    if task_page.is_some() || path.trim_end_matches('/') == urls.tasks_url() {
        return match visitor {
            Visitor::SignedOut => Some(with_redirect_url(&urls.sign_in_url, carried.as_deref())),
            Visitor::Active => Some(urls.completion_target(carried.as_deref())),
            Visitor::Pending(tasks) => {
                // An app-defined task with a page of the app's own is done there only (its hosted
                // path leads to it).
                let its_page = match &task_page {
                    Some(k @ TaskKey::Custom(_)) => urls.task_url(k) == path.trim_end_matches('/'),
                    _ => true,
                };
                if task_page.is_some() && tasks.first() == task_page.as_ref() && its_page {
                    None
                } else {
                    to_task(tasks, carried.as_deref())
                }
            }
        };
    }

    if is_auth_flow_page(urls, path) {
        return match visitor {
            Visitor::SignedOut => None,
            Visitor::Pending(tasks) => to_task(tasks, carried.as_deref()),
            Visitor::Active if multi_session => None,
            Visitor::Active => Some(urls.completion_target(carried.as_deref())),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn hosted_flow_paths_are_the_route_groups() {
        for path in [
            "/sign-in",
            "/sign-in/factor-one",
            "/sign-in/tasks/setup-mfa",
            "/sign-up",
            "/sign-up/verify-email-address",
        ] {
            assert!(super::is_hosted_flow_path(path), "{path}");
        }
        for path in ["/", "/sign-in-help", "/sign-up/other", "/user", "/sign-ups"] {
            assert!(!super::is_hosted_flow_path(path), "{path}");
        }
    }

    use super::*;

    fn protected() -> Vec<String> {
        vec![
            "/dashboard".into(),
            "/user".into(),
            "/organization".into(),
            "/admin".into(),
        ]
    }

    #[test]
    fn a_pending_session_may_verify_itself_only_for_a_credential_task() {
        let urls = AuthUrls::default();
        let go = |tasks: &[TaskKey]| {
            decide(
                VERIFY_PATH,
                "level=strict",
                Visitor::Pending(tasks),
                false,
                &urls,
                &protected(),
            )
        };
        assert_eq!(go(&[TaskKey::ResetPassword, TaskKey::SetupMfa]), None);
        assert_eq!(go(&[TaskKey::SetupMfa]), None);
        assert_eq!(
            go(&[TaskKey::ChooseOrganization]).as_deref(),
            Some("/sign-in/tasks/choose-organization?redirect_url=/user/verify%3Flevel%3Dstrict")
        );
        // Signed out, it is a protected page as before.
        assert!(decide(
            VERIFY_PATH,
            "",
            Visitor::SignedOut,
            false,
            &urls,
            &protected()
        )
        .is_some_and(|to| to.starts_with("/sign-in?")));
    }

    #[test]
    fn a_custom_task_with_its_own_page_is_done_there_only() {
        let urls = AuthUrls {
            task_urls: [
                ("survey".to_string(), "/onboarding/survey".to_string()),
                ("dpa".to_string(), "/sign-in/tasks/dpa".to_string()),
            ]
            .into(),
            ..Default::default()
        };
        let survey = [TaskKey::Custom("survey".into())];
        let go = |path: &str, tasks: &[TaskKey]| {
            decide(
                path,
                "",
                Visitor::Pending(tasks),
                false,
                &urls,
                &protected(),
            )
        };
        assert_eq!(go("/onboarding/survey", &survey), None);
        assert_eq!(
            go("/sign-in/tasks/survey", &survey).as_deref(),
            Some("/onboarding/survey")
        );
        let dpa = [TaskKey::Custom("dpa".into())];
        assert_eq!(go("/sign-in/tasks/dpa", &dpa), None);
        assert_eq!(
            go("/dashboard", &dpa).as_deref(),
            Some("/sign-in/tasks/dpa?redirect_url=/dashboard")
        );
    }

    #[test]
    fn protected_pages_send_signed_out_visitors_to_sign_in_with_the_destination() {
        let urls = AuthUrls::default();
        let to = decide(
            "/dashboard",
            "a=1",
            Visitor::SignedOut,
            false,
            &urls,
            &protected(),
        );
        assert_eq!(
            to.as_deref(),
            Some("/sign-in?redirect_url=/dashboard%3Fa%3D1")
        );
        assert_eq!(
            decide(
                "/dashboard",
                "",
                Visitor::Active,
                false,
                &urls,
                &protected()
            ),
            None
        );
        assert_eq!(
            decide("/", "", Visitor::SignedOut, false, &urls, &protected()),
            None
        );
        assert!(is_protected("/user/security", &protected()));
        assert!(!is_protected("/username", &protected()));
    }

    #[test]
    fn pending_visitors_go_straight_to_the_current_task() {
        let mut urls = AuthUrls::default();
        let tasks = [TaskKey::ResetPassword, TaskKey::ChooseOrganization];
        let from_dashboard = |urls: &AuthUrls| {
            decide(
                "/dashboard",
                "",
                Visitor::Pending(&tasks),
                false,
                urls,
                &protected(),
            )
        };
        assert_eq!(
            from_dashboard(&urls).as_deref(),
            Some("/sign-in/tasks/reset-password?redirect_url=/dashboard")
        );
        urls.task_urls
            .insert("reset-password".into(), "/onboarding/reset-password".into());
        assert_eq!(
            from_dashboard(&urls).as_deref(),
            Some("/onboarding/reset-password?redirect_url=/dashboard")
        );
    }

    #[test]
    fn task_pages_follow_the_current_task() {
        let urls = AuthUrls::default();
        let tasks = [TaskKey::SetupMfa, TaskKey::ChooseOrganization];
        let p = protected();
        let wrong = decide(
            "/sign-in/tasks/choose-organization",
            "redirect_url=/admin",
            Visitor::Pending(&tasks),
            false,
            &urls,
            &p,
        );
        assert_eq!(
            wrong.as_deref(),
            Some("/sign-in/tasks/setup-mfa?redirect_url=/admin")
        );
        assert_eq!(
            decide(
                "/sign-in/tasks/setup-mfa",
                "",
                Visitor::Pending(&tasks),
                false,
                &urls,
                &p
            ),
            None
        );
        assert_eq!(
            decide(
                "/sign-in/tasks",
                "",
                Visitor::Pending(&tasks),
                false,
                &urls,
                &p
            )
            .as_deref(),
            Some("/sign-in/tasks/setup-mfa")
        );
        assert_eq!(
            decide(
                "/sign-in/tasks/setup-mfa",
                "redirect_url=/admin",
                Visitor::Active,
                false,
                &urls,
                &p
            )
            .as_deref(),
            Some("/admin")
        );
        assert_eq!(
            decide(
                "/sign-in/tasks/setup-mfa",
                "",
                Visitor::Active,
                false,
                &urls,
                &p
            )
            .as_deref(),
            Some("/")
        );
        assert_eq!(
            decide(
                "/sign-in/tasks/setup-mfa",
                "",
                Visitor::SignedOut,
                false,
                &urls,
                &p
            )
            .as_deref(),
            Some("/sign-in")
        );
    }

    #[test]
    fn custom_sign_in_and_sign_up_urls_carry_their_steps_and_tasks() {
        let urls = AuthUrls {
            sign_in_url: "/login".into(),
            sign_up_url: "/join".into(),
            ..Default::default()
        };
        assert_eq!(urls.sign_in_step("factor-one"), "/login/factor-one");
        assert_eq!(
            urls.sign_up_step("verify-email-address"),
            "/join/verify-email-address"
        );
        assert_eq!(urls.task_url(&TaskKey::SetupMfa), "/login/tasks/setup-mfa");
        assert_eq!(
            urls.task_of_path("/login/tasks/setup-mfa"),
            Some(TaskKey::SetupMfa)
        );
        assert_eq!(urls.task_of_path("/sign-in/tasks/setup-mfa"), None);
        assert_eq!(
            urls.task_of_path("/login/tasks/accept-dpa"),
            None,
            "an app-defined task the instance does not know"
        );
        let known = AuthUrls {
            task_urls: [(
                "accept-dpa".to_string(),
                "/login/tasks/accept-dpa".to_string(),
            )]
            .into(),
            ..urls.clone()
        };
        assert_eq!(
            known.task_of_path("/login/tasks/accept-dpa"),
            Some(TaskKey::Custom("accept-dpa".into()))
        );
        assert_eq!(
            urls.sign_in_step_of("/login/factor-two"),
            Some("factor-two")
        );
        assert_eq!(urls.sign_in_step_of("/login"), Some(""));
        assert_eq!(urls.sign_in_step_of("/loginx"), None);
        let p = protected();
        let tasks = [TaskKey::SetupMfa];
        assert_eq!(
            decide("/login", "", Visitor::Pending(&tasks), false, &urls, &p).as_deref(),
            Some("/login/tasks/setup-mfa")
        );
        assert_eq!(
            decide(
                "/join/verify-email-address",
                "",
                Visitor::Active,
                false,
                &urls,
                &p
            )
            .as_deref(),
            Some("/")
        );
        assert_eq!(
            decide("/dashboard", "", Visitor::SignedOut, false, &urls, &p).as_deref(),
            Some("/login?redirect_url=/dashboard")
        );
    }

    #[test]
    fn sign_in_pages_redirect_an_active_session_in_single_session_mode_only() {
        let urls = AuthUrls {
            after_sign_in_url: "/dashboard".into(),
            ..Default::default()
        };
        let p = protected();
        assert_eq!(
            decide("/sign-in", "", Visitor::Active, false, &urls, &p).as_deref(),
            Some("/dashboard")
        );
        assert_eq!(
            decide("/sign-in", "", Visitor::Active, true, &urls, &p),
            None
        );
        assert_eq!(
            decide(
                "/sign-in",
                "redirect_url=//evil.example",
                Visitor::Active,
                false,
                &urls,
                &p
            )
            .as_deref(),
            Some("/dashboard"),
            "an unsafe redirect_url is ignored"
        );
        assert_eq!(
            decide("/sign-in/choose", "", Visitor::Active, false, &urls, &p),
            None
        );
        assert_eq!(
            decide("/sign-up", "", Visitor::SignedOut, false, &urls, &p),
            None
        );
    }
}
