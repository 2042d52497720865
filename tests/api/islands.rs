//! Islands mode (README, "Architecture"): the demo serves its hosted flow pages with the flow as an
//! island and loads only the islands bundle there, the task pages only the tasks bundle, the portal
//! pages only the portal bundle, every other page the app's whole-page bundle.

use crate::helpers::*;

/// The page at `path` for `c`, with the names of the `/pkg/*.js` files it loads.
async fn scripts_of(app: &TestApp, c: &Client, path: &str) -> (String, Vec<String>) {
    let res = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let html = res.text().await.unwrap();
    let mut scripts: Vec<String> = html
        .split("/pkg/")
        .skip(1)
        .filter_map(|rest| rest.split_once(".js").map(|(name, _)| name.to_string()))
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    scripts.sort();
    scripts.dedup();
    // The island loader names its bundle in a call: `("", "pkg", "<name>", "<name>", false)`.
    for name in [
        "vestibule_islands",
        "vestibule_tasks",
        "vestibule_portal",
        "vestibule",
    ] {
        if html.contains(&format!("\"pkg\", \"{name}\"")) && !scripts.iter().any(|s| s == name) {
            scripts.push(name.to_string());
        }
    }
    (html, scripts)
}

#[tokio::test]
async fn each_page_loads_only_its_own_bundle() {
    let app = spawn_app(ORGS_REQUIRED).await;
    let c = browser();
    for path in ["/sign-in", "/sign-in/factor-one", "/sign-up"] {
        let (html, scripts) = scripts_of(&app, &c, path).await;
        assert_eq!(scripts, ["vestibule_islands"], "{path}");
        assert!(
            html.contains("<leptos-island"),
            "{path}: the flow is an island"
        );
        assert!(html.contains("class=\"hosted-island\""), "{path}");
    }
    let (html, scripts) = scripts_of(&app, &c, "/").await;
    assert_eq!(scripts, ["vestibule"], "a page that hydrates whole");
    assert!(!html.contains("<leptos-island"));

    // A new sign-in is pending on choose-organization: its task page is the tasks island.
    app.create_user("pending@example.com", PW).await;
    let c = app.signed_in("pending@example.com").await;
    let (html, scripts) = scripts_of(&app, &c, "/sign-in/tasks/choose-organization").await;
    assert_eq!(scripts, ["vestibule_tasks"]);
    assert!(
        html.contains("<leptos-island data-component=\"HostedTaskIsland_"),
        "{html}"
    );
    let (_, scripts) = scripts_of(&app, &c, "/").await;
    assert_eq!(scripts, ["vestibule"]);

    // An active member: each portal page is an island from the portal bundle; the demo's
    // dashboard still hydrates whole.
    let admin = app.create_user("admin@example.com", PW).await;
    let org = app.organization("Acme", &admin, &[]).await;
    let c = app.in_org("admin@example.com", &org).await;
    for path in [
        "/user",
        "/user/verify",
        "/organization",
        "/organization/new",
    ] {
        let (html, scripts) = scripts_of(&app, &c, path).await;
        assert_eq!(scripts, ["vestibule_portal"], "{path}");
        assert!(
            html.contains("<leptos-island data-component=\"HostedPortalIsland_"),
            "{path}: {html}"
        );
    }
    let (html, _) = scripts_of(&app, &c, "/organization").await;
    assert!(
        html.contains("Acme"),
        "the island renders the page's data on the server"
    );
    let (html, scripts) = scripts_of(&app, &c, "/dashboard").await;
    assert_eq!(scripts, ["vestibule"]);
    assert!(!html.contains("<leptos-island"));
}
