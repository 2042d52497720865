//! The claims of a session token (README, "Session tokens for other services"): what Vestibule
//! signs and what another service's verifier reads. Plain data, shared by the minting server and
//! `vestibule::verify`.

use serde::{Deserialize, Serialize};

/// The `o` claim: the session's active organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationClaims {
    /// Organization id.
    pub id: String,
    /// Slug.
    pub slg: String,
    /// The member's role key, e.g. `org:admin`.
    pub rol: String,
    /// The permissions the role grants.
    #[serde(default)]
    pub per: Vec<String>,
}

/// A session token's claims. `sts` is `active` or `pending`; `tsk` the current task of a pending
/// session; `fva` the minutes since the session last verified its first and its second factor
/// (`-1` when it never verified a second one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    pub iss: String,
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// The service the token is for, when the caller named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    pub sts: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<OrganizationClaims>,
    pub fva: [i64; 2],
}

impl SessionClaims {
    /// The session is active (it owes no task).
    pub fn is_active(&self) -> bool {
        self.sts == "active"
    }

    /// The user id, the subject.
    pub fn user_id(&self) -> &str {
        &self.sub
    }

    /// The active organization's role, if any.
    pub fn org_role(&self) -> Option<&str> {
        self.o.as_ref().map(|o| o.rol.as_str())
    }

    /// Whether the active organization's role grants `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.o
            .as_ref()
            .is_some_and(|o| o.per.iter().any(|p| p == permission))
    }
}

/// The most an `aud` may hold.
pub const MAX_AUDIENCE_LEN: usize = 200;

/// An audience a caller asked for: printable ASCII without spaces (a URL or an identifier), at
/// most `MAX_AUDIENCE_LEN` bytes.
pub fn valid_audience(audience: &str) -> bool {
    !audience.is_empty()
        && audience.len() <= MAX_AUDIENCE_LEN
        && audience.bytes().all(|b| b.is_ascii_graphic())
}

/// `fva`: whole minutes since each factor was verified at `now` (unix seconds); `-1` for a second
/// factor never verified. A timestamp in the future (clock skew between instances) counts as 0.
pub fn factor_ages(now: i64, first_at: i64, second_at: Option<i64>) -> [i64; 2] {
    let minutes = |at: i64| (now - at).max(0) / 60;
    [minutes(first_at), second_at.map_or(-1, minutes)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_ages_are_whole_minutes_and_minus_one_without_a_second_factor() {
        assert_eq!(factor_ages(1_000, 1_000, None), [0, -1]);
        assert_eq!(factor_ages(1_000, 1_000 - 119, Some(1_000 - 60)), [1, 1]);
        assert_eq!(factor_ages(1_000, 1_000 - 3_600, Some(1_000 - 59)), [60, 0]);
        assert_eq!(factor_ages(1_000, 1_010, Some(1_020)), [0, 0]);
    }

    #[test]
    fn audiences_are_printable_and_bounded() {
        assert!(valid_audience("https://api.example.com"));
        assert!(valid_audience("billing-service"));
        for bad in [
            "",
            "a b",
            "tab\there",
            "é",
            &"a".repeat(MAX_AUDIENCE_LEN + 1),
        ] {
            assert!(!valid_audience(bad), "{bad:?}");
        }
    }

    #[test]
    fn claims_round_trip_and_leave_out_what_is_absent() {
        let c = SessionClaims {
            iss: "https://auth.example".into(),
            sub: "user_1".into(),
            sid: "sess_1".into(),
            iat: 10,
            nbf: 10,
            exp: 70,
            azp: None,
            aud: None,
            sts: "active".into(),
            tsk: None,
            o: Some(OrganizationClaims {
                id: "org_1".into(),
                slg: "acme".into(),
                rol: "org:admin".into(),
                per: vec!["org:sys_profile:manage".into()],
            }),
            fva: [0, -1],
        };
        let json = serde_json::to_value(&c).unwrap();
        assert!(json.get("azp").is_none() && json.get("tsk").is_none());
        assert!(json.get("aud").is_none());
        assert_eq!(json["o"]["slg"], "acme");
        assert!(c.has_permission("org:sys_profile:manage") && !c.has_permission("x"));
        assert_eq!(serde_json::from_value::<SessionClaims>(json).unwrap(), c);
    }
}
