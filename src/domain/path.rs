//! The path a request names, read the way the page router reads it. Route protection must decide
//! on the same path that will render: the router resolves dot segments (`%2e` included, as URL
//! parsing does), so a raw `/./dashboard` or `/api/../dashboard` would slip past a check on the
//! raw path and still render `/dashboard`.

/// A path whose meaning depends on who reads it: an encoded slash or backslash (`%2f`, `%5c`),
/// a raw backslash (some parsers take it for a slash), or no leading slash at all. It is refused
/// rather than guessed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmbiguousPath;

/// The normal form of the request path `raw`: `.` and `..` segments resolved (`%2e` counts as
/// `.`, and `..` never climbs above the root), repeated slashes collapsed, and no trailing slash
/// except on `/` itself. Other percent-escapes stay as they are: the router matches them
/// undecoded. A path equal to its normal form renders exactly as it reads.
pub fn normalize_path(raw: &str) -> Result<String, AmbiguousPath> {
    let lower = raw.to_ascii_lowercase();
    if !raw.starts_with('/') || raw.contains('\\') || lower.contains("%2f") || lower.contains("%5c")
    {
        return Err(AmbiguousPath);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw.split('/').filter(|s| !s.is_empty()) {
        match dots(segment) {
            Some(1) => {}
            Some(2) => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    Ok(format!("/{}", segments.join("/")))
}

/// How many dots a dot segment (`.`, `..`, with any of them written `%2e` or `%2E`) stands for;
/// `None` for any other segment.
fn dots(segment: &str) -> Option<usize> {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    match decoded.as_str() {
        "." => Some(1),
        ".." => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(raw: &str) -> String {
        normalize_path(raw).unwrap_or_else(|_| panic!("{raw} is refused"))
    }

    #[test]
    fn normal_paths_stay_as_they_are() {
        for path in [
            "/",
            "/dashboard",
            "/sign-in/factor-one",
            "/api/sign_in/start",
            "/pkg/vestibule.css",
            "/dash%62oard",
            "/file.name",
            "/...",
            "/a%2e%2e%2eb",
            "/%2e%2e%2e",
        ] {
            assert_eq!(normal(path), path);
        }
    }

    #[test]
    fn dot_segments_are_resolved_never_above_the_root() {
        assert_eq!(normal("/./dashboard"), "/dashboard");
        assert_eq!(normal("/a/../dashboard"), "/dashboard");
        assert_eq!(normal("/api/../dashboard"), "/dashboard");
        assert_eq!(normal("/../dashboard"), "/dashboard");
        assert_eq!(normal("/../../../dashboard"), "/dashboard");
        assert_eq!(normal("/a/b/../../c/./d"), "/c/d");
        assert_eq!(normal("/dashboard/."), "/dashboard");
        assert_eq!(normal("/dashboard/.."), "/");
        assert_eq!(normal("/."), "/");
        assert_eq!(normal("/.."), "/");
    }

    #[test]
    fn encoded_dots_count_as_dots_in_any_case() {
        assert_eq!(normal("/%2e/dashboard"), "/dashboard");
        assert_eq!(normal("/%2E/dashboard"), "/dashboard");
        assert_eq!(normal("/%2E%2E/dashboard"), "/dashboard");
        assert_eq!(normal("/a/%2e%2E/dashboard"), "/dashboard");
        assert_eq!(normal("/a/.%2e/dashboard"), "/dashboard");
        assert_eq!(normal("/a/%2e./dashboard"), "/dashboard");
        assert_eq!(normal("/api/%2e%2e/dashboard"), "/dashboard");
    }

    #[test]
    fn repeated_and_trailing_slashes_go() {
        assert_eq!(normal("//dashboard"), "/dashboard");
        assert_eq!(normal("///dashboard//tab"), "/dashboard/tab");
        assert_eq!(normal("/dashboard/"), "/dashboard");
        assert_eq!(normal("/sign-in/"), "/sign-in");
        assert_eq!(normal("/sign-in//"), "/sign-in");
        assert_eq!(normal("//"), "/");
    }

    #[test]
    fn encoded_slashes_and_backslashes_are_refused() {
        for path in [
            "/%2fdashboard",
            "/%2Fdashboard",
            "/api/..%2fdashboard",
            "/api/%2e%2e%2Fdashboard",
            "/%5cdashboard",
            "/x%5C..%5Cdashboard",
            "/\\dashboard",
            "/api\\..\\dashboard",
            "dashboard",
            "",
            "*",
        ] {
            assert_eq!(normalize_path(path), Err(AmbiguousPath), "{path}");
        }
    }
}
