//! URL allow-listing for links and images that come from editors.

/// Returns the URL if it is safe to put in an `href`/`src`: `http(s):`, `mailto:` (links only),
/// or relative (`/path`, `#frag`, `?q`, `page`). Anything else — `javascript:`, `data:`,
/// `vbscript:`, protocol-relative `//host` — is refused. Leading/trailing white space is
/// trimmed, and control characters anywhere (browsers ignore tabs/newlines inside schemes,
/// e.g. `java\tscript:`) make the URL unsafe.
pub fn safe_link(url: &str) -> Option<&str> {
    check(url, true)
}

/// Like [`safe_link`] but for image sources: `mailto:` is not accepted.
pub fn safe_image(url: &str) -> Option<&str> {
    check(url, false)
}

fn check(url: &str, allow_mailto: bool) -> Option<&str> {
    let url = url.trim();
    if url.is_empty() || url.chars().any(|c| c.is_control()) || url.contains('\\') {
        return None;
    }
    if url.starts_with("//") {
        return None;
    }
    // A scheme is everything before the first ':' if that comes before any '/', '?' or '#'.
    let scheme_end = url.find(':');
    let path_start = url.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (Some(colon), Some(slash)) if slash < colon => Some(url),
        (Some(colon), _) => {
            let scheme = url[..colon].to_ascii_lowercase();
            let ok = match scheme.as_str() {
                "http" | "https" => url[colon + 1..].starts_with("//"),
                "mailto" => allow_mailto,
                _ => false,
            };
            ok.then_some(url)
        }
        (None, _) => Some(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_http_relative_and_mailto() {
        for ok in [
            "https://example.com/x",
            "HTTP://example.com",
            "/products/mug",
            "#top",
            "?q=1",
            "about",
            "/a:b",
            "mailto:hi@example.com",
        ] {
            assert_eq!(safe_link(ok), Some(ok), "{ok}");
        }
    }

    #[test]
    fn refuses_scripts_and_tricks() {
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "//evil.example/x",
            "https:evil",
            "/\\evil",
            "",
        ] {
            assert_eq!(safe_link(bad), None, "{bad:?}");
        }
        assert_eq!(safe_image("mailto:a@b.c"), None);
    }
}
