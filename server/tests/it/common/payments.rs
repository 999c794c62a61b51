//! A test server that takes payments: the Stripe-compatible stub on its own loopback port
//! (the server's `reqwest` client talks to it over a real socket), the server configured
//! with its keys, the stub's webhooks pointed back at the server, and the sample shop.

use super::TestApp;
use server::config::Secret;
use server::payments::stub::{self, RunningStub, StubConfig};
use std::ops::Deref;

pub struct PaymentsApp {
    app: TestApp,
    pub stub: RunningStub,
    pub webhook_secret: String,
}

impl Deref for PaymentsApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl PaymentsApp {
    /// The sample shop, paying through the stub.
    pub async fn spawn() -> Self {
        Self::spawn_inner(None).await
    }

    /// The sample shop whose provider API is at `api_base` (e.g. nothing listening).
    pub async fn spawn_with_api_base(api_base: &str) -> Self {
        Self::spawn_inner(Some(api_base.to_string())).await
    }

    async fn spawn_inner(api_base: Option<String>) -> Self {
        let stub = stub::spawn(StubConfig {
            webhook_url: None,
            webhook_secret: stub::generate_secret("whsec_"),
            public_base: String::new(),
            secret_key: stub::generate_secret("sk_test_"),
        })
        .await
        .expect("payment stub");
        let (key, secret) = (stub.secret_key.clone(), stub.webhook_secret.clone());
        let base = api_base.unwrap_or_else(|| stub.base.clone());
        let app = TestApp::spawn_with(move |c| {
            c.stripe_secret_key = Some(Secret::new(key));
            c.stripe_webhook_secret = Some(Secret::new(secret));
            c.stripe_api_base = base;
        })
        .await;
        stub.stub
            .set_webhook_url(Some(format!("{}/api/webhooks/stripe", app.base)));
        server::seed::sample(&app.state).await.expect("seed");
        let webhook_secret = stub.webhook_secret.clone();
        PaymentsApp {
            app,
            stub,
            webhook_secret,
        }
    }

    /// The API requests the stub received, as JSON (`method`, `path`, `idempotency_key`,
    /// `params`).
    pub async fn stub_requests(&self) -> Vec<serde_json::Value> {
        self.stub
            .stub
            .requests()
            .into_iter()
            .map(|r| serde_json::to_value(r).expect("request json"))
            .collect()
    }

    /// Expires a payment session at the provider, which tells the server (a signed webhook).
    pub async fn stub_expire(&self, session_id: &str) {
        let res = self
            .client
            .post(format!(
                "{}/v1/checkout/sessions/{session_id}/expire",
                self.stub.base
            ))
            .bearer_auth(&self.stub.secret_key)
            .send()
            .await
            .expect("expire");
        assert!(res.status().is_success(), "expire: {}", res.status());
    }
}
