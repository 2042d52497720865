//! Pure domain types and rules, free of axum, sqlx and leptos. Compiled for server and browser.

pub mod claims;
pub mod credentials;
pub mod email;
pub mod errors;
pub mod guard;
pub mod mfa;
pub mod organization;
pub mod password;
pub mod path;
pub mod phone;
pub mod redirect;
pub mod reverification;
pub mod session;
pub mod sign_in;
pub mod sign_up;
pub mod snapshot;
pub mod verification;
