//! Rich text given as HTML. A rich-text prop may be written as `{"html": "<p>Hi <b>there</b></p>"}`
//! (by an import script or a Yjs client that is not Vitrine's editor). The server sanitises that
//! HTML with ammonia under a strict allow-list, parses the result with the same HTML5 parser
//! (html5ever, through scraper) and turns it into the runs every rich text is stored as
//! (text with `bold` / `italic` / `link` marks, `\n` between paragraphs), written back into
//! the raw block as a Yjs delta. The validator in `app` (which also runs in the browser, where
//! neither crate belongs) then sees ordinary formatted text, and rejects an `{"html": …}` that
//! reaches it unconverted. No HTML is ever stored or rendered.

use app::blocks::{BlockNode, BlockType, FieldKind, TextRun, ValidationError};
use app::safe_url::safe_link;
use scraper::Node;
use scraper::node::Element;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Longest HTML accepted in one field, before sanitising (the field's own length limit then
/// applies to the text).
pub const MAX_HTML_BYTES: usize = 256 * 1024;

/// Most elements accepted in one field's HTML. html5ever's tree builder looks through the
/// stack of open elements for some tags (a `<div>` looks for an open `<p>` to close), so HTML
/// nested `n` deep costs `n²`: 50k nested `<div>`s, 250 KB, take seconds of CPU on every read
/// of the draft. Nesting can be no deeper than the number of elements, and every element's tag
/// starts with `<` and a letter, so counting those bounds it (a `<` before a letter in a
/// comment counts too: the count errs high, never low). 2000 elements is one per ten
/// characters of the longest rich text.
pub const MAX_HTML_TAGS: usize = 2_000;

/// Start tags in `html`, as [`MAX_HTML_TAGS`] counts them.
fn tag_count(html: &str) -> usize {
    html.as_bytes()
        .windows(2)
        .filter(|w| w[0] == b'<' && w[1].is_ascii_alphabetic())
        .count()
}

/// Elements kept: paragraphs, line breaks, bold, italic and links. Everything else is removed,
/// its text kept — except in [`DROPPED_WITH_CONTENT`].
const TAGS: [&str; 7] = ["p", "br", "b", "strong", "i", "em", "a"];

/// Elements removed together with everything inside them: scripts and styles, foreign
/// content (SVG, MathML), and raw-text / RCDATA elements whose contents a browser would not
/// show as text anyway.
const DROPPED_WITH_CONTENT: [&str; 14] = [
    "script",
    "style",
    "svg",
    "math",
    "noscript",
    "iframe",
    "template",
    "title",
    "textarea",
    "xmp",
    "noembed",
    "noframes",
    "plaintext",
    "object",
];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.tags(HashSet::from(TAGS))
        .clean_content_tags(HashSet::from(DROPPED_WITH_CONTENT))
        .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
        .tag_attribute_values(HashMap::new())
        .set_tag_attribute_values(HashMap::new())
        .generic_attributes(HashSet::new())
        .allowed_classes(HashMap::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(None)
        .strip_comments(true)
        .id_prefix(None);
    b
});

/// The HTML with only `p`, `br`, `b`, `strong`, `i`, `em` and `a href` left; hrefs only
/// `http(s)`, `mailto` or relative.
pub fn sanitize(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Sanitises `html` and reads it as runs: `b`/`strong` bold, `i`/`em` italic, `a href` a link
/// (dropped unless it is a safe link), a `\n` between paragraphs and at each `br`, white space
/// collapsed as a browser shows it.
pub fn html_to_runs(html: &str) -> Vec<TextRun> {
    let clean = sanitize(html);
    let fragment = scraper::Html::parse_fragment(&clean);
    let mut out = RunWriter::default();
    // Formatting in effect, innermost last; the walk is iterative, so deep nesting cannot
    // exhaust the stack.
    let mut styles = vec![Style::default()];
    for edge in fragment.root_element().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => match node.value() {
                Node::Text(text) => {
                    let style = styles.last().cloned().unwrap_or_default();
                    out.text(text, &style);
                }
                Node::Element(el) => {
                    let style = styles.last().cloned().unwrap_or_default();
                    match el.name() {
                        "br" => out.line_break(),
                        "p" => out.block_edge(),
                        _ => {}
                    }
                    styles.push(style.inside(el));
                }
                _ => {}
            },
            ego_tree::iter::Edge::Close(node) => {
                if let Node::Element(el) = node.value() {
                    styles.pop();
                    if el.name() == "p" {
                        out.block_edge();
                    }
                }
            }
        }
    }
    out.finish()
}

