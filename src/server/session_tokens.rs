//! Session tokens for other services (README, "Session tokens for other services"): short-lived
//! ES256 JWTs of a live session, signed with a key every instance shares through the database and
//! replaces every `[tokens] rotate_every`; the JWKS publishes the current and the previous key.

use super::error::internal;
use super::key_cache::ActiveKey;
use super::state::AppState;
use super::store::{NewSigningKey, SessionDetail, SigningKey};
use super::tokens::new_id;
use super::views::session_view;
use crate::domain::claims::{factor_ages, OrganizationClaims, SessionClaims};
use crate::domain::errors::FlowError;
use crate::domain::snapshot::role_permissions;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use std::sync::Arc;

/// A fresh P-256 key pair: the private half as PKCS#8 (base64), the public point's coordinates.
fn generate() -> Result<NewSigningKey, FlowError> {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(internal)?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(internal)?;
    // The uncompressed point: 0x04 ‖ x ‖ y.
    let point = pair.public_key().as_ref();
    if point.len() != 65 {
        return Err(internal("unexpected public key length"));
    }
    Ok(NewSigningKey {
        kid: new_id("key"),
        private_key: STANDARD.encode(pkcs8.as_ref()),
        public_x: URL_SAFE_NO_PAD.encode(&point[1..33]),
        public_y: URL_SAFE_NO_PAD.encode(&point[33..65]),
    })
}

fn active(key: &SigningKey) -> Result<ActiveKey, FlowError> {
    let der = STANDARD.decode(&key.private_key).map_err(internal)?;
    Ok(ActiveKey {
        kid: key.kid.clone(),
        created_at: key.created_at,
        encoding: EncodingKey::from_ec_der(&der),
    })
}

fn rotate_every(state: &AppState) -> i64 {
    state
        .settings
        .tokens
        .rotate_every
        .secs()
        .unwrap_or(30 * 86_400)
}

/// The key to sign with: the newest one, after adding a new one when the newest is due for
/// rotation (or there is none yet).
pub async fn current_key(state: &AppState) -> Result<Arc<ActiveKey>, FlowError> {
    let now = state.now();
    let due_at = now - rotate_every(state);
    if let Some(key) = state.signing.get() {
        if key.created_at > due_at {
            return Ok(key);
        }
    }
    let newest = state.store.signing_keys(1).await?.into_iter().next();
    let key = match newest {
        Some(k) if k.created_at > due_at => k,
        _ => {
            // Whichever instance wins the rotation adds its key; the others read it.
            state
                .store
                .rotate_signing_key(&generate()?, now, due_at)
                .await?;
            state
                .store
                .signing_keys(1)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| internal("no signing key after rotation"))?
        }
    };
    let key = Arc::new(active(&key)?);
    state.signing.put(key.clone());
    Ok(key)
}

/// Replaces the signing key now (the Backend API's rotation). The replaced key stays published
/// as the previous one until the next rotation, so tokens it signed still verify — unless
/// `revoke_previous` (a suspected leak): then only the new key is published, and every token
/// signed before stops verifying once verifiers fetch the keys again.
///
/// The caller believes the old key is retired once this answers, so the outcome is read back
/// from the store rather than assumed: an error is better than a success that left a leaked key
/// current or published.
pub async fn rotate_now(state: &AppState, revoke_previous: bool) -> Result<String, FlowError> {
    let now = state.now();
    let key = generate()?;
    // Unconditional (due at any time): the schedule's guard, that the last rotation is due by
    // this instance's clock, would let an instance whose clock is behind the last rotator's
    // skip the rotation, and the revocation below would then spare the very key to retire.
    if !state.store.rotate_signing_key(&key, now, i64::MAX).await? {
        return Err(internal("the signing key was not rotated"));
    }
    state.signing.forget();
    let generation = state
        .store
        .signing_keys(ROTATION_READBACK)
        .await?
        .into_iter()
        .find(|k| k.kid == key.kid)
        .map(|k| k.generation)
        .ok_or_else(|| internal("the new signing key is not stored"))?;
    if revoke_previous {
        state.store.revoke_signing_keys_before(generation).await?;
    }
    let current = current_key(state).await?;
    check_rotation(
        &state.store.signing_keys(PUBLISHED).await?,
        generation,
        &current.kid,
        revoke_previous,
    )?;
    Ok(current.kid.clone())
}

