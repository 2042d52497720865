//! Reverification in the browser (README, "Reverification"). `ReverificationPanel` asks for what
//! the session still needs — the password (or an email code for a user without one), then the
//! second factor — on the hosted `/user/verify` page or inside `ReverificationDialog`.
//! `use_reverification(action)` watches a server action: when it answers `reverification_required`
//! the dialog opens, and once the session is verified the action runs again, once, with the same
//! input.

use super::flow_action::{FlowAction, FlowCall};
use super::forms::{error_of, flow_action, Field, FlowForm, FormAlert};
use super::nav::use_nav;
use crate::api::{get_reverification, ReverifyCode, ReverifyPassword, ReverifySendCode};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::redirect::{encode_component, query_param, with_redirect_url};
use crate::domain::reverification::NeededFactor;
use crate::domain::snapshot::ReverificationView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// A reverification the page is waiting for: the level asked, and the action to run again.
#[derive(Clone)]
struct Waiting {
    level: String,
    retry: Callback<()>,
}

/// Shared by the `use_reverification` hooks of a page and its `ReverificationDialog`.
#[derive(Clone, Copy)]
pub struct ReverificationState {
    waiting: RwSignal<Option<Waiting>>,
}

fn state() -> ReverificationState {
    if let Some(s) = use_context::<ReverificationState>() {
        return s;
    }
    let s = ReverificationState {
        waiting: RwSignal::new(None),
    };
    provide_context(s);
    s
}

/// An action `use_reverification` can watch and run again: a flow step's [`FlowAction`], or an
/// app's own `ServerAction` whose server function fails with [`FlowError`].
pub trait RetryableAction: Copy + Send + Sync + 'static {
    type Input: Clone + Send + Sync + 'static;
    /// The last input dispatched (tracked).
    fn last_input(&self) -> Option<Self::Input>;
    /// The last answer's error, if it failed (tracked).
    fn last_error(&self) -> Option<FlowError>;
    fn dispatch_again(&self, input: Self::Input);
}

impl RetryableAction for FlowAction {
    type Input = FlowCall;

    fn last_input(&self) -> Option<FlowCall> {
        self.input().get()
    }

    fn last_error(&self) -> Option<FlowError> {
        self.value().get().and_then(Result::err)
    }

    fn dispatch_again(&self, input: FlowCall) {
        self.dispatch(input);
    }
}

impl<S> RetryableAction for ServerAction<S>
where
    S: ServerFn<Error = FlowError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    type Input = S;

    fn last_input(&self) -> Option<S> {
        self.input().get()
    }

    fn last_error(&self) -> Option<FlowError> {
        self.value().get().and_then(Result::err)
    }

    fn dispatch_again(&self, input: S) {
        self.dispatch(input);
    }
}

/// `use_reverification(action)`: when `action` fails with `reverification_required`, the
/// page's `ReverificationDialog` opens for the level the server named; once verified, `action`
/// is dispatched again with its last input (once: a second refusal shows its error).
pub fn use_reverification<A: RetryableAction>(action: A) {
    let shared = state();
    let last_input = StoredValue::new(None::<A::Input>);
    let retried = StoredValue::new(false);
    Effect::new(move |_| {
        if let Some(input) = action.last_input() {
            last_input.set_value(Some(input));
        }
    });
    Effect::new(move |_| {
        let e = match action.last_error() {
            Some(e) => e,
            // Done (or not run yet): the next refusal may ask again.
            None => {
                retried.set_value(false);
                return;
            }
        };
        if e.code != ErrorCode::ReverificationRequired || retried.get_value() {
            retried.set_value(false);
            return;
        }
        let level = e.detail.clone().unwrap_or_else(|| "strict".into());
        let retry = Callback::new(move |_| {
            if let Some(input) = last_input.get_value() {
                retried.set_value(true);
                action.dispatch_again(input);
            }
        });
        shared.waiting.set(Some(Waiting { level, retry }));
    });
}

/// A task step's answer `reverification_required` sends the browser to the hosted verification
/// page, which comes back to this page once the session is verified; the step is then sent
/// again. (A task page is rebuilt as its step changes, so it keeps no dialog of its own.)
pub fn verify_on_page(action: FlowAction) {
    let go = super::nav::use_go();
    let location = use_nav();
    Effect::new(move |_| {
        let Some(Err(e)) = action.value().get() else {
            return;
        };
        if e.code != ErrorCode::ReverificationRequired {
            return;
        }
        let level = e.detail.clone().unwrap_or_else(|| "strict".into());
        let back = format!(
            "{}{}",
            location.pathname.get_untracked(),
            location.search.get_untracked()
        );
        let page = format!(
            "{}?level={}",
            crate::domain::guard::VERIFY_PATH,
            encode_component(&level)
        );
        go(&with_redirect_url(&page, Some(&back)), false);
    });
}

