//! Hostile input typed into a draft goes draft → publish → storefront and comes out inert:
//! parsed with an HTML5 parser, the page has no script element, no on* attribute and no
//! `javascript:` URL. Unsafe links are refused at publish.

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
    let all = Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let name = el.value().name();
        assert!(
            !["script", "svg", "math", "iframe", "noscript", "style"].contains(&name),
            "{name} element in {html}"
        );
        for (attr, value) in el.value().attrs() {
            assert!(
                !attr.to_ascii_lowercase().starts_with("on"),
                "event handler {attr}={value}"
            );
            assert!(
                !value.trim().to_ascii_lowercase().starts_with("javascript:"),
                "{attr}={value}"
            );
        }
    }
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

const PW: &str = "password-123";