/// Runs as a Yjs delta, `[{insert, attributes:{bold, italic, link}}]`: what a `Y.Text`
/// holds and what the validator reads.
fn runs_to_delta(runs: &[TextRun]) -> Value {
    Value::Array(
        runs.iter()
            .map(|r| {
                let mut attrs = Map::new();
                if r.bold {
                    attrs.insert("bold".into(), Value::Bool(true));
                }
                if r.italic {
                    attrs.insert("italic".into(), Value::Bool(true));
                }
                if let Some(link) = &r.link {
                    attrs.insert("link".into(), Value::String(link.clone()));
                }
                if attrs.is_empty() {
                    json!({"insert": r.text})
                } else {
                    json!({"insert": r.text, "attributes": attrs})
                }
            })
            .collect(),
    )
}

#[derive(Clone, Default, PartialEq)]
struct Style {
    bold: bool,
    italic: bool,
    link: Option<String>,
}

impl Style {
    fn inside(&self, el: &Element) -> Style {
        let mut s = self.clone();
        match el.name() {
            "b" | "strong" => s.bold = true,
            "i" | "em" => s.italic = true,
            "a" => {
                // A link inside a link: the inner one wins, as in a browser.
                s.link = el.attr("href").and_then(safe_link).map(str::to_string);
            }
            _ => {}
        }
        s
    }
}

#[derive(Default)]
struct RunWriter {
    runs: Vec<TextRun>,
    /// Nothing written since the start or the last `\n`.
    at_line_start: bool,
    /// A paragraph ended; the next text starts a new one.
    pending_break: bool,
}

impl RunWriter {
    fn text(&mut self, raw: &str, style: &Style) {
        let mut text = collapse_whitespace(raw);
        let new_line = self.runs.is_empty() || self.at_line_start || self.pending_break;
        if new_line {
            text = text.trim_start_matches(' ').to_string();
        }
        if text.is_empty() {
            return;
        }
        if self.pending_break && !self.runs.is_empty() && !self.at_line_start {
            self.newline();
        }
        self.pending_break = false;
        self.at_line_start = false;
        match self.runs.last_mut() {
            Some(last)
                if last.bold == style.bold
                    && last.italic == style.italic
                    && last.link == style.link =>
            {
                last.text.push_str(&text)
            }
            _ => self.runs.push(TextRun {
                text,
                bold: style.bold,
                italic: style.italic,
                link: style.link.clone(),
            }),
        }
    }

    fn line_break(&mut self) {
        self.trim_end();
        if !self.runs.is_empty() {
            self.newline();
        }
        self.pending_break = false;
    }

    fn block_edge(&mut self) {
        self.trim_end();
        self.pending_break = true;
    }

    fn newline(&mut self) {
        self.runs.push(TextRun {
            text: "\n".into(),
            ..Default::default()
        });
        self.at_line_start = true;
    }

    /// Drops spaces at the end of the current line.
    fn trim_end(&mut self) {
        while let Some(last) = self.runs.last_mut() {
            let kept = last.text.trim_end_matches(' ').len();
            last.text.truncate(kept);
            if !last.text.is_empty() {
                break;
            }
            self.runs.pop();
        }
    }

    fn finish(mut self) -> Vec<TextRun> {
        self.trim_end();
        // Line breaks at the end show nothing.
        while self.runs.last().is_some_and(|r| r.text == "\n") {
            self.runs.pop();
        }
        self.runs
    }
}

