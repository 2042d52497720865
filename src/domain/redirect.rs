//! Only same-origin relative redirect targets are honoured (no open redirects).

/// Returns the target if it is a same-origin relative path (`/x?y#z`), else `None`.
///
/// Refused: absolute and scheme-relative URLs (`//evil`), backslashes (browsers read `/\evil` as
/// `//evil`), control characters and anything longer than 2048 bytes.
pub fn safe_redirect(target: &str) -> Option<String> {
    let ok = target.starts_with('/')
        && !target.starts_with("//")
        && target.len() <= 2048
        && !target.contains('\\')
        && !target.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then(|| target.to_string())
}

/// Appends `redirect_url=<target>` to `base`, percent-encoding the target.
pub fn with_redirect_url(base: &str, target: Option<&str>) -> String {
    match target.and_then(safe_redirect) {
        Some(t) => {
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}redirect_url={}", encode_component(&t))
        }
        None => base.to_string(),
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters pass).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes a percent-encoded query component (`+` is a space). Invalid escapes stay as they are.
pub fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one parameter from a query string (without the leading `?`).
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_component(k) == name).then(|| decode_component(v))
    })
}

/// The last value of `name` in `query` — a parameter appended again (a plain form post's error,
/// `__err`, after an earlier one) wins, as the router reads it.
pub fn last_query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').rev().find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_component(k) == name).then(|| decode_component(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_value_of_a_repeated_parameter_wins() {
        let q = "__path=%2Fapi%2Fa&__err=one&x=1&__path=%2Fapi%2Fb&__err=two";
        assert_eq!(last_query_param(q, "__err").as_deref(), Some("two"));
        assert_eq!(last_query_param(q, "__path").as_deref(), Some("/api/b"));
        assert_eq!(query_param(q, "__err").as_deref(), Some("one"));
        assert_eq!(last_query_param(q, "missing"), None);
    }

    #[test]
    fn honours_relative_paths_only() {
        assert_eq!(safe_redirect("/dashboard").as_deref(), Some("/dashboard"));
        assert_eq!(safe_redirect("/a?b=c#d").as_deref(), Some("/a?b=c#d"));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "dashboard",
            "",
            "/a\nb",
            "/ a",
        ] {
            assert_eq!(safe_redirect(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn builds_and_reads_redirect_params() {
        let url = with_redirect_url("/sign-in", Some("/dashboard?tab=1&x=2"));
        assert_eq!(url, "/sign-in?redirect_url=/dashboard%3Ftab%3D1%26x%3D2");
        let query = url.split_once('?').unwrap().1;
        assert_eq!(
            query_param(query, "redirect_url").as_deref(),
            Some("/dashboard?tab=1&x=2")
        );
        assert_eq!(
            with_redirect_url("/sign-in", Some("https://evil")),
            "/sign-in"
        );
        assert_eq!(
            with_redirect_url("/x?a=1", Some("/y")),
            "/x?a=1&redirect_url=/y"
        );
    }

    #[test]
    fn decoding_survives_bad_escapes() {
        assert_eq!(decode_component("%zz%4"), "%zz%4");
        assert_eq!(decode_component("a+b%20c"), "a b c");
    }
}
