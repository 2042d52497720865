//! `/user`: the hosted account portal — profile, password, second factors and backup codes,
//! signed-in devices.

use crate::api::{get_account, AccountBackupCodes, AccountDeviceSignOut, AccountPassword};
use crate::components::forms::{error_of, flow_action, Field, FormAlert};
use crate::components::UserButton;
use crate::domain::snapshot::AccountView;
use leptos::prelude::*;

#[component]
pub fn AccountPage() -> impl IntoView {
    let password = flow_action::<AccountPassword>();
    let codes = flow_action::<AccountBackupCodes>();
    let device = flow_action::<AccountDeviceSignOut>();
    let account = Resource::new(
        move || {
            (
                password.version().get(),
                codes.version().get(),
                device.version().get(),
            )
        },
        |_| get_account(),
    );
    view! {
        <header class="app-header">
            <a href="/dashboard">"Dashboard"</a>
            <UserButton/>
        </header>
        <h1>"Account"</h1>
        {move || account.get().and_then(Result::ok).map(|a| view! {
            <Profile account=a.clone()/>
            <PasswordSection action=password/>
            <FactorsSection account=a.clone() action=codes/>
            <DevicesSection account=a action=device/>
        })}
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
fn PasswordSection(action: ServerAction<AccountPassword>) -> impl IntoView {
    let done = move || {
        matches!(action.value().get(), Some(Ok(_)))
            .then(|| view! { <p role="status">"Your password was changed."</p> })
    };
    view! {
        <section aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <ActionForm action=action>
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
            </ActionForm>
        </section>
    }
}

#[component]
fn FactorsSection(account: AccountView, action: ServerAction<AccountBackupCodes>) -> impl IntoView {
    let has_factor = account.authenticator_app || account.sms_phone.is_some();
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
            {account.new_backup_codes.map(|codes| view! {
                <p>"Your new backup codes. They will not be shown again; the old ones no longer work."</p>
                <ul class="backup-codes" aria-label="Backup codes">
                    {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ul>
            })}
            {has_factor.then(|| view! {
                <ActionForm action=action>
                    <Field label="Password" name="current_password" id="field-reverify-password" kind="password" autocomplete="current-password" required=true/>
                    <FormAlert error=error_of(action)/>
                    <button type="submit">"Regenerate backup codes"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn DevicesSection(
    account: AccountView,
    action: ServerAction<AccountDeviceSignOut>,
) -> impl IntoView {
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
                        <ActionForm action=action>
                            <input type="hidden" name="session_id" value=d.session_id/>
                            <button type="submit">"Sign out"</button>
                        </ActionForm>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
