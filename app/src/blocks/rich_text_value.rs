//! The value of a rich-text field: runs of text with `bold` / `italic` / `link` formatting,
//! the same attributes the draft's `Y.Text` carries. Paragraphs are separated by `\n`.
//! Rendering builds elements from runs (text is always escaped), so no HTML from an editor
//! ever reaches a page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextRun {
    pub text: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub bold: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub italic: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RichText(pub Vec<TextRun>);

impl RichText {
    /// Unformatted text.
    pub fn plain(text: impl Into<String>) -> Self {
        RichText(vec![TextRun {
            text: text.into(),
            ..Default::default()
        }])
    }

    /// The text without formatting.
    pub fn to_plain(&self) -> String {
        self.0.iter().map(|r| r.text.as_str()).collect()
    }

    /// Reads a draft value: a plain string, a list of runs `{text, bold, italic, link}`, or a
    /// Yjs delta `[{insert, attributes:{bold, italic, link}}]`. `None` when it is none of those.
    pub fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(Self::plain(s.clone())),
            Value::Array(items) => {
                let mut runs = Vec::with_capacity(items.len());
                for item in items {
                    let obj = item.as_object()?;
                    let (text, attrs) = if let Some(insert) = obj.get("insert") {
                        (insert.as_str()?, obj.get("attributes"))
                    } else {
                        (obj.get("text")?.as_str()?, Some(item))
                    };
                    let flag = |name: &str| {
                        attrs
                            .and_then(|a| a.get(name))
                            .and_then(Value::as_bool)
                            .unwrap_or(false)
                    };
                    let link = attrs
                        .and_then(|a| a.get("link"))
                        .and_then(Value::as_str)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string);
                    runs.push(TextRun {
                        text: text.to_string(),
                        bold: flag("bold"),
                        italic: flag("italic"),
                        link,
                    });
                }
                Some(RichText(runs))
            }
            _ => None,
        }
    }

    /// Runs grouped into paragraphs (split at `\n`), empty paragraphs dropped.
    pub fn paragraphs(&self) -> Vec<Vec<TextRun>> {
        let mut paras = self.all_paragraphs();
        paras.retain(|p| !p.is_empty());
        paras
    }

    /// Every paragraph, empty ones too: the editor keeps one element per `\n`-separated line.
    pub fn all_paragraphs(&self) -> Vec<Vec<TextRun>> {
        let mut paras = vec![Vec::new()];
        for run in &self.0 {
            let mut parts = run.text.split('\n').peekable();
            while let Some(part) = parts.next() {
                if !part.is_empty() {
                    paras.last_mut().expect("never empty").push(TextRun {
                        text: part.to_string(),
                        ..run.clone()
                    });
                }
                if parts.peek().is_some() {
                    paras.push(Vec::new());
                }
            }
        }
        paras
    }
}

/// Renders rich text as paragraphs.
#[component]
pub fn RichTextView(text: RichText, #[prop(optional, into)] class: String) -> impl IntoView {
    // On the editor's canvas every line keeps its element, so the caret can reach it.
    let editing = super::editing();
    let paras = if editing {
        text.all_paragraphs()
    } else {
        text.paragraphs()
    };
    paras
        .into_iter()
        .map(|runs| {
            let class = class.clone();
            let empty = runs.is_empty();
            view! {
                <p class=class>
                    {runs.into_iter().map(|run| run_view(run, editing)).collect_view()}
                    {(editing && empty).then(|| view! { <br /> })}
                </p>
            }
        })
        .collect_view()
}

/// One run of text with its marks. On the canvas its text is a [`LiveText`](super::live_text::LiveText), so
/// typing into it patches the characters rather than the node.
fn run_view(run: TextRun, editing: bool) -> AnyView {
    let mut inner: AnyView = if editing {
        super::live_text::LiveText(run.text).into_any()
    } else {
        run.text.into_any()
    };
    if run.italic {
        inner = view! { <em>{inner}</em> }.into_any();
    }
    if run.bold {
        inner = view! { <strong>{inner}</strong> }.into_any();
    }
    match run.link.as_deref().and_then(crate::safe_url::safe_link) {
        Some(href) => {
            let href = href.to_string();
            view! { <a class="underline decoration-2 underline-offset-2 text-primary hover:text-accent" href=href>{inner}</a> }
                .into_any()
        }
        None => inner,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_strings_runs_and_deltas() {
        assert_eq!(
            RichText::from_value(&json!("hi")),
            Some(RichText::plain("hi"))
        );
        let delta =
            json!([{"insert": "a"}, {"insert": "b", "attributes": {"bold": true, "link": "/x"}}]);
        let rt = RichText::from_value(&delta).unwrap();
        assert_eq!(
            rt.0[1],
            TextRun {
                text: "b".into(),
                bold: true,
                italic: false,
                link: Some("/x".into())
            }
        );
        let runs = json!([{"text": "c", "italic": true}]);
        assert!(RichText::from_value(&runs).unwrap().0[0].italic);
        assert_eq!(RichText::from_value(&json!(3)), None);
        assert_eq!(RichText::from_value(&json!([{"insert": 3}])), None);
    }

    #[test]
    fn splits_paragraphs_across_runs() {
        let rt = RichText(vec![
            TextRun {
                text: "one\ntw".into(),
                ..Default::default()
            },
            TextRun {
                text: "o\n\nthree".into(),
                bold: true,
                ..Default::default()
            },
        ]);
        let paras = rt.paragraphs();
        assert_eq!(paras.len(), 3);
        assert_eq!(paras[1].len(), 2);
        assert!(paras[2][0].bold);
    }
}
