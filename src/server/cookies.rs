//! The `__client` cookie (README, "Security defaults"): built and removed by one function each,
//! HttpOnly, SameSite=Lax, Path=/, and over https `Secure` with the `__Host-` prefix.

use axum_extra::extract::cookie::{Cookie, SameSite};
use http::HeaderMap;

pub fn client_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-client"
    } else {
        "__client"
    }
}

/// The `Set-Cookie` value carrying a client token. The cookie outlives sign-out (the client is the
/// device that device trust remembers), so it lasts a year.
pub fn client_cookie(token: &str, https: bool) -> String {
    Cookie::build((client_cookie_name(https), token.to_string()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(https)
        .max_age(time::Duration::days(365))
        .build()
        .to_string()
}

/// Reads the client token from a request's `Cookie` headers.
pub fn client_token(headers: &HeaderMap, https: bool) -> Option<String> {
    let name = client_cookie_name(https);
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| Cookie::parse(pair.trim().to_string()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes() {
        let c = client_cookie("ab", false);
        assert!(c.starts_with("__client=ab"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"));
        assert!(!c.contains("Secure"));
        let s = client_cookie("ab", true);
        assert!(s.starts_with("__Host-client=ab") && s.contains("Secure"));
    }

    #[test]
    fn reads_only_well_formed_tokens() {
        let token = "a".repeat(64);
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            format!("x=1; __client={token}").parse().unwrap(),
        );
        assert_eq!(client_token(&h, false), Some(token));
        assert_eq!(client_token(&h, true), None);
        let mut bad = HeaderMap::new();
        bad.insert(http::header::COOKIE, "__client=../../etc".parse().unwrap());
        assert_eq!(client_token(&bad, false), None);
    }
}