/// How many keys the JWKS publishes: the current and the previous one.
const PUBLISHED: i64 = 2;

/// How far back a rotation looks for the key it just added (concurrent rotations may have
/// added newer ones since).
const ROTATION_READBACK: i64 = 16;

/// Whether a rotation that added the key of `generation` took effect, from the keys published
/// after it: that key, or a newer one, is the one this instance signs with, and when the
/// previous keys were revoked none of them is published any more.
fn check_rotation(
    published: &[SigningKey],
    generation: i64,
    signing_kid: &str,
    revoke_previous: bool,
) -> Result<(), FlowError> {
    if !published
        .iter()
        .any(|k| k.kid == signing_kid && k.generation >= generation)
    {
        return Err(internal("the new signing key is not the current one"));
    }
    if revoke_previous && published.iter().any(|k| k.generation < generation) {
        return Err(internal("a revoked signing key is still published"));
    }
    Ok(())
}

/// The JWKS: the current and the previous public key.
pub async fn jwks(state: &AppState) -> Result<Value, FlowError> {
    current_key(state).await?;
    let keys: Vec<Value> = state
        .store
        .signing_keys(PUBLISHED)
        .await?
        .iter()
        .map(|k| {
            json!({
                "kty": "EC",
                "crv": "P-256",
                "x": k.public_x,
                "y": k.public_y,
                "kid": k.kid,
                "alg": "ES256",
                "use": "sig",
            })
        })
        .collect();
    Ok(json!({ "keys": keys }))
}

/// Who asked for a token: the origin of the browser (`azp`) and the service it is for (`aud`).
#[derive(Clone, Debug, Default)]
pub struct Requested {
    pub azp: Option<String>,
    pub aud: Option<String>,
}

/// The audience a caller named, checked: well formed, and one of `[tokens] audiences` when the
/// instance lists them.
pub fn audience(state: &AppState, asked: Option<&str>) -> Result<Option<String>, FlowError> {
    let Some(aud) = asked.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let allowed = &state.settings.tokens.audiences;
    if !crate::domain::claims::valid_audience(aud)
        || (!allowed.is_empty() && !allowed.iter().any(|a| a == aud))
    {
        return Err(FlowError::with_detail(
            crate::domain::errors::ErrorCode::FormParamFormatInvalid,
            "audience",
        ));
    }
    Ok(Some(aud.to_string()))
}

/// The claims of a live session's token at `now`, for whoever `requested` it.
pub fn claims(
    state: &AppState,
    detail: &SessionDetail,
    requested: Requested,
    now: i64,
) -> SessionClaims {
    let view = session_view(detail);
    let lifetime = state.settings.tokens.lifetime.secs().unwrap_or(60);
    SessionClaims {
        iss: state.public_url(),
        sub: view.user.id.clone(),
        sid: view.id.clone(),
        iat: now,
        nbf: now,
        exp: now + lifetime,
        azp: requested.azp,
        aud: requested.aud,
        sts: view.status.as_str().to_string(),
        tsk: view.current_task().map(|t| t.as_str().to_string()),
        o: view.organization.as_ref().map(|o| OrganizationClaims {
            id: o.id.clone(),
            slg: o.slug.clone(),
            rol: o.role.clone(),
            per: role_permissions(&o.role)
                .iter()
                .map(|p| p.to_string())
                .collect(),
        }),
        fva: factor_ages(
            now,
            detail.session.first_factor_at,
            detail.session.second_factor_at,
        ),
    }
}

/// A signed token, and when it expires (unix seconds).
#[derive(Clone, Debug)]
pub struct Minted {
    pub jwt: String,
    pub expires_at: i64,
}

