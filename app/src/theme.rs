//! Theme tokens: a shop's colours, fonts and corner radius. They reach the page as CSS
//! variables (`--vt-*`) that `style/main.css` maps onto Tailwind's theme.

use serde::{Deserialize, Serialize};

/// Colour token names, in the order the inspector shows them.
pub const COLOR_TOKENS: &[&str] = &[
    "primary",
    "accent",
    "background",
    "surface",
    "text",
    "muted",
];

/// Font stacks a theme may choose from (system fonts only: nothing is downloaded).
pub const FONT_STACKS: &[(&str, &str)] = &[
    (
        "sans",
        "ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
    ),
    (
        "serif",
        "ui-serif, Georgia, Cambria, 'Times New Roman', Times, serif",
    ),
    (
        "rounded",
        "ui-rounded, 'SF Pro Rounded', 'Hiragino Maru Gothic ProN', Quicksand, Nunito, ui-sans-serif, sans-serif",
    ),
    (
        "mono",
        "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
    ),
    (
        "humanist",
        "Seravek, 'Gill Sans Nova', Ubuntu, Calibri, 'DejaVu Sans', source-sans-pro, sans-serif",
    ),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThemeTokens {
    pub primary: String,
    pub accent: String,
    pub background: String,
    pub surface: String,
    pub text: String,
    pub muted: String,
    /// A key of [`FONT_STACKS`].
    pub heading_font: String,
    /// A key of [`FONT_STACKS`].
    pub body_font: String,
    /// Corner radius in pixels (0–32).
    pub radius: u8,
}

impl Default for ThemeTokens {
    fn default() -> Self {
        Self {
            primary: "#1f4d3a".into(),
            accent: "#c9774e".into(),
            background: "#f6f1e7".into(),
            surface: "#ffffff".into(),
            text: "#1d2428".into(),
            muted: "#5b6b73".into(),
            heading_font: "serif".into(),
            body_font: "sans".into(),
            radius: 10,
        }
    }
}

impl ThemeTokens {
    /// Reads tokens from stored JSON; anything missing or invalid falls back to the default,
    /// so a bad value can never inject CSS.
    pub fn from_json(value: &serde_json::Value) -> Self {
        let parsed: ThemeTokens = serde_json::from_value(value.clone()).unwrap_or_default();
        parsed.sanitized()
    }

    /// Replaces every invalid token with its default.
    pub fn sanitized(self) -> Self {
        let d = Self::default();
        let color = |v: String, dflt: String| if is_hex_color(&v) { v } else { dflt };
        let font = |v: String, dflt: String| {
            if FONT_STACKS.iter().any(|(k, _)| *k == v) {
                v
            } else {
                dflt
            }
        };
        Self {
            primary: color(self.primary, d.primary),
            accent: color(self.accent, d.accent),
            background: color(self.background, d.background),
            surface: color(self.surface, d.surface),
            text: color(self.text, d.text),
            muted: color(self.muted, d.muted),
            heading_font: font(self.heading_font, d.heading_font),
            body_font: font(self.body_font, d.body_font),
            radius: self.radius.min(32),
        }
    }

    /// The tokens as CSS custom properties for a `style` attribute.
    pub fn css_variables(&self) -> String {
        let stack = |k: &str| {
            FONT_STACKS
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, s)| *s)
                .unwrap_or(FONT_STACKS[0].1)
        };
        format!(
            "--vt-primary:{};--vt-accent:{};--vt-background:{};--vt-surface:{};--vt-text:{};--vt-muted:{};--vt-font-heading:{};--vt-font-body:{};--vt-radius:{}px",
            self.primary,
            self.accent,
            self.background,
            self.surface,
            self.text,
            self.muted,
            stack(&self.heading_font),
            stack(&self.body_font),
            self.radius
        )
    }
}

/// `s` for the inside of a double-quoted CSS string (`url("…")`, `[attr="…"]`): quotes and
/// backslashes are escaped, and control characters written as hex escapes.
pub fn css_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\{:x} ", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// `#rgb` or `#rrggbb`.
pub fn is_hex_color(v: &str) -> bool {
    let hex = v.strip_prefix('#').unwrap_or("");
    (hex.len() == 3 || hex.len() == 6) && hex.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(css_string("b-1:x.y/a.png"), "b-1:x.y/a.png");
        assert_eq!(css_string("a\"b\\c"), "a\\\"b\\\\c");
        assert_eq!(css_string("a\nb\0"), "a\\a b\\0 ");
    }

    #[test]
    fn invalid_tokens_fall_back() {
        let t = ThemeTokens::from_json(&serde_json::json!({
            "primary": "red;}</style><script>",
            "accent": "#abc",
            "heading_font": "Comic; x:url(evil)",
            "radius": 200
        }));
        assert_eq!(t.primary, ThemeTokens::default().primary);
        assert_eq!(t.accent, "#abc");
        assert_eq!(t.heading_font, "serif");
        assert_eq!(t.radius, 32);
        assert!(!t.css_variables().contains('<'));
    }
}
