//! Revision history: who and when and what changed, viewing, restoring (optionally into the
//! draft), unpublishing.

use crate::common::{TestApp, api, login, shop_with_members, ws_connect};
use crate::yclient::YClient;
use serde_json::{Value, json};
use std::time::Duration;
use yrs::{Any, Array, Map, MapPrelim, Transact};

const PW: &str = "password-123";

#[tokio::test]
async fn history_restore_and_unpublish() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut a = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let blocks = a.doc.get_or_insert_array("blocks");
    {
        let mut txn = a.doc.transact_mut();
        let b = blocks.push_back(
            &mut txn,
            MapPrelim::from([("id", Any::from("gap")), ("type", Any::from("spacer"))]),
        );
        b.insert(
            &mut txn,
            "props",
            MapPrelim::from([("size", Any::from("lg"))]),
        );
    }
    a.flush().await;
    a.pump(Duration::from_millis(100)).await;
    assert_eq!(
        api(
            &app,
            reqwest::Method::POST,
            &format!("/pages/{page}/publish"),
            &editor,
            None
        )
        .await
        .0,
        200
    );
    {
        let mut txn = a.doc.transact_mut();
        blocks.remove(&mut txn, 0);
    }
    a.flush().await;
    a.pump(Duration::from_millis(100)).await;
    let (_, published) = api(
        &app,
        reqwest::Method::POST,
        &format!("/pages/{page}/publish"),
        &editor,
        None,
    )
    .await;
    assert_eq!(published["number"], 3);

    let (status, history) = api(
        &app,
        reqwest::Method::GET,
        &format!("/pages/{page}/revisions"),
        &editor,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let revs = history["revisions"].as_array().unwrap();
    let numbers: Vec<i64> = revs.iter().map(|r| r["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, vec![3, 2, 1]);
    assert_eq!(revs[0]["live"], true);
    assert_eq!(
        revs[0]["summary"],
        json!({"added": 0, "removed": 1, "changed": 0})
    );
    assert_eq!(
        revs[1]["summary"],
        json!({"added": 1, "removed": 0, "changed": 0})
    );
    assert_eq!(revs[1]["published_by"]["email"], "editor@alpha.example");
    assert_eq!(
        revs[2]["published_by"],
        Value::Null,
        "the first one was published by the seed"
    );

    let (_, first) = api(
        &app,
        reqwest::Method::GET,
        &format!("/pages/{page}/revisions/1"),
        &editor,
        None,
    )
    .await;
    assert_eq!(first["blocks"][0]["props"]["heading"], "Live heading");
    assert_eq!(
        api(
            &app,
            reqwest::Method::GET,
            &format!("/pages/{page}/revisions/99"),
            &editor,
            None
        )
        .await
        .0,
        404
    );

    // Restore revision 1 as revision 4, and reset the draft to it.
    let (status, restored) = api(
        &app,
        reqwest::Method::POST,
        &format!("/pages/{page}/revisions/1/restore"),
        &editor,
        Some(json!({"reset_draft": true})),
    )
    .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["number"], 4);
    let (_, html) = app.get("alpha.localhost", "/").await;
    assert!(html.contains("Live heading") && !html.contains("data-block-id=\"gap\""));
    let (_, draft) = api(
        &app,
        reqwest::Method::GET,
        &format!("/pages/{page}/draft"),
        &editor,
        None,
    )
    .await;
    let ids: Vec<&str> = draft["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["h"]);
    // An editor with the page open sees the reset too.
    let mut reset_seen = false;
    for _ in 0..40 {
        a.pump(Duration::from_millis(25)).await;
        if blocks.len(&a.doc.transact()) == 1 {
            reset_seen = true;
            break;
        }
    }
    assert!(reset_seen);

    // Viewers read history but do not restore or unpublish.
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    assert_eq!(
        api(
            &app,
            reqwest::Method::GET,
            &format!("/pages/{page}/revisions"),
            &viewer,
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        api(
            &app,
            reqwest::Method::POST,
            &format!("/pages/{page}/revisions/2/restore"),
            &viewer,
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        api(
            &app,
            reqwest::Method::POST,
            &format!("/pages/{page}/unpublish"),
            &viewer,
            None
        )
        .await
        .0,
        403
    );
    // Another shop's editor: the page does not exist.
    shop_with_members(&app, "beta").await;
    let stranger = login(&app, "editor@beta.example", PW).await;
    assert_eq!(
        api(
            &app,
            reqwest::Method::GET,
            &format!("/pages/{page}/revisions"),
            &stranger,
            None
        )
        .await
        .0,
        404
    );

    assert_eq!(
        api(
            &app,
            reqwest::Method::POST,
            &format!("/pages/{page}/unpublish"),
            &editor,
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(app.get("alpha.localhost", "/").await.0, 404);
    let res = app
        .client
        .get(format!("{}/api/v1/content/pages/home", app.base))
        .header("host", "alpha.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