/// The dialog `use_reverification` opens: "Verify your identity", the panel, and "Cancel".
#[component]
pub fn ReverificationDialog() -> impl IntoView {
    let shared = state();
    let verified = Callback::new(move |_| {
        if let Some(w) = shared.waiting.get_untracked() {
            shared.waiting.set(None);
            w.retry.run(());
        }
    });
    move || {
        shared.waiting.get().map(|w| {
            view! {
                <div class="dialog-backdrop">
                    <div class="card dialog" role="dialog" aria-modal="true" aria-labelledby="reverify-dialog-heading">
                        <h2 id="reverify-dialog-heading">"Verify your identity"</h2>
                        <ReverificationPanel level=w.level.clone() dialog=true on_verified=verified/>
                        <button type="button" on:click=move |_| shared.waiting.set(None)>"Cancel"</button>
                    </div>
                </div>
            }
        })
    }
}

/// What the session still has to verify for `level`, one form at a time. On the page (`dialog`
/// false) a finished verification returns to the query's `redirect_url`; in the dialog it calls
/// `on_verified`.
#[component]
pub fn ReverificationPanel(
    #[prop(into)] level: String,
    #[prop(default = false)] dialog: bool,
    #[prop(optional)] on_verified: Option<Callback<()>>,
) -> impl IntoView {
    let password = flow_action::<ReverifyPassword>();
    let send = flow_action::<ReverifySendCode>();
    let code = flow_action::<ReverifyCode>();
    let location = use_nav();
    let param = move |name: &str| query_param(location.search.get().trim_start_matches('?'), name);
    // The dialog keeps its step here; the page keeps it in its URL (`?step=`).
    let local_step = RwSignal::new(None::<String>);
    let step = Memo::new(move |_| {
        if dialog {
            local_step.get()
        } else {
            param("step")
        }
    });
    let level_for_view = level.clone();
    let view_res = Resource::new(
        move || (password.version().get(), code.version().get()),
        move |_| get_reverification(Some(level_for_view.clone())),
    );
    // In the dialog, verified enough after one of its own steps succeeded (a wrong password
    // never retries the action): run the action again.
    Effect::new(move |_| {
        let stepped = matches!(password.value().get(), Some(Ok(_)))
            || matches!(code.value().get(), Some(Ok(_)));
        if let (true, true, Some(Ok(v))) = (dialog, stepped, view_res.get()) {
            if v.needed.is_none() {
                if let Some(cb) = on_verified {
                    cb.run(());
                }
            }
        }
    });
    let hidden = Hidden {
        level: level.clone(),
        redirect_url: if dialog {
            String::new()
        } else {
            param("redirect_url").unwrap_or_default()
        },
        dialog,
    };
    // The step a "Send" button leads to is taken once its code went out: switching at the click
    // would take its form away before the browser submits it. "Backup code" switches at once.
    let after_send = StoredValue::new(None::<&'static str>);
    Effect::new(move |_| {
        if dialog && matches!(send.value().get(), Some(Ok(_))) {
            if let Some(s) = after_send.get_value() {
                local_step.set(Some(s.to_string()));
            }
        }
    });
    let choose_step = move |s: &'static str| {
        if !dialog {
            return;
        }
        if s == "backup_code" {
            local_step.set(Some(s.to_string()));
        } else {
            after_send.set_value(Some(s));
        }
    };
    move || {
        let hidden = hidden.clone();
        view_res.get().map(move |v| match v {
            Err(e) => view! { <p class="alert" role="alert">{e.sentence()}</p> }.into_any(),
            Ok(v) => {
                let backup_url = backup_href(
                    &location.pathname.get(),
                    location.search.get().trim_start_matches('?'),
                );
                steps(
                    v,
                    step.get(),
                    hidden,
                    password,
                    send,
                    code,
                    dialog,
                    choose_step,
                    backup_url,
                )
            }
        })
    }
}

/// The hidden fields every step carries.
#[derive(Clone)]
struct Hidden {
    level: String,
    redirect_url: String,
    dialog: bool,
}

fn hidden_fields(h: &Hidden) -> impl IntoView {
    view! {
        <input type="hidden" name="level" value=h.level.clone()/>
        <input type="hidden" name="redirect_url" value=h.redirect_url.clone()/>
        {h.dialog.then(|| view! { <input type="hidden" name="dialog" value="true"/> })}
    }
}

