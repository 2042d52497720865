//! `/user`: the hosted account portal — profile, password, second factors and backup codes,
//! signed-in devices.

use crate::api::{
    get_account, AccountBackupCodes, AccountDelete, AccountDeviceSignOut, AccountFactorRemove,
    AccountPassword, AccountSignOutOthers, AccountSmsConfirm, AccountSmsStart, AccountTotpConfirm,
    AccountTotpStart,
};
use crate::components::forms::{error_of, flow_action, Field, FlowForm, FormAlert};
use crate::components::FlowAction;
use crate::components::{use_reverification, ReverificationDialog, UserButton};
use crate::domain::errors::FlowError;
use crate::domain::snapshot::AccountView;
use leptos::prelude::*;

#[component]
pub fn AccountPage() -> impl IntoView {
    let password = flow_action::<AccountPassword>();
    let device = flow_action::<AccountDeviceSignOut>();
    let others = flow_action::<AccountSignOutOthers>();
    let factors = FactorActions {
        codes: flow_action::<AccountBackupCodes>(),
        totp_start: flow_action::<AccountTotpStart>(),
        totp_confirm: flow_action::<AccountTotpConfirm>(),
        sms_start: flow_action::<AccountSmsStart>(),
        sms_confirm: flow_action::<AccountSmsConfirm>(),
        remove: flow_action::<AccountFactorRemove>(),
    };
    let delete = flow_action::<AccountDelete>();
    // Security changes need a recent verification (README, "Reverification"): the dialog asks, then
    // retries.
    use_reverification(password);
    use_reverification(device);
    use_reverification(others);
    use_reverification(factors.codes);
    use_reverification(factors.totp_start);
    use_reverification(factors.sms_start);
    use_reverification(factors.remove);
    use_reverification(delete);
    // Reloaded after every change the page makes.
    let changes = move || {
        (
            password.version().get(),
            device.version().get(),
            others.version().get(),
            factors.codes.version().get(),
            factors.totp_start.version().get(),
            factors.totp_confirm.version().get(),
            factors.sms_start.version().get(),
            factors.sms_confirm.version().get(),
            factors.remove.version().get(),
        )
    };
    let account = AccountData::new(changes);
    let ctx = crate::components::use_auth_context();
    view! {
        <header class="app-header">
            <a href=move || ctx.urls().after_sign_in_url>"Home"</a>
            <UserButton/>
        </header>
        <h1>"Account"</h1>
        <FactorChanged action=others/>
        {move || account.get().map(|a| view! {
            <Profile account=a.clone()/>
            <PasswordSection action=password/>
            <FactorsSection account=a.clone() actions=factors/>
            <DevicesSection account=a action=device/>
            <DeleteSection action=delete/>
        })}
        <ReverificationDialog/>
    }
}

/// The account a hosted island was handed by the server (see `pages::hosted::PortalIsland`).
#[derive(Clone)]
pub(crate) struct InitialAccount(pub AccountView);

/// The account the page shows: loaded by a resource, or — in a hosted island — the server's,
/// then loaded again after each change (`changes`) the page makes.
#[derive(Clone, Copy)]
enum AccountData {
    Loaded(Resource<Result<AccountView, FlowError>>),
    Handed(RwSignal<Option<AccountView>>),
}

