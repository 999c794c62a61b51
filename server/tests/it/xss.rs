//! Hostile input typed into a draft goes draft → publish → storefront and comes out inert:
//! parsed with an HTML5 parser, the page has no script element, no on* attribute and no
//! `javascript:` URL. Unsafe links are refused at publish. Rich text given as HTML is
//! sanitised at publish and keeps only its harmless formatting.

use crate::common::{TestApp, login, shop_with_members, ws_connect};
use crate::yclient::YClient;
use scraper::{Html, Selector};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use yrs::{Any, Array, Map, MapPrelim, Text, TextPrelim, Transact};

const CORPUS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "\"><svg onload=alert(3)>",
    "<svg><script>alert(4)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(5)>",
    "' onmouseover='alert(6)",
    "<a href=\"javascript:alert(7)\">x</a>",
    "<iframe srcdoc=\"<script>alert(8)</script>\"></iframe>",
    "</textarea><script>alert(9)</script>",
    "<style>*{display:none}</style><noscript><p title=\"</noscript><img src=x onerror=alert(10)>\">",
];

async fn publish(app: &TestApp, cookie: &str, page: i64) -> (u16, serde_json::Value) {
    let res = app
        .client
        .post(format!("{}/api/v1/pages/{page}/publish", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn hostile_drafts_publish_inert() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut c = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let blocks = c.doc.get_or_insert_array("blocks");
    {
        let mut txn = c.doc.transact_mut();
        for (i, payload) in CORPUS.iter().enumerate() {
            let b = blocks.push_back(
                &mut txn,
                MapPrelim::from([
                    ("id", Any::from(format!("x{i}"))),
                    ("type", Any::from("rich_text")),
                ]),
            );
            let props = b.insert(&mut txn, "props", MapPrelim::default());
            props.insert(
                &mut txn,
                "heading",
                TextPrelim::new(payload.chars().take(120).collect::<String>()),
            );
            let body = props.insert(&mut txn, "body", TextPrelim::new(""));
            body.insert(&mut txn, 0, payload);
            let attrs: HashMap<Arc<str>, Any> = HashMap::from([
                ("link".into(), Any::from("/pages/about")),
                ("bold".into(), Any::Bool(true)),
            ]);
            let end = body.len(&txn);
            body.insert_with_attributes(&mut txn, end, " safe link", attrs);
        }
        let b = blocks.push_back(
            &mut txn,
            MapPrelim::from([("id", Any::from("btn")), ("type", Any::from("button"))]),
        );
        b.insert(
            &mut txn,
            "props",
            MapPrelim::from([
                ("label", Any::from(CORPUS[2])),
                ("url", Any::from("/products")),
            ]),
        );
    }
    c.flush().await;
    c.pump(Duration::from_millis(150)).await;
    let (status, body) = publish(&app, &editor, page).await;
    assert_eq!(status, 200, "{body}");

    let (_, html) = app.get("alpha.localhost", "/").await;
    let doc = Html::parse_document(&html);
    assert_inert(&doc, &html);
    let text: String = doc.root_element().text().collect();
    for payload in CORPUS {
        assert!(text.contains(payload), "payload shown as text: {payload}");
    }

    // A javascript: link in formatted text is refused at publish, naming block and field.
    {
        let mut txn = c.doc.transact_mut();
        let b = blocks.push_back(
            &mut txn,
            MapPrelim::from([
                ("id", Any::from("evil-link")),
                ("type", Any::from("rich_text")),
            ]),
        );
        let props = b.insert(&mut txn, "props", MapPrelim::default());
        let body = props.insert(&mut txn, "body", TextPrelim::new(""));
        let attrs: HashMap<Arc<str>, Any> =
            HashMap::from([("link".into(), Any::from(" JaVaScRiPt:alert(1)"))]);
        body.insert_with_attributes(&mut txn, 0, "click me", attrs);
    }
    c.flush().await;
    c.pump(Duration::from_millis(150)).await;
    let (status, body) = publish(&app, &editor, page).await;
    assert_eq!(status, 422);
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["block_id"] == "evil-link" && e["field"] == "body"),
        "{body}"
    );
}

/// More of the tricks an HTML sanitiser must survive: mutation XSS through MathML/SVG
/// namespace confusion, raw-text elements, attribute breakouts, obfuscated schemes.
const HTML_ONLY: &[&str] = &[
    "<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title=\"</style><img src onerror=alert(11)>\"></style></h1>",
    "<svg></p><style><a id=\"</style><img src=1 onerror=alert(12)>\">",
    "<a href=\"/x\" \" onclick=\"alert(13)\">x</a><a href='/y'onmouseover='alert(13)'>y</a>",
    "<a href=\"java&#x09;script:alert(14)\">x</a><a href=\" JaVaScRiPt:alert(14)\">y</a><a href=\"data:text/html,x\">z</a>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(15)>",
    "<template><script>alert(16)</script></template><title>alert(16)</title><textarea><b>t</b></textarea>",
    "<svg><foreignObject><p><b onmouseover=alert(17)>x</b></p></foreignObject></svg>",
    "<p style=\"background:url(javascript:alert(18))\" onclick=alert(18)>styled</p>",
];