/// HTML white space (space, tab, line feed, form feed, carriage return) runs become one
/// space; other spaces (e.g. no-break spaces) are kept.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\x0C' | '\r') {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// Converts every `{"html": …}` rich-text prop in the tree (children included) into a delta of
/// sanitised runs. Problems (HTML that is not a string, or too long) are returned as
/// validation errors on that block and field, the prop cleared.
pub fn convert_html_props(nodes: &mut [BlockNode]) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    // Iterative, like the validator's depth limit makes recursion safe, but without relying
    // on it: a hostile draft may nest deeper than the validator allows.
    let mut stack: Vec<&mut BlockNode> = nodes.iter_mut().collect();
    while let Some(node) = stack.pop() {
        if let Some(block_type) = BlockType::from_name(&node.block_type) {
            for field in block_type.fields() {
                if field.kind != FieldKind::RichText {
                    continue;
                }
                let Some(value) = node.props.get_mut(field.name) else {
                    continue;
                };
                let Some(html) = value.as_object().and_then(|o| o.get("html")) else {
                    continue;
                };
                let converted = match html.as_str() {
                    Some(html) if html.len() > MAX_HTML_BYTES => Err(format!(
                        "{}: HTML has at most {MAX_HTML_BYTES} bytes",
                        field.label
                    )),
                    Some(html) if tag_count(html) > MAX_HTML_TAGS => Err(format!(
                        "{}: HTML has at most {MAX_HTML_TAGS} elements",
                        field.label
                    )),
                    Some(html) => Ok(html_to_runs(html)),
                    None => Err(format!("{}: `html` must be a string", field.label)),
                };
                match converted {
                    Ok(runs) => *value = runs_to_delta(&runs),
                    Err(message) => {
                        *value = Value::Null;
                        errors.push(ValidationError {
                            block_id: node.id.clone(),
                            field: Some(field.name.to_string()),
                            message,
                        });
                    }
                }
            }
        }
        stack.extend(node.children.iter_mut());
    }
    errors
}

