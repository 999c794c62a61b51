//! A shop is chosen by Host alone; an unknown host never sees another shop.

use crate::common::{TestApp, hero};

#[tokio::test]
async fn host_selects_the_shop_and_unknown_hosts_get_a_plain_404() {
    let app = TestApp::spawn().await;
    let a = app.create_shop("alpha", "Alpha Goods").await;
    let b = app.create_shop("beta", "Beta Supply").await;
    let pa = app.create_page(a, "home", "Home", "home").await;
    let pb = app.create_page(b, "home", "Home", "home").await;
    app.publish(a, pa, serde_json::json!([hero("h", "Welcome to Alpha")]))
        .await;
    app.publish(b, pb, serde_json::json!([hero("h", "Welcome to Beta")]))
        .await;

    let (status, body) = app.get("alpha.localhost", "/").await;
    assert_eq!(status, 200);
    assert!(body.contains("Welcome to Alpha") && !body.contains("Beta"));

    // Case, port and a trailing dot do not matter.
    for host in [
        "BETA.localhost:3000",
        "beta.localhost.",
        "Beta.Localhost.:8080",
    ] {
        let (status, body) = app.get(host, "/").await;
        assert_eq!(status, 200, "{host}");
        assert!(
            body.contains("Welcome to Beta") && !body.contains("Alpha"),
            "{host}"
        );
    }

    for host in [
        "gamma.localhost",
        "localhost",
        "alpha.localhost.evil.example",
        "127.0.0.1",
    ] {
        let (status, body) = app.get(host, "/").await;
        assert_eq!(status, 404, "{host}");
        assert!(body.contains("Shop not found"), "{host}");
        assert!(
            !body.contains("Alpha") && !body.contains("Beta"),
            "{host} leaked a shop"
        );
    }
}

#[tokio::test]
async fn custom_domains_answer_only_once_verified() {
    let app = TestApp::spawn().await;
    let a = app.create_shop("alpha", "Alpha Goods").await;
    let p = app.create_page(a, "home", "Home", "home").await;
    app.publish(a, p, serde_json::json!([hero("h", "Alpha home")]))
        .await;
    app.add_domain(a, "www.alpha.example", false, true).await;
    app.add_domain(a, "pending.alpha.example", false, false)
        .await;

    let (status, body) = app.get("www.alpha.example", "/").await;
    assert_eq!(status, 200);
    // The canonical link points at the primary domain.
    assert!(
        body.contains("rel=\"canonical\" href=\"http://alpha.localhost/\""),
        "{body}"
    );
    let (status, _) = app.get("pending.alpha.example", "/").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_shops_pages_are_not_reachable_through_another_shops_host() {
    let app = TestApp::spawn().await;
    let a = app.create_shop("alpha", "Alpha Goods").await;
    let b = app.create_shop("beta", "Beta Supply").await;
    let secret = app
        .create_page(a, "secret-sale", "Secret sale", "page")
        .await;
    app.publish(a, secret, serde_json::json!([hero("h", "Alpha only")]))
        .await;
    let (status, body) = app.get("beta.localhost", "/pages/secret-sale").await;
    assert_eq!(status, 404);
    assert!(!body.contains("Alpha only"));
    assert!(body.contains("Beta Supply"), "the 404 is Beta's own");
    // Publishing into another shop's page is refused as not found.
    let nodes: Vec<app::blocks::BlockNode> =
        serde_json::from_value(serde_json::json!([hero("h", "x")])).unwrap();
    let err = app
        .state
        .publisher()
        .publish_nodes(b, secret, &nodes, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, server::publish::PublishError::NotFound),
        "{err:?}"
    );
}