/// Signs a token for a live session (the caller has checked it is live: from the client's
/// sessions, or through `refresh_session`).
pub async fn mint(
    state: &AppState,
    detail: &SessionDetail,
    requested: Requested,
) -> Result<Minted, FlowError> {
    let key = current_key(state).await?;
    let claims = claims(state, detail, requested, state.now());
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    let jwt = jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(internal)?;
    Ok(Minted {
        jwt,
        expires_at: claims.exp,
    })
}

/// The origin of a browser request (`Origin`, else the scheme and host of `Referer`): the `azp`.
pub fn request_origin(headers: &http::HeaderMap) -> Option<String> {
    if let Some(o) = headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        return (o != "null").then(|| o.to_string());
    }
    let referer = headers.get(http::header::REFERER)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_what_its_published_half_verifies() {
        let key = generate().unwrap();
        let der = STANDARD.decode(&key.private_key).unwrap();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(key.kid.clone());
        let jwt = jsonwebtoken::encode(
            &header,
            &json!({"sub": "u", "exp": 4_000_000_000u64}),
            &EncodingKey::from_ec_der(&der),
        )
        .unwrap();
        let dec =
            jsonwebtoken::DecodingKey::from_ec_components(&key.public_x, &key.public_y).unwrap();
        let ok = jsonwebtoken::decode::<Value>(
            &jwt,
            &dec,
            &jsonwebtoken::Validation::new(Algorithm::ES256),
        );
        assert_eq!(ok.unwrap().claims["sub"], "u");
        let other = generate().unwrap();
        let wrong = jsonwebtoken::DecodingKey::from_ec_components(&other.public_x, &other.public_y)
            .unwrap();
        assert!(jsonwebtoken::decode::<Value>(
            &jwt,
            &wrong,
            &jsonwebtoken::Validation::new(Algorithm::ES256)
        )
        .is_err());
    }

    fn stored(generation: i64, kid: &str) -> SigningKey {
        SigningKey {
            generation,
            kid: kid.into(),
            private_key: String::new(),
            public_x: String::new(),
            public_y: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn a_signing_key_never_shows_its_private_half_in_debug() {
        let new = generate().unwrap();
        let key = SigningKey {
            private_key: new.private_key.clone(),
            ..stored(1, "key_1")
        };
        for shown in [format!("{key:?}"), format!("{new:?}")] {
            assert!(!shown.contains(&new.private_key), "{shown}");
            assert!(shown.contains("<redacted>"));
        }
    }

    #[test]
    fn a_rotation_that_left_the_old_key_current_or_published_is_an_error() {
        let rotated = [stored(8, "key_new"), stored(7, "key_old")];
        assert!(check_rotation(&rotated, 8, "key_new", false).is_ok());
        // Signing with a key even newer (a concurrent rotation) is fine too.
        assert!(check_rotation(
            &[stored(9, "key_newer"), stored(8, "key_new")],
            8,
            "key_newer",
            true
        )
        .is_ok());
        // Still signing with the replaced key.
        assert!(check_rotation(&rotated, 8, "key_old", false).is_err());
        // Asked to revoke, the replaced key still published.
        assert!(check_rotation(&rotated, 8, "key_new", true).is_err());
        assert!(check_rotation(&rotated[..1], 8, "key_new", true).is_ok());
        // The new key not published at all.
        assert!(check_rotation(&[stored(7, "key_old")], 8, "key_old", true).is_err());
    }

    #[test]
    fn the_origin_comes_from_origin_else_from_the_referer() {
        let mut h = http::HeaderMap::new();
        assert_eq!(request_origin(&h), None);
        h.insert(
            http::header::REFERER,
            "https://app.example:8443/user?x=1".parse().unwrap(),
        );
        assert_eq!(
            request_origin(&h).as_deref(),
            Some("https://app.example:8443")
        );
        h.insert(
            http::header::ORIGIN,
            "https://other.example".parse().unwrap(),
        );
        assert_eq!(request_origin(&h).as_deref(), Some("https://other.example"));
        h.insert(http::header::ORIGIN, "null".parse().unwrap());
        assert_eq!(request_origin(&h), None);
    }
}