impl AccountData {
    fn new<K>(changes: impl Fn() -> K + Send + Sync + 'static) -> Self
    where
        K: PartialEq + Clone + Send + Sync + 'static,
    {
        let Some(InitialAccount(first)) = use_context::<InitialAccount>() else {
            return Self::Loaded(Resource::new(changes, |_| get_account()));
        };
        let data = RwSignal::new(Some(first));
        // The number of the latest reload: an earlier one that answers later is dropped, as a
        // resource drops it.
        let latest = StoredValue::new(0u64);
        Effect::new(move |seen: Option<()>| {
            changes();
            if seen.is_some() {
                // After the change's answer was applied (the same turn's effects): not when it
                // sent the browser to another page, the one to show what changed.
                set_timeout(
                    move || {
                        if crate::components::nav::leaving() {
                            return;
                        }
                        let n = latest.get_value() + 1;
                        latest.set_value(n);
                        leptos::task::spawn_local(async move {
                            if let Ok(account) = get_account().await {
                                if latest.get_value() == n {
                                    data.set(Some(account));
                                }
                            }
                        });
                    },
                    std::time::Duration::ZERO,
                );
            }
        });
        Self::Handed(data)
    }

    fn get(self) -> Option<AccountView> {
        match self {
            Self::Loaded(resource) => resource.get().and_then(Result::ok),
            Self::Handed(data) => data.get(),
        }
    }
}

/// After a factor was added or removed (`?factor_changed=1`): the offer to end every other
/// session (ASVS 7.4.3).
#[component]
fn FactorChanged(action: FlowAction) -> impl IntoView {
    let location = crate::components::nav::use_nav();
    let changed = move || {
        crate::domain::redirect::query_param(
            location.search.get().trim_start_matches('?'),
            "factor_changed",
        )
        .is_some()
    };
    move || {
        changed().then(|| {
            view! {
                <section class="notice" aria-labelledby="factor-changed-heading">
                    <h2 id="factor-changed-heading">"Two-step verification updated"</h2>
                    <p role="status">
                        "If someone else may be signed in to your account, sign out of all other devices."
                    </p>
                    <FlowForm action=action>
                        <FormAlert error=error_of(action)/>
                        <button type="submit">"Sign out of all other devices"</button>
                    </FlowForm>
                </section>
            }
        })
    }
}

#[component]
fn Profile(account: AccountView) -> impl IntoView {
    view! {
        <section aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <dl class="facts"><dt>"Email"</dt><dd>{account.email}</dd></dl>
        </section>
    }
}

#[component]
fn PasswordSection(action: FlowAction) -> impl IntoView {
    let done = move || {
        matches!(action.value().get(), Some(Ok(_)))
            .then(|| view! { <p role="status">"Your password was changed."</p> })
    };
    view! {
        <section aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <FlowForm action=action>
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" required=true/>
                <Field label="New password" name="password" kind="password" autocomplete="new-password" required=true/>
                <Field label="Confirm password" name="confirm_password" kind="password" autocomplete="new-password" required=true/>
                <div class="check">
                    <input id="portal-sign-out-others" type="checkbox" name="sign_out_others" value="true" checked=true/>
                    <label for="portal-sign-out-others">"Sign out of all other devices"</label>
                </div>
                <FormAlert error=error_of(action)/>
                {done}
                <button type="submit" class="primary">"Update password"</button>
            </FlowForm>
        </section>
    }
}

/// The password field that re-verifies a security change (optional within 10 minutes of signing
/// in).
#[component]
fn Reverify(id: &'static str) -> impl IntoView {
    view! {
        <Field label="Password" name="current_password" id=id kind="password" autocomplete="current-password"/>
    }
}

#[component]
fn FactorsSection(account: AccountView, actions: FactorActions) -> impl IntoView {
    let has_factor = account.authenticator_app || account.sms_phone.is_some();
    let FactorActions {
        codes,
        totp_start,
        totp_confirm,
        sms_start,
        sms_confirm,
        remove,
    } = actions;
    let totp = if account.authenticator_app {
        view! {
            <div role="group" aria-label="Remove authenticator app">
                <FlowForm action=remove>
                    <input type="hidden" name="factor" value="totp"/>
                    <Reverify id="reverify-remove-totp"/>
                    <FormAlert error=error_of(remove)/>
                    <button type="submit">"Remove authenticator app"</button>
                </FlowForm>
            </div>
        }
        .into_any()
    } else if let Some((secret, qr)) = account.totp_setup.clone() {
        view! {
            <div role="group" aria-label="Add authenticator app">
                <img class="qr" src=format!("data:image/png;base64,{qr}") alt="QR code" width="200" height="200"/>
                <p><span id="portal-secret-label">"Secret key"</span>": "
                    <code class="secret" aria-labelledby="portal-secret-label">{secret}</code></p>
                <FlowForm action=totp_confirm>
                    <Field label="Verification code" name="code" id="portal-totp-code" autocomplete="one-time-code" required=true/>
                    <FormAlert error=error_of(totp_confirm)/>
                    <button type="submit" class="primary">"Continue"</button>
                </FlowForm>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div role="group" aria-label="Add authenticator app">
                <FlowForm action=totp_start>
                    <Reverify id="reverify-add-totp"/>
                    <FormAlert error=error_of(totp_start)/>
                    <button type="submit">"Add authenticator app"</button>
                </FlowForm>
            </div>
        }
        .into_any()
    };
    let sms = if account.sms_phone.is_some() {
        view! {
            <div role="group" aria-label="Remove phone">
                <FlowForm action=remove>
                    <input type="hidden" name="factor" value="sms"/>
                    <Reverify id="reverify-remove-sms"/>
                    <button type="submit">"Remove phone"</button>
                </FlowForm>
            </div>
        }
        .into_any()
    } else if let Some(phone) = account.pending_phone.clone() {
        view! {
            <div role="group" aria-label="Verify phone">
                <p>"We sent a code to " <strong>{phone}</strong> "."</p>
                <FlowForm action=sms_confirm>
                    <Field label="Verification code" name="code" id="portal-sms-code" autocomplete="one-time-code" required=true/>
                    <FormAlert error=error_of(sms_confirm)/>
                    <button type="submit" class="primary">"Continue"</button>
                </FlowForm>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div role="group" aria-label="Add phone">
                <FlowForm action=sms_start>
                    <Field label="Phone number" name="phone" kind="tel" autocomplete="tel" required=true/>
                    <Reverify id="reverify-add-sms"/>
                    <FormAlert error=error_of(sms_start)/>
                    <button type="submit">"Add phone"</button>
                </FlowForm>
            </div>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="factors-heading">
            <h2 id="factors-heading">"Two-step verification"</h2>
            <dl class="facts">
                <dt>"Authenticator app"</dt>
                <dd>{if account.authenticator_app { "On" } else { "Off" }}</dd>
                <dt>"SMS code"</dt>
                <dd>{account.sms_phone.clone().unwrap_or_else(|| "Off".into())}</dd>
                <dt>"Backup codes left"</dt>
                <dd>{account.backup_codes_left}</dd>
            </dl>
            {totp}
            {sms}
            {account.new_backup_codes.map(|codes| view! {
                <p>"Your new backup codes. They will not be shown again; the old ones no longer work."</p>
                <ul class="backup-codes" aria-label="Backup codes">
                    {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ul>
            })}
            {has_factor.then(|| view! {
                <div role="group" aria-label="Regenerate backup codes">
                    <FlowForm action=codes>
                        <Reverify id="reverify-backup-codes"/>
                        <FormAlert error=error_of(codes)/>
                        <button type="submit">"Regenerate backup codes"</button>
                    </FlowForm>
                </div>
            })}
        </section>
    }
}

/// The portal's second-factor actions.
#[derive(Clone, Copy)]
struct FactorActions {
    codes: FlowAction,
    totp_start: FlowAction,
    totp_confirm: FlowAction,
    sms_start: FlowAction,
    sms_confirm: FlowAction,
    remove: FlowAction,
}

#[component]
fn DevicesSection(account: AccountView, action: FlowAction) -> impl IntoView {
    let reverify = account.reverification_needed;
    view! {
        <section aria-labelledby="devices-heading">
            <h2 id="devices-heading">"Signed-in devices"</h2>
            <FormAlert error=error_of(action)/>
            <ul class="devices" aria-labelledby="devices-heading">
                {account.devices.into_iter().map(|d| view! {
                    <li>
                        <p>
                            <strong>{d.user_agent}</strong>
                            {d.this_device.then(|| view! { " " <span class="badge">"This device"</span> })}
                        </p>
                        <p class="hint">{d.ip} " · last active " {d.last_active_at}</p>
                        <FlowForm action=action>
                            <input type="hidden" name="session_id" value=d.session_id.clone()/>
                            {(reverify && !d.this_device).then(|| view! {
                                <Field label="Password" name="current_password" id=format!("reverify-device-{}", d.session_id)
                                    kind="password" autocomplete="current-password"/>
                            })}
                            <button type="submit">"Sign out"</button>
                        </FlowForm>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// "Delete account" (README, "Reverification"): after a recent verification, the account and
/// everything of it.
#[component]
fn DeleteSection(action: FlowAction) -> impl IntoView {
    // The account the page shows: another one made active meanwhile is never deleted by it.
    let auth = crate::components::use_auth();
    let user_id = move || auth.get().user_id.unwrap_or_default();
    view! {
        <section aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <p>"Your account, its sign-in methods and memberships are deleted for good."</p>
            <FlowForm action=action>
                <input type="hidden" name="user_id" value=user_id/>
                <FormAlert error=error_of(action)/>
                <button type="submit" class="danger">"Delete account"</button>
            </FlowForm>
        </section>
    }
}