/// Whether any block in the tree has a prop written as `{"html": …}`.
pub fn has_html_props(nodes: &[BlockNode]) -> bool {
    let mut stack: Vec<&BlockNode> = nodes.iter().collect();
    while let Some(node) = stack.pop() {
        if node
            .props
            .values()
            .any(|v| v.as_object().is_some_and(|o| o.contains_key("html")))
        {
            return true;
        }
        stack.extend(node.children.iter());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> TextRun {
        TextRun {
            text: text.into(),
            ..Default::default()
        }
    }

    /// No element, attribute or URL that can run script survives, whatever the trick.
    fn assert_inert(input: &str) {
        let out = sanitize(input);
        let lower = out.to_ascii_lowercase();
        for bad in [
            "<script",
            "<svg",
            "<math",
            "<style",
            "<noscript",
            "<iframe",
            "<img",
            "<template",
            "<title",
            "<textarea",
            "<object",
            "<embed",
            "<form",
            "<input",
            "<mglyph",
            "<table",
            "javascript:",
            "vbscript:",
            "data:",
            "srcdoc",
            "style=",
            "onerror",
            "onload",
            "onclick",
            "onmouseover",
            "onfocus",
            "formaction",
        ] {
            assert!(!lower.contains(bad), "{bad} in {out:?} (from {input:?})");
        }
        // Whatever is left parses back to only allowed elements and attributes.
        let doc = scraper::Html::parse_fragment(&out);
        for el in doc.root_element().descendants().filter_map(|n| {
            n.value()
                .as_element()
                .filter(|_| n.id() != doc.root_element().id())
        }) {
            assert!(TAGS.contains(&el.name()), "<{}> in {out:?}", el.name());
            for (name, _) in el.attrs() {
                assert!(el.name() == "a" && name == "href", "{name} in {out:?}");
            }
        }
    }

    #[test]
    fn keeps_only_paragraphs_formatting_and_safe_links() {
        assert_eq!(
            sanitize(r#"<p class="x" id="y">Hi <b>there</b> <a href="/x" title="t">link</a></p>"#),
            r#"<p>Hi <b>there</b> <a href="/x">link</a></p>"#
        );
        assert_eq!(
            sanitize(r#"<div><h1>Big</h1><strong>S</strong><em>E</em><i>I</i><br>x</div>"#),
            "Big<strong>S</strong><em>E</em><i>I</i><br>x"
        );
        for href in [
            "https://example.com/a",
            "http://e.com",
            "mailto:a@b.example",
            "/p",
            "#top",
        ] {
            let out = sanitize(&format!(r#"<a href="{href}">x</a>"#));
            assert_eq!(out, format!(r#"<a href="{href}">x</a>"#));
        }
    }

    #[test]
    fn scripts_and_raw_text_elements_go_with_their_contents() {
        for tag in [
            "script", "style", "noscript", "iframe", "template", "title", "textarea", "xmp",
            "noembed", "noframes", "object",
        ] {
            let out = sanitize(&format!("a<{tag}>alert(1)</{tag}>b"));
            assert_eq!(out, "ab", "{tag}");
        }
        assert_eq!(
            sanitize("<svg><script>alert(1)</script><text>t</text></svg>ok"),
            "ok"
        );
        assert_eq!(sanitize("<math><mi>x</mi><mtext>y</mtext></math>ok"), "ok");
        assert_eq!(sanitize("<plaintext><b>all of it</b>"), "");
    }

    #[test]
    fn event_handlers_and_script_urls_are_removed() {
        assert_eq!(
            sanitize(r#"<b onclick="alert(1)" onmouseover=x>b</b>"#),
            "<b>b</b>"
        );
        assert_eq!(sanitize(r#"<img src=x onerror=alert(1)>"#), "");
        for href in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "java&#x09;script:alert(1)",
            "java\nscript:alert(1)",
            "&#106;avascript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
            "jav&#x0A;ascript:alert(1)",
        ] {
            let out = sanitize(&format!(r#"<a href="{href}">x</a>"#));
            assert_eq!(out, "<a>x</a>", "{href}");
        }
    }

    #[test]
    fn hostile_corpus_comes_out_inert() {
        for input in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(2)>",
            "\"><svg onload=alert(3)>",
            "<svg><script>alert(4)</script></svg>",
            // mXSS: namespace confusion between MathML/SVG and HTML parsing.
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(5)>",
            "<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title=\"</style><img src onerror=alert(1)>\"></style></h1>",
            "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
            "<noscript><p title=\"</noscript><img src=x onerror=alert(10)>\">",
            "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
            "<svg><foreignObject><p><b onmouseover=alert(1)>x</b></p></foreignObject></svg>",
            "<template><script>alert(1)</script></template>",
            "<iframe srcdoc=\"<script>alert(8)</script>\"></iframe>",
            "</textarea><script>alert(9)</script>",
            "<style>*{display:none}</style>",
            // Attribute breakouts: quotes, backticks, unquoted values, stray slashes.
            "<a href=\"/x\" \" onclick=\"alert(1)\">x</a>",
            "<a href='/x'onclick='alert(1)'>x</a>",
            "<a href=/x onclick=alert(1)//>x</a>",
            "<a/href=\"javascript:alert(1)\">x</a>",
            "<a href=\"/x\"/onmouseover=alert(1)>x</a>",
            "<b title=\"\"><img src=x onerror=alert(1)>\">t</b>",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
            "<!--<img src=x onerror=alert(1)>-->",
            "<![CDATA[<img src=x onerror=alert(1)>]]>",
            "<a href=\"https://ok.example\"><svg><a xlink:href=\"javascript:alert(1)\">x</a></svg></a>",
            "<button formaction=javascript:alert(1)>x</button><input onfocus=alert(1) autofocus>",
        ] {
            assert_inert(input);
        }
    }

    #[test]
    fn attribute_breakouts_stay_inside_the_attribute() {
        // The quote is part of the URL, escaped on output: no new attribute appears.
        let out = sanitize("<a href=\"/x&quot; onclick=&quot;alert(1)\">x</a>");
        assert_eq!(out, "<a href=\"/x&quot; onclick=&quot;alert(1)\">x</a>");
        let runs = html_to_runs("<a href=\"/x&quot; onclick=&quot;alert(1)\">x</a>");
        assert_eq!(runs[0].link.as_deref(), Some("/x\" onclick=\"alert(1)"));
    }

    #[test]
    fn html_becomes_runs() {
        let runs = html_to_runs(
            "<p>Hi <b>there</b> <a href=\"/x\">link</a></p>\n  <p>Second\n   line <i>it</i><strong><em>both</em></strong><br>next</p>",
        );
        assert_eq!(
            runs,
            vec![
                run("Hi "),
                TextRun {
                    text: "there".into(),
                    bold: true,
                    ..Default::default()
                },
                run(" "),
                TextRun {
                    text: "link".into(),
                    link: Some("/x".into()),
                    ..Default::default()
                },
                run("\nSecond line "),
                TextRun {
                    text: "it".into(),
                    italic: true,
                    ..Default::default()
                },
                TextRun {
                    text: "both".into(),
                    bold: true,
                    italic: true,
                    ..Default::default()
                },
                run("\nnext"),
            ]
        );
        let rt = app::blocks::RichText(runs);
        assert_eq!(rt.paragraphs().len(), 3);
    }

    #[test]
    fn unsafe_and_odd_input_reads_as_plain_text() {
        assert_eq!(
            html_to_runs("<script>alert(1)</script>"),
            Vec::<TextRun>::new()
        );
        assert_eq!(
            html_to_runs("<a href=\"javascript:alert(1)\">click</a>"),
            vec![run("click")]
        );
        assert_eq!(
            html_to_runs("<a href=\"//evil.example\">x</a>"),
            vec![run("x")],
            "protocol-relative links are not safe links"
        );
        assert_eq!(
            html_to_runs("1 &lt; 2 &amp;&nbsp;3"),
            vec![run("1 < 2 &\u{a0}3")]
        );
        assert_eq!(
            html_to_runs("<img src=x onerror=alert(1)>text"),
            vec![run("text")]
        );
        assert_eq!(
            html_to_runs("  <p> </p><br><br> a <br><br> "),
            vec![run("a")]
        );
        // Deep nesting is walked without recursion.
        let deep = "<b>".repeat(20_000) + "deep";
        assert_eq!(html_to_runs(&deep)[0].text, "deep");
    }

    /// HTML nested as deep as a field accepts, in the tags html5ever handles worst: read
    /// without recursion (tests run on 2 MiB stacks) and quickly; one element more is refused.
    #[test]
    fn html_nested_as_deep_as_a_field_accepts_is_read_quickly_and_deeper_is_refused() {
        for open in [
            "<div>",
            "<b>",
            "<p><i>",
            "<a href=\"/x\">",
            "<span><em>",
            "<li><ul>",
        ] {
            let html = open.repeat(MAX_HTML_TAGS / tag_count(open)) + "deep";
            assert_eq!(tag_count(&html), MAX_HTML_TAGS, "{open}");
            let started = std::time::Instant::now();
            let mut nodes: Vec<BlockNode> = serde_json::from_value(json!([
                {"id": "r", "type": "rich_text", "props": {"body": {"html": html}}},
                {"id": "over", "type": "rich_text", "props": {"body": {"html": format!("<b>{html}")}}}
            ]))
            .unwrap();
            let errors = convert_html_props(&mut nodes);
            let elapsed = started.elapsed();
            assert!(
                elapsed < std::time::Duration::from_secs(10),
                "{open} took {elapsed:?}"
            );
            assert_eq!(
                nodes[0].props["body"][0]["insert"].as_str().map(str::trim),
                Some("deep")
            );
            assert_eq!(errors.len(), 1, "{open}: {errors:?}");
            assert_eq!(errors[0].block_id, "over");
            assert!(
                errors[0].message.contains("at most 2000 elements"),
                "{errors:?}"
            );
        }
        assert_eq!(tag_count("a < b, <!-- <p> --> <br/><B>x</B>"), 3);
    }

    #[test]
    fn html_props_are_converted_in_place() {
        let mut nodes: Vec<BlockNode> = serde_json::from_value(json!([
            {"id": "c", "type": "columns", "children": [
                {"id": "r", "type": "rich_text", "props": {
                    "heading": "Title",
                    "body": {"html": "<p>a <b>b</b></p><script>x</script>"}
                }}
            ]},
            {"id": "bad", "type": "rich_text", "props": {"body": {"html": 3}}},
            {"id": "big", "type": "rich_text", "props": {"body": {"html": "x".repeat(MAX_HTML_BYTES + 1)}}},
            {"id": "h", "type": "hero", "props": {"heading": {"html": "<b>x</b>"}}}
        ]))
        .unwrap();
        assert!(has_html_props(&nodes));
        let errors = convert_html_props(&mut nodes);
        assert_eq!(
            nodes[0].children[0].props["body"],
            json!([{"insert": "a "}, {"insert": "b", "attributes": {"bold": true}}])
        );
        let mut fields: Vec<_> = errors
            .iter()
            .map(|e| (e.block_id.as_str(), e.field.as_deref()))
            .collect();
        fields.sort();
        assert_eq!(fields, vec![("bad", Some("body")), ("big", Some("body"))]);
        assert_eq!(nodes[1].props["body"], Value::Null);
        // Only rich-text props are HTML-capable; the validator rejects the rest.
        assert_eq!(nodes[3].props["heading"], json!({"html": "<b>x</b>"}));
    }
}