#[allow(clippy::too_many_arguments)]
fn steps(
    v: ReverificationView,
    step: Option<String>,
    hidden: Hidden,
    password: FlowAction,
    send: FlowAction,
    code: FlowAction,
    dialog: bool,
    choose_step: impl Fn(&'static str) + Copy + Send + Sync + 'static,
    backup_url: String,
) -> AnyView {
    let code_form = |strategy: &'static str, label: &'static str, hint: String| {
        let h = hidden.clone();
        view! {
            <p>{hint}</p>
            <FlowForm action=code>
                <input type="hidden" name="strategy" value=strategy/>
                {hidden_fields(&h)}
                <Field label=label name="code" id=format!("reverify-{strategy}") autocomplete="one-time-code" required=true/>
                <FormAlert error=error_of(code)/>
                <button type="submit" class="primary">"Continue"</button>
            </FlowForm>
        }
    };
    let send_form = |channel: &'static str, label: &'static str, then: &'static str| {
        let h = hidden.clone();
        view! {
            <FlowForm action=send>
                <input type="hidden" name="channel" value=channel/>
                {hidden_fields(&h)}
                <button type="submit" on:click=move |_| choose_step(then)>{label}</button>
            </FlowForm>
        }
    };
    // The page always asks (whoever opens it means to verify), starting with the first factor;
    // the dialog asks only for what the action still lacks.
    let needed = if dialog {
        v.needed
    } else {
        v.needed.or(Some(NeededFactor::First))
    };
    match needed {
        None => view! { <p role="status">"You're verified."</p> }.into_any(),
        Some(NeededFactor::First) if v.has_password => {
            view! {
                <p>"Enter your password to continue."</p>
                <FlowForm action=password>
                    {hidden_fields(&hidden)}
                    <Field label="Password" name="password" id="reverify-password" kind="password" autocomplete="current-password" required=true/>
                    <FormAlert error=error_of(password)/>
                    <button type="submit" class="primary">"Continue"</button>
                </FlowForm>
            }
            .into_any()
        }
        Some(NeededFactor::First) => {
            if step.as_deref() == Some("email_code") {
                code_form("email_code", "Verification code", format!("Enter the code we sent to {}.", v.email)).into_any()
            } else {
                view! {
                    <p>{format!("We'll send a code to {}.", v.email)}</p>
                    <FormAlert error=error_of(send)/>
                    {send_form("email", "Email code", "email_code")}
                }
                .into_any()
            }
        }
        Some(NeededFactor::Second) => {
            let has = |m: &str| v.second_factors.iter().any(|f| f == m);
            let current = match step.as_deref() {
                Some("backup_code") if has("backup_code") => "backup_code",
                Some("sms_code") if has("sms") => "sms_code",
                _ if has("totp") => "totp",
                _ if has("sms") => "sms_send",
                _ => "backup_code",
            };
            let main = match current {
                "backup_code" => code_form("backup_code", "Backup code", "Enter one of your backup codes.".into()).into_any(),
                "sms_code" => code_form("sms", "Verification code", "Enter the code we sent to your phone.".into()).into_any(),
                "sms_send" => view! { <FormAlert error=error_of(send)/>{send_form("sms", "SMS code", "sms_code")}}.into_any(),
                _ => code_form("totp", "Verification code", "Enter the code from your authenticator app.".into()).into_any(),
            };
            let backup = (has("backup_code") && current != "backup_code").then(|| {
                if dialog {
                    view! { <button type="button" on:click=move |_| choose_step("backup_code")>"Backup code"</button> }.into_any()
                } else {
                    view! { <a class="button" href=backup_url.clone()>"Backup code"</a> }.into_any()
                }
            });
            let sms = (has("sms") && !matches!(current, "sms_code" | "sms_send"))
                .then(|| send_form("sms", "SMS code", "sms_code"));
            view! { {main} <div class="alternatives">{backup}{sms}</div> }.into_any()
        }
    }
}

/// The page's own URL with `step=backup_code` (keeping its `level` and `redirect_url`).
fn backup_href(path: &str, query: &str) -> String {
    let mut url = format!("{path}?step=backup_code");
    for name in ["level", "redirect_url"] {
        if let Some(v) = query_param(query, name) {
            url.push_str(&format!("&{name}={}", encode_component(&v)));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backup_code_link_keeps_the_level_and_the_way_back() {
        assert_eq!(
            backup_href(
                "/user/verify",
                "level=strict&step=x&redirect_url=%2Fuser%3Fa%3D1"
            ),
            "/user/verify?step=backup_code&level=strict&redirect_url=/user%3Fa%3D1"
        );
        assert_eq!(
            backup_href("/user/verify", ""),
            "/user/verify?step=backup_code"
        );
    }
}
