//! Every (state, event) pair of the sign-in state machine.

use super::*;

fn known() -> Account {
    Account {
        identifier: "a@example.com".into(),
        user_id: Some("user_a".into()),
    }
}

fn unknown() -> Account {
    Account {
        identifier: "nobody@example.com".into(),
        user_id: None,
    }
}

fn pw() -> PendingPassword {
    PendingPassword {
        hash: "$argon2id$x".into(),
        sign_out_others: true,
    }
}

/// One state of every status (and every first-factor step), for the known address.
fn every_state() -> Vec<SignInState> {
    vec![
        SignInState::NeedsIdentifier {
            intent: Intent::AnotherMethod,
        },
        SignInState::NeedsIdentifier {
            intent: Intent::ResetPassword,
        },
        SignInState::NeedsFirstFactor {
            account: known(),
            step: FirstFactorStep::Choose {
                password_compromised: false,
            },
        },
        SignInState::NeedsFirstFactor {
            account: known(),
            step: FirstFactorStep::Choose {
                password_compromised: true,
            },
        },
        SignInState::NeedsFirstFactor {
            account: known(),
            step: FirstFactorStep::EmailCode {
                password_compromised: false,
            },
        },
        SignInState::NeedsFirstFactor {
            account: known(),
            step: FirstFactorStep::ResetCode,
        },
        SignInState::NeedsClientTrust { account: known() },
        SignInState::NeedsNewPassword { account: known() },
        SignInState::NeedsSecondFactor {
            account: known(),
            first_factor: FirstFactor::Password,
            new_password: None,
        },
        SignInState::NeedsSecondFactor {
            account: known(),
            first_factor: FirstFactor::ResetPasswordEmailCode,
            new_password: Some(pw()),
        },
    ]
}