/// Rich text written as `{"html": …}` (as an import script or another Yjs client might) is
/// sanitised at publish: the storefront keeps the bold text and the safe link, and nothing
/// that runs script.
#[tokio::test]
async fn hostile_html_rich_text_is_sanitised_at_publish() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut c = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let blocks = c.doc.get_or_insert_array("blocks");
    let payloads: Vec<&str> = CORPUS.iter().chain(HTML_ONLY).copied().collect();
    {
        let mut txn = c.doc.transact_mut();
        for (i, payload) in payloads.iter().enumerate() {
            let html = format!(
                "<p>Safe <b>bold {i}</b> and <a href=\"/pages/about\" onclick=\"alert(0)\">link {i}</a>.</p>{payload}"
            );
            let b = blocks.push_back(
                &mut txn,
                MapPrelim::from([
                    ("id", Any::from(format!("h{i}"))),
                    ("type", Any::from("rich_text")),
                ]),
            );
            let props = b.insert(&mut txn, "props", MapPrelim::default());
            if i % 2 == 0 {
                // A nested Y.Map `{html}` …
                props.insert(
                    &mut txn,
                    "body",
                    MapPrelim::from([("html", Any::from(html))]),
                );
            } else {
                // … or a plain JSON object, as `props.set('body', {html})` writes.
                props.insert(
                    &mut txn,
                    "body",
                    Any::from(HashMap::from([("html".to_string(), Any::from(html))])),
                );
            }
        }
    }
    c.flush().await;
    c.pump(Duration::from_millis(150)).await;

    // The draft endpoint already shows the sanitised runs, never the HTML.
    let res = app
        .client
        .get(format!("{}/api/v1/pages/{page}/draft", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let draft: serde_json::Value = res.json().await.unwrap();
    assert_eq!(draft["errors"], serde_json::json!([]), "{draft}");
    let draft_text = draft.to_string().to_ascii_lowercase();
    for bad in ["<script", "<svg", "onerror", "javascript:", "\"html\""] {
        assert!(!draft_text.contains(bad), "{bad} in the draft: {draft}");
    }

    let (status, body) = publish(&app, &editor, page).await;
    assert_eq!(status, 200, "{body}");
    let (status, html) = app.get("alpha.localhost", "/").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&html);
    assert_inert(&doc, &html);
    for i in 0..payloads.len() {
        let block = Selector::parse(&format!("[data-block-id=\"h{i}\"]")).unwrap();
        let block = doc.select(&block).next().expect("block rendered");
        let bold = Selector::parse("strong").unwrap();
        assert!(
            block
                .select(&bold)
                .any(|b| b.text().collect::<String>() == format!("bold {i}")),
            "bold kept in block h{i}: {}",
            block.html()
        );
        let link = Selector::parse("a[href=\"/pages/about\"]").unwrap();
        assert!(
            block
                .select(&link)
                .any(|a| a.text().collect::<String>() == format!("link {i}")),
            "safe link kept in block h{i}: {}",
            block.html()
        );
    }
    // What raw-text elements held is gone, not shown as text.
    let text: String = doc.root_element().text().collect();
    for gone in [
        "alert(1)",
        "alert(4)",
        "alert(9)",
        "alert(16)",
        "display:none",
    ] {
        assert!(!text.contains(gone), "{gone} shown on the page");
    }

    // HTML that is not a string is refused at publish, naming block and field.
    {
        let mut txn = c.doc.transact_mut();
        let b = blocks.push_back(
            &mut txn,
            MapPrelim::from([
                ("id", Any::from("bad-html")),
                ("type", Any::from("rich_text")),
            ]),
        );
        let props = b.insert(&mut txn, "props", MapPrelim::default());
        props.insert(&mut txn, "body", MapPrelim::from([("html", Any::from(5))]));
    }
    c.flush().await;
    c.pump(Duration::from_millis(150)).await;
    let (status, body) = publish(&app, &editor, page).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["block_id"] == "bad-html" && e["field"] == "body"),
        "{body}"
    );
}

/// No script-capable element, no event handler, no `javascript:` URL anywhere in the page.
fn assert_inert(doc: &Html, html: &str) {
    let all = Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let name = el.value().name();
        assert!(
            ![
                "script", "svg", "math", "iframe", "noscript", "style", "template", "textarea"
            ]
            .contains(&name),
            "{name} element in {html}"
        );
        for (attr, value) in el.value().attrs() {
            assert!(
                !attr.to_ascii_lowercase().starts_with("on"),
                "event handler {attr}={value}"
            );
            let value = value.trim().to_ascii_lowercase();
            assert!(
                !value.starts_with("javascript:") && !value.starts_with("data:"),
                "{attr}={value}"
            );
        }
    }
}

const PW: &str = "password-123";
