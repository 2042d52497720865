//! Server side (feature `ssr`): settings, storage, services and HTTP plumbing.

pub mod api_v1;
pub mod auth;
pub mod breached;
pub mod client;
pub mod client_ip;
pub mod clock;
pub mod cookies;
pub mod delivery;
pub mod error;
pub mod flows;
pub mod http;
pub mod key_cache;
pub mod messages;
pub mod mfa;
pub mod password;
pub mod protect;
mod route_list;
pub mod secrets;
pub mod session_tokens;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
pub mod testing_api;
pub mod tokens;
pub mod upgrade;
pub mod views;

pub use startup::{BuildError, Vestibule, VestibuleBuilder};