type Event = (&'static str, fn(SignInState) -> Transition);

/// Every event, applied to a state.
fn events() -> Vec<Event> {
    vec![
        ("identify", |s| {
            s.identify(Account {
                identifier: "other@example.com".into(),
                user_id: Some("user_other".into()),
            })
        }),
        ("choose_email_code", SignInState::choose_email_code),
        ("code_verified", |s| {
            s.code_verified(FirstFactorFacts::default())
        }),
        ("new_password", |s| s.new_password(pw(), false)),
        (
            "second_factor_verified",
            SignInState::second_factor_verified,
        ),
    ]
}

/// The (status-step, event) pairs that are allowed; every other pair is `StepInvalid`.
fn allowed(state: &SignInState, event: &str) -> bool {
    use FirstFactorStep::*;
    matches!(
        (state, event),
        (SignInState::NeedsIdentifier { .. }, "identify")
            | (
                SignInState::NeedsFirstFactor {
                    step: Choose { .. } | EmailCode { .. },
                    ..
                },
                "choose_email_code"
            )
            | (
                SignInState::NeedsFirstFactor {
                    step: EmailCode { .. } | ResetCode,
                    ..
                } | SignInState::NeedsClientTrust { .. },
                "code_verified"
            )
            | (SignInState::NeedsNewPassword { .. }, "new_password")
            | (
                SignInState::NeedsSecondFactor { .. },
                "second_factor_verified"
            )
    )
}

#[test]
fn every_state_and_event_pair_is_allowed_or_refused_with_a_stable_error() {
    for state in every_state() {
        for (name, event) in events() {
            let before = state.clone();
            let result = event(state.clone());
            if allowed(&before, name) {
                assert!(result.is_ok(), "{name} from {before:?} must be allowed");
            } else {
                assert_eq!(
                    result,
                    Err(SignInError::StepInvalid),
                    "{name} from {before:?} must be refused"
                );
            }
        }
    }
}

#[test]
fn no_transition_changes_the_identifier() {
    for state in every_state() {
        let Some(before) = state.account().cloned() else {
            continue;
        };
        for (name, event) in events() {
            match event(state.clone()) {
                Ok(Step::Continue(next)) => assert_eq!(
                    next.account(),
                    Some(&before),
                    "{name} changed the address of {state:?}"
                ),
                Ok(Step::Complete(done)) => assert_eq!(
                    Some(done.user_id.as_str()),
                    before.user_id.as_deref(),
                    "{name} completed for another user"
                ),
                Err(_) => {}
            }
        }
    }
}

#[test]
fn the_identifier_is_set_once() {
    let s = SignInState::NeedsIdentifier {
        intent: Intent::ResetPassword,
    };
    let Ok(Step::Continue(next)) = s.identify(known()) else {
        panic!("identify from needs_identifier")
    };
    assert_eq!(next.code_purpose(), Some(CodePurpose::ResetPassword));
    assert_eq!(next.identify(unknown()), Err(SignInError::StepInvalid));
}

#[test]
fn password_decision_table() {
    for mfa in [false, true] {
        for trust in [false, true] {
            for client_known in [false, true] {
                for compromised in [false, true] {
                    let facts = FirstFactorFacts {
                        has_second_factor: mfa,
                        client_trust_enabled: trust,
                        client_known,
                    };
                    let step = after_password(known(), compromised, facts);
                    let status = match &step {
                        Step::Continue(s) => s.status(),
                        Step::Complete(_) => SignInStatus::Complete,
                    };
                    let expected = if compromised {
                        SignInStatus::NeedsFirstFactor
                    } else if mfa {
                        SignInStatus::NeedsSecondFactor
                    } else if trust && !client_known {
                        SignInStatus::NeedsClientTrust
                    } else {
                        SignInStatus::Complete
                    };
                    assert_eq!(status, expected, "{facts:?} compromised={compromised}");
                }
            }
        }
    }
}

#[test]
fn an_email_code_never_triggers_device_trust_but_mfa_applies() {
    let at_code = SignInState::NeedsFirstFactor {
        account: known(),
        step: FirstFactorStep::EmailCode {
            password_compromised: false,
        },
    };
    let trust = FirstFactorFacts {
        client_trust_enabled: true,
        ..Default::default()
    };
    assert!(matches!(
        at_code.clone().code_verified(trust),
        Ok(Step::Complete(_))
    ));
    let mfa = FirstFactorFacts {
        has_second_factor: true,
        ..trust
    };
    let Ok(Step::Continue(next)) = at_code.code_verified(mfa) else {
        panic!("mfa")
    };
    assert_eq!(next.status(), SignInStatus::NeedsSecondFactor);
}

#[test]
fn a_factor_enabled_while_waiting_for_the_device_code_still_applies() {
    let waiting = SignInState::NeedsClientTrust { account: known() };
    let mfa = FirstFactorFacts {
        has_second_factor: true,
        ..Default::default()
    };
    let Ok(Step::Continue(next)) = waiting.code_verified(mfa) else {
        panic!("the second factor is still owed")
    };
    assert_eq!(next.status(), SignInStatus::NeedsSecondFactor);
}

#[test]
fn an_unknown_address_never_completes() {
    for step in [
        FirstFactorStep::EmailCode {
            password_compromised: false,
        },
        FirstFactorStep::ResetCode,
    ] {
        let s = SignInState::NeedsFirstFactor {
            account: unknown(),
            step,
        };
        assert_eq!(
            s.code_verified(FirstFactorFacts::default()),
            Err(SignInError::CodeIncorrect)
        );
    }
    let s = SignInState::NeedsNewPassword { account: unknown() };
    assert_eq!(s.new_password(pw(), false), Err(SignInError::StepInvalid));
}

#[test]
fn a_reset_applies_the_password_only_after_the_second_factor() {
    let s = SignInState::NeedsNewPassword { account: known() };
    let Ok(Step::Continue(at_second)) = s.clone().new_password(pw(), true) else {
        panic!("mfa user waits for the second factor")
    };
    assert_eq!(at_second.status(), SignInStatus::NeedsSecondFactor);
    let Ok(Step::Complete(done)) = at_second.second_factor_verified() else {
        panic!("second factor completes")
    };
    assert_eq!(done.new_password, Some(pw()));
    assert!(done.second_factor);
    let Ok(Step::Complete(done)) = s.new_password(pw(), false) else {
        panic!("no mfa completes at once")
    };
    assert_eq!(done.first_factor, FirstFactor::ResetPasswordEmailCode);
}

#[test]
fn states_round_trip_through_json() {
    for state in every_state() {
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<SignInState>(&json).unwrap(), state);
        assert!(json.contains(state.status().as_str()), "{json}");
    }
}
