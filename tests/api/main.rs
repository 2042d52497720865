//! Integration tests: the real server on a random port against a fresh database, one module per
//! flow (the zero2prod layout: `helpers` holds `spawn_app`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: failed setup should panic

mod backend_api;
mod credentials;
mod encryption;
mod helpers;
mod http;
mod instances;
mod islands;
mod organization_limits;
mod organizations;
mod portal;
mod required_tasks;
mod reverification;
mod second_factor;
mod security;
mod session_tokens;
mod sessions;
mod sign_in;
mod sign_up;
mod startup;
mod tasks;
mod token_audience;
mod upgrade;
