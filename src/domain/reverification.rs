//! Reverification (README, "Reverification"): how recently a session must have verified its factors
//! before a sensitive action. Pure arithmetic over the session's two timestamps; the clock is
//! passed in.

use serde::{Deserialize, Serialize};

/// Which factors a reverification asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorLevel {
    /// The first factor (password, or an email code for a user without one).
    FirstFactor,
    /// The second factor when the user has one, else the first.
    SecondFactor,
    /// The first factor, and the second too when the user has one.
    MultiFactor,
}

/// A reverification requirement: the factors of `level` verified within `after_minutes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reverification {
    pub after_minutes: i64,
    pub level: FactorLevel,
}

/// The factor a session has to verify next to meet a requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeededFactor {
    First,
    Second,
}

/// What the requirement is checked against: the session's verification times (unix seconds) and
/// whether its user has a second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    pub first_at: i64,
    pub second_at: Option<i64>,
    pub user_has_second_factor: bool,
}

impl Reverification {
    /// 10 minutes; the second factor too when the user has one.
    pub const STRICT: Self = Self::custom(10, FactorLevel::MultiFactor);
    /// 1 hour; one factor.
    pub const MODERATE: Self = Self::custom(60, FactorLevel::FirstFactor);
    /// 24 hours; one factor.
    pub const LAX: Self = Self::custom(1_440, FactorLevel::FirstFactor);

    pub const fn custom(after_minutes: i64, level: FactorLevel) -> Self {
        Self {
            after_minutes,
            level,
        }
    }

    /// The preset's name (`strict`, `moderate`, `lax`), or `custom`.
    pub fn name(&self) -> &'static str {
        match *self {
            Self::STRICT => "strict",
            Self::MODERATE => "moderate",
            Self::LAX => "lax",
            _ => "custom",
        }
    }

    /// A preset by name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "strict" => Some(Self::STRICT),
            "moderate" => Some(Self::MODERATE),
            "lax" => Some(Self::LAX),
            _ => None,
        }
    }

    /// The level as a URL or error parameter: a preset's name, or `<minutes>m-<level>` for a
    /// custom one (`30m-multi_factor`).
    pub fn to_param(&self) -> String {
        match self.name() {
            "custom" => {
                let level = match self.level {
                    FactorLevel::FirstFactor => "first_factor",
                    FactorLevel::SecondFactor => "second_factor",
                    FactorLevel::MultiFactor => "multi_factor",
                };
                format!("{}m-{level}", self.after_minutes)
            }
            preset => preset.to_string(),
        }
    }

    /// Reads [`Reverification::to_param`] back (a preset name or a custom level).
    pub fn from_param(param: &str) -> Option<Self> {
        if let Some(preset) = Self::parse(param) {
            return Some(preset);
        }
        let (minutes, level) = param.split_once("m-")?;
        let minutes: i64 = minutes.parse().ok().filter(|m| (0..=525_600).contains(m))?;
        let level = match level {
            "first_factor" => FactorLevel::FirstFactor,
            "second_factor" => FactorLevel::SecondFactor,
            "multi_factor" => FactorLevel::MultiFactor,
            _ => return None,
        };
        Some(Self::custom(minutes, level))
    }

    /// The first factor the session still has to verify at `now`, or `None` when it meets the
    /// requirement. A verification time in the future (skew between instances) counts as now.
    pub fn needed(&self, now: i64, v: &Verified) -> Option<NeededFactor> {
        let window = self.after_minutes.saturating_mul(60);
        let fresh = |at: i64| now.saturating_sub(at) <= window;
        let first_ok = fresh(v.first_at);
        let second_ok = v.second_at.is_some_and(fresh);
        match (self.level, v.user_has_second_factor) {
            (FactorLevel::FirstFactor, _) | (_, false) => {
                (!first_ok).then_some(NeededFactor::First)
            }
            (FactorLevel::SecondFactor, true) => (!second_ok).then_some(NeededFactor::Second),
            (FactorLevel::MultiFactor, true) => {
                if !first_ok {
                    Some(NeededFactor::First)
                } else if !second_ok {
                    Some(NeededFactor::Second)
                } else {
                    None
                }
            }
        }
    }

    /// The session meets the requirement at `now`.
    pub fn is_met(&self, now: i64, v: &Verified) -> bool {
        self.needed(now, v).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    fn v(first_ago: i64, second_ago: Option<i64>, has: bool) -> Verified {
        Verified {
            first_at: NOW - first_ago,
            second_at: second_ago.map(|a| NOW - a),
            user_has_second_factor: has,
        }
    }

    #[test]
    fn strict_asks_for_both_factors_within_ten_minutes_when_the_user_has_two() {
        let s = Reverification::STRICT;
        assert!(s.is_met(NOW, &v(600, Some(600), true)));
        assert_eq!(
            s.needed(NOW, &v(601, Some(10), true)),
            Some(NeededFactor::First)
        );
        assert_eq!(
            s.needed(NOW, &v(10, Some(601), true)),
            Some(NeededFactor::Second)
        );
        assert_eq!(
            s.needed(NOW, &v(10, None, true)),
            Some(NeededFactor::Second)
        );
        // Without a second factor, the first one is enough.
        assert!(s.is_met(NOW, &v(599, None, false)));
        assert_eq!(
            s.needed(NOW, &v(601, None, false)),
            Some(NeededFactor::First)
        );
    }

    #[test]
    fn moderate_and_lax_ask_for_the_first_factor_only() {
        assert!(Reverification::MODERATE.is_met(NOW, &v(3_600, None, true)));
        assert!(!Reverification::MODERATE.is_met(NOW, &v(3_601, Some(0), true)));
        assert!(Reverification::LAX.is_met(NOW, &v(86_400, None, true)));
        assert!(!Reverification::LAX.is_met(NOW, &v(86_401, None, false)));
    }

    #[test]
    fn second_factor_level_falls_back_to_the_first_without_one() {
        let r = Reverification::custom(5, FactorLevel::SecondFactor);
        assert!(r.is_met(NOW, &v(9_999, Some(300), true)));
        assert_eq!(
            r.needed(NOW, &v(0, Some(301), true)),
            Some(NeededFactor::Second)
        );
        assert_eq!(
            r.needed(NOW, &v(301, None, false)),
            Some(NeededFactor::First)
        );
    }

    #[test]
    fn a_future_timestamp_counts_as_fresh_and_presets_have_names() {
        assert!(Reverification::STRICT.is_met(NOW, &v(-30, Some(-30), true)));
        for name in ["strict", "moderate", "lax"] {
            assert_eq!(Reverification::parse(name).map(|r| r.name()), Some(name));
        }
        assert_eq!(
            Reverification::custom(3, FactorLevel::FirstFactor).name(),
            "custom"
        );
        assert_eq!(Reverification::parse("none"), None);
    }

    #[test]
    fn levels_travel_as_parameters() {
        for r in [
            Reverification::STRICT,
            Reverification::LAX,
            Reverification::custom(30, FactorLevel::MultiFactor),
            Reverification::custom(5, FactorLevel::SecondFactor),
        ] {
            assert_eq!(Reverification::from_param(&r.to_param()), Some(r));
        }
        assert_eq!(
            Reverification::custom(30, FactorLevel::FirstFactor).to_param(),
            "30m-first_factor"
        );
        for bad in [
            "",
            "custom",
            "30m-",
            "xm-first_factor",
            "-5m-first_factor",
            "30m-other",
        ] {
            assert_eq!(Reverification::from_param(bad), None, "{bad}");
        }
    }
}
