//! One rule for every credential change — a password set, a second factor enrolled or removed,
//! backup codes regenerated — wherever it is asked for: the account portal, a session task, the
//! forgot-password flow or an operator. Pure: the caller passes what the session (or the
//! attempt) has proven and when.
//!
//! The rule is the strict reverification: the first factor within ten minutes, and the second
//! too when the user has one. A session task is no exception: a stale session (or a stolen one)
//! that owes `reset-password` or `setup-mfa` proves itself again like the portal asks, and for a
//! new password it proves the first factor with an emailed code, since the password it replaces
//! is the one under suspicion. Forgot-password proves the same by its own steps (an emailed code,
//! then the second factor); an operator (the Backend API) is trusted and proves nothing.

use super::reverification::{NeededFactor, Reverification, Verified};
use serde::{Deserialize, Serialize};

/// Who asks for a credential change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The signed-in user in the account portal (or the kit's components).
    Portal,
    /// A pending session doing its `reset-password` task.
    ResetPasswordTask,
    /// A pending session doing its `setup-mfa` task.
    SetupMfaTask,
    /// Forgot-password: a sign-in attempt that proved an emailed code (and the second factor).
    ForgotPassword,
    /// The Backend API.
    Operator,
}

/// How the first factor is proven again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstProof {
    /// The current password.
    Password,
    /// A code sent to the user's verified email address.
    EmailCode,
}

/// What must still be proven before the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proof {
    pub factor: NeededFactor,
    /// How, when `factor` is the first one.
    pub first_by: FirstProof,
}

/// The level every credential change asks for.
pub const LEVEL: Reverification = Reverification::STRICT;

/// How `channel` proves the first factor for a user who has (`has_password`) a password or not:
/// the password, except where it cannot serve — the user has none, or it is the password being
/// replaced by the `reset-password` task — or where the flow proves an email code itself.
pub fn first_proof(channel: Channel, has_password: bool) -> FirstProof {
    match channel {
        Channel::ResetPasswordTask | Channel::ForgotPassword => FirstProof::EmailCode,
        _ if has_password => FirstProof::Password,
        _ => FirstProof::EmailCode,
    }
}

/// What `channel` must still prove at `now`, given what was verified when (`v`), or `None` when
/// the change may go ahead.
pub fn required(channel: Channel, v: &Verified, has_password: bool, now: i64) -> Option<Proof> {
    if channel == Channel::Operator {
        return None;
    }
    LEVEL.needed(now, v).map(|factor| Proof {
        factor,
        first_by: first_proof(channel, has_password),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Channel::*;

    const NOW: i64 = 10_000_000;
    const FRESH: i64 = 60;
    const STALE: i64 = 11 * 60;

    fn verified(first_ago: i64, second_ago: Option<i64>, has_second: bool) -> Verified {
        Verified {
            first_at: NOW - first_ago,
            second_at: second_ago.map(|a| NOW - a),
            user_has_second_factor: has_second,
        }
    }

    fn first(by: FirstProof) -> Option<Proof> {
        Some(Proof {
            factor: NeededFactor::First,
            first_by: by,
        })
    }

    fn second(by: FirstProof) -> Option<Proof> {
        Some(Proof {
            factor: NeededFactor::Second,
            first_by: by,
        })
    }

    /// Who asks, how long ago the first and second factors were verified, whether the user has
    /// a second factor, and what must still be proven.
    type Row = (Channel, i64, Option<i64>, bool, Option<Proof>);

    /// (who asks) × (how old the session's factors are) × (second factor) → what is proven.
    #[test]
    fn the_policy_table() {
        use FirstProof::{EmailCode, Password};
        #[rustfmt::skip]
        let table: &[Row] = &[
            // The portal: the strict level, by password.
            (Portal, FRESH, None, false, None),
            (Portal, STALE, None, false, first(Password)),
            (Portal, FRESH, Some(FRESH), true, None),
            (Portal, FRESH, Some(STALE), true, second(Password)),
            (Portal, STALE, Some(FRESH), true, first(Password)),
            (Portal, FRESH, None, true, second(Password)),
            // The reset-password task: the same level, the first factor by email code only.
            (ResetPasswordTask, FRESH, None, false, None),
            (ResetPasswordTask, STALE, None, false, first(EmailCode)),
            (ResetPasswordTask, FRESH, Some(FRESH), true, None),
            (ResetPasswordTask, STALE, Some(STALE), true, first(EmailCode)),
            (ResetPasswordTask, FRESH, Some(STALE), true, second(EmailCode)),
            // The setup-mfa task: as the portal.
            (SetupMfaTask, FRESH, None, false, None),
            (SetupMfaTask, STALE, None, false, first(Password)),
            (SetupMfaTask, FRESH, Some(STALE), true, second(Password)),
            // Forgot-password: its attempt proved the code (and the second factor) just now.
            (ForgotPassword, 0, None, false, None),
            (ForgotPassword, 0, Some(0), true, None),
            (ForgotPassword, 0, None, true, second(EmailCode)),
            (ForgotPassword, STALE, None, false, first(EmailCode)),
            // An operator proves nothing, however old anything is.
            (Operator, STALE, None, false, None),
            (Operator, STALE, Some(STALE), true, None),
        ];
        for &(channel, first_ago, second_ago, has_second, expected) in table {
            let v = verified(first_ago, second_ago, has_second);
            assert_eq!(
                required(channel, &v, true, NOW),
                expected,
                "{channel:?} first {first_ago}s ago, second {second_ago:?}, has second {has_second}"
            );
        }
    }

    #[test]
    fn a_user_without_a_password_proves_the_first_factor_by_email_code() {
        let stale = verified(STALE, None, false);
        for channel in [Portal, SetupMfaTask, ResetPasswordTask] {
            assert_eq!(
                required(channel, &stale, false, NOW),
                first(FirstProof::EmailCode),
                "{channel:?}"
            );
        }
    }
}
