//! The store's traits, one per aggregate and one file each; `Store` (in the parent) is all of them.

mod attempts;
mod clients;
mod codes;
mod health;
mod lockouts;
mod maintenance;
mod mfa;
mod organizations;
mod outbox;
mod rate_limits;
mod sessions;
mod signing_keys;
mod tasks;
mod users;

pub use attempts::*;
pub use clients::*;
pub use codes::*;
pub use health::*;
pub use lockouts::*;
pub use maintenance::*;
pub use mfa::*;
pub use organizations::*;
pub use outbox::*;
pub use rate_limits::*;
pub use sessions::*;
pub use signing_keys::*;
pub use tasks::*;
pub use users::*;
