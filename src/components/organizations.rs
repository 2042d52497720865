//! `use_organization_list()` and `OrganizationSwitcher`
//! (README, "Organizations, the switcher and invitations").

use super::auth_provider::use_auth_context;
use super::forms::{error_of, flow_action, FlowForm, FormAlert};
use super::nav::use_nav;
use super::user_button::close_on_change;
use crate::api::{Activate, JoinInvitation};
use crate::domain::guard::{CREATE_ORGANIZATION_PATH, ORGANIZATION_PROFILE_PATH};
use crate::domain::redirect::query_param;
use crate::domain::snapshot::{InvitationView, OrganizationListPage, OrganizationView};
use leptos::prelude::*;

/// The query parameter that holds the page (from 1) of `use_organization_list()`, so "Next" and
/// "Previous" are plain links that work without JavaScript too.
pub const PAGE_PARAM: &str = "organizations_page";

/// What `use_organization_list()` gives: one page (10 at most) of the active account's
/// memberships and pending invitations, and links to the neighbouring pages.
#[derive(Clone, Copy)]
pub struct OrganizationList {
    pub page: Signal<OrganizationListPage>,
    /// The link to the next page, if there is one.
    pub next_href: Signal<Option<String>>,
    /// The link to the previous page, if there is one.
    pub previous_href: Signal<Option<String>>,
}

impl OrganizationList {
    pub fn memberships(&self) -> Vec<OrganizationView> {
        self.page.get().memberships
    }

    pub fn invitations(&self) -> Vec<InvitationView> {
        self.page.get().invitations
    }

    pub fn has_next_page(&self) -> bool {
        self.page.get().has_next_page()
    }

    pub fn has_previous_page(&self) -> bool {
        self.page.get().has_previous_page()
    }
}

/// The active account's memberships and pending invitations, 10 per page, the page taken from the
/// URL (`?organizations_page=N`). It pages what the client snapshot already holds (rendered on the
/// server, refreshed after every mutation), so it needs no request of its own; the server function
/// `organization_list(page)` answers the same pages for code outside the components.
pub fn use_organization_list() -> OrganizationList {
    let ctx = use_auth_context();
    let location = use_nav();
    let index = Memo::new(move |_| {
        query_param(location.search.get().trim_start_matches('?'), PAGE_PARAM)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
            - 1
    });
    let page = Signal::derive(move || {
        let session = ctx.snapshot().and_then(|s| s.active_session().cloned());
        match session {
            Some(s) => OrganizationListPage::of(index.get(), &s.memberships, &s.invitations),
            None => OrganizationListPage::default(),
        }
    });
    let href = move |n: u32| {
        let path = location.pathname.get();
        format!("{path}?{PAGE_PARAM}={n}")
    };
    OrganizationList {
        page,
        next_href: Signal::derive(move || {
            let p = page.get();
            p.has_next_page().then(|| href(p.page + 2))
        }),
        previous_href: Signal::derive(move || {
            let p = page.get();
            p.has_previous_page().then(|| href(p.page))
        }),
    }
}

/// The organization menu: the active organization, the other memberships as buttons named by the
/// organization, pending invitations ("Join <name>"), "Personal account" (while personal accounts
/// are allowed), "Manage organization" and "Create organization". A `<details>` disclosure, so it
/// opens without JavaScript.
#[component]
pub fn OrganizationSwitcher() -> impl IntoView {
    let ctx = use_auth_context();
    let switch = flow_action::<Activate>();
    let join = flow_action::<JoinInvitation>();
    let list = use_organization_list();
    let active = move || {
        ctx.snapshot()
            .and_then(|s| s.active_session().and_then(|a| a.organization.clone()))
    };
    let env = move || ctx.snapshot().map(|s| s.env).unwrap_or_default();
    let label = move || {
        active()
            .map(|o| o.name)
            .unwrap_or_else(|| "Personal account".into())
    };
    let details = NodeRef::<leptos::html::Details>::new();
    close_on_change(details);
    // A switch stays on the page it was made from.
    let location = use_nav();
    let here = move || location.pathname.get();
    let others = move || {
        let active_id = active().map(|o| o.id);
        list.memberships()
            .into_iter()
            .filter(|m| Some(&m.id) != active_id.as_ref())
            .map(|m| {
                view! {
                    <li>
                        <FlowForm action=switch>
                            <input type="hidden" name="organization" value=m.id.clone()/>
                            <input type="hidden" name="redirect_url" value=here/>
                            <button type="submit">{m.name.clone()}</button>
                        </FlowForm>
                    </li>
                }
            })
            .collect_view()
    };
    let invitations = move || {
        list.invitations()
            .into_iter()
            .map(|i| {
                view! {
                    <li>
                        <FlowForm action=join>
                            <input type="hidden" name="invitation_id" value=i.id.clone()/>
                            <input type="hidden" name="redirect_url" value=here/>
                            <button type="submit">{format!("Join {}", i.organization_name)}</button>
                        </FlowForm>
                    </li>
                }
            })
            .collect_view()
    };
    let personal = move || {
        (env().allow_personal_accounts && active().is_some()).then(|| {
            view! {
                <FlowForm action=switch>
                    <input type="hidden" name="personal" value="true"/>
                    <input type="hidden" name="redirect_url" value=here/>
                    <button type="submit">"Personal account"</button>
                </FlowForm>
            }
        })
    };
    let pages = move || {
        let (previous, next) = (list.previous_href.get(), list.next_href.get());
        (previous.is_some() || next.is_some()).then(|| {
            view! {
                <nav class="pages" aria-label="Organization pages">
                    {previous.map(|href| view! { <a href=href>"Previous"</a> })}
                    {next.map(|href| view! { <a href=href>"Next"</a> })}
                </nav>
            }
        })
    };
    // The organization's name stands beside the opener, not inside it: the opener's accessible
    // name is exactly "Open organization menu", and a control whose visible text were the
    // organization's name would have to carry that text in its name too (WCAG 2.5.3).
    view! {
        <div class="menu-wrap">
            <span class="org-name">{label}</span>
            <details class="menu org-switcher" node_ref=details>
                <summary aria-label="Open organization menu" title="Open organization menu">
                    <span class="chevron" aria-hidden="true">"▾"</span>
                </summary>
                <div class="menu-body">
                    <p class="menu-email">{label}</p>
                    {move || active().map(|_| view! { <a href=ORGANIZATION_PROFILE_PATH>"Manage organization"</a> })}
                    <ul class="accounts">{others}{invitations}</ul>
                    {pages}
                    {personal}
                    <FormAlert error=error_of(switch)/>
                    <FormAlert error=error_of(join)/>
                    {move || env().organization_creation_enabled.then(|| view! {
                        <a class="button" href=CREATE_ORGANIZATION_PATH>"Create organization"</a>
                    })}
                </div>
            </details>
        </div>
    }
}
