//! `/user/verify` (README, "Reverification"): where a plain form post that needs a recent
//! verification lands — "Verify your identity", what the session still has to verify, then back to
//! `redirect_url`.

use crate::components::nav::use_nav;
use crate::components::reverification::ReverificationPanel;
use crate::domain::redirect::query_param;
use crate::domain::reverification::Reverification;
use leptos::prelude::*;

#[component]
pub fn VerifyPage() -> impl IntoView {
    let location = use_nav();
    let level = query_param(
        location.search.get_untracked().trim_start_matches('?'),
        "level",
    )
    .and_then(|l| Reverification::from_param(&l))
    .unwrap_or(Reverification::STRICT)
    .to_param();
    view! {
        <h1>"Verify your identity"</h1>
        <ReverificationPanel level=level/>
    }
}
