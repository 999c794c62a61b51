//! The Stripe API over HTTPS: hosted Checkout sessions and refunds.
//!
//! Requests are form-encoded (the API takes nothing else), authenticated with the secret
//! key as a Bearer token and carry an `Idempotency-Key`, so a request retried after a
//! timeout returns what the first one did instead of charging or refunding twice. Calls are
//! bounded in time (a slow provider must not hold a customer's checkout for long) and in
//! the size of the answer read. The secret key is never logged: this type's `Debug` leaves
//! it out and errors never contain request headers.

use super::{CheckoutSession, NewCheckout, PaymentError, PaymentProvider, Refund};
use async_trait::async_trait;
use http::HeaderValue;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How long to wait for a connection to the provider.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one call may take in all, answer included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The largest answer read. The API's objects are a few KiB; more is not an answer.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// A Stripe account, reached at `base` (the real API, or the stub in tests and development).
#[derive(Clone)]
pub struct Stripe {
    base: String,
    secret_key: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Stripe {
    /// A client for the API at `base` (`https://…` or, for the stub, `http://…`; a path
    /// such as `/_stub/payments` is kept) with the account's secret key.
    pub fn new(base: &str, secret_key: &str) -> Result<Self, String> {
        Self::with_timeouts(base, secret_key, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// As [`Stripe::new`] with other time limits (tests use short ones).
    pub fn with_timeouts(
        base: &str,
        secret_key: &str,
        connect: Duration,
        total: Duration,
    ) -> Result<Self, String> {
        let url = reqwest::Url::parse(base)
            .map_err(|e| format!("the payment API base `{base}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "the payment API base `{base}` must be an http:// or https:// URL with a host"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "the payment API base `{base}` must not have a query or a fragment"
            ));
        }
        if secret_key.trim().is_empty()
            || HeaderValue::from_str(&format!("Bearer {secret_key}")).is_err()
        {
            return Err("the payment provider's secret key is empty or not printable".into());
        }
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(total)
            // The API never redirects; following one could send the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("the HTTP client cannot be built: {e}"))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
            http,
        })
    }

    /// The API base requests go to (no trailing slash).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// POSTs a form to `path` and reads the answer as `T`.
    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<T, PaymentError> {
        let key = HeaderValue::from_str(idempotency_key)
            .ok()
            .filter(|_| !idempotency_key.is_empty())
            .ok_or_else(|| PaymentError::Rejected {
                status: 400,
                message: "the idempotency key is empty or not a valid header value".into(),
            })?;
        let started = std::time::Instant::now();
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", key)
            .form(form)
            .send()
            .await
            .map_err(unreachable)?;
        let status = res.status();
        let body = read_capped(res).await?;
        tracing::debug!(
            path,
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "payment provider call"
        );
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map_err(|e| PaymentError::BadResponse(format!("{path}: {e}")));
        }
        let message = error_message(&body).unwrap_or_else(|| format!("HTTP {status}"));
        if status.as_u16() == 429 || status.is_server_error() {
            Err(PaymentError::Unavailable(format!("{status}: {message}")))
        } else if status.is_client_error() {
            Err(PaymentError::Rejected {
                status: status.as_u16(),
                message,
            })
        } else {
            Err(PaymentError::BadResponse(format!(
                "{path} answered {status}"
            )))
        }
    }
}

/// The form of a Checkout session for `c`, in the API's bracketed key names.
pub fn checkout_form(c: &NewCheckout) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("mode", "payment".to_string()),
        ("success_url", c.success_url.clone()),
        ("cancel_url", c.cancel_url.clone()),
        ("customer_email", c.email.clone()),
        ("client_reference_id", c.order_token.clone()),
        ("metadata[order_id]", c.order_id.to_string()),
        ("expires_at", c.expires_at.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let currency = c.currency.to_ascii_lowercase();
    for (i, line) in c.lines.iter().enumerate() {
        let item = format!("line_items[{i}]");
        form.extend([
            (format!("{item}[price_data][currency]"), currency.clone()),
            (
                format!("{item}[price_data][unit_amount]"),
                line.unit_amount.to_string(),
            ),
            (
                format!("{item}[price_data][product_data][name]"),
                line.name.clone(),
            ),
            (format!("{item}[quantity]"), line.quantity.to_string()),
        ]);
    }
    form
}

#[derive(Deserialize)]
struct SessionBody {
    id: String,
    url: Option<String>,
    expires_at: i64,
}

#[derive(Deserialize)]
struct RefundBody {
    id: String,
    amount: i64,
    status: Option<String>,
}

#[async_trait]
impl PaymentProvider for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn create_checkout(&self, c: &NewCheckout) -> Result<CheckoutSession, PaymentError> {
        let body: SessionBody = self
            .post(
                "/v1/checkout/sessions",
                &checkout_form(c),
                &c.idempotency_key,
            )
            .await?;
        let url = body.url.filter(|u| !u.is_empty()).ok_or_else(|| {
            PaymentError::BadResponse(format!("session {} has no payment page url", body.id))
        })?;
        Ok(CheckoutSession {
            id: body.id,
            url,
            expires_at: body.expires_at,
        })
    }

    async fn expire_checkout(&self, session_id: &str) -> Result<(), PaymentError> {
        // Session ids are the provider's own (`cs_…`); anything else never reaches a path.
        if session_id.is_empty()
            || !session_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(PaymentError::Rejected {
                status: 400,
                message: "not a payment session id".into(),
            });
        }
        let _: SessionBody = self
            .post(
                &format!("/v1/checkout/sessions/{session_id}/expire"),
                &[],
                &format!("vitrine-expire-{session_id}"),
            )
            .await?;
        Ok(())
    }

    async fn refund(
        &self,
        payment_intent: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        let form = [
            ("payment_intent".to_string(), payment_intent.to_string()),
            ("amount".to_string(), amount.to_string()),
        ];
        let body: RefundBody = self.post("/v1/refunds", &form, idempotency_key).await?;
        Ok(Refund {
            id: body.id,
            amount: body.amount,
            status: body.status.unwrap_or_else(|| "pending".into()),
        })
    }
}

/// A failed send: nothing was answered, so the request may or may not have arrived (its
/// idempotency key makes repeating it safe).
fn unreachable(e: reqwest::Error) -> PaymentError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    PaymentError::Unavailable(format!("{what}: {e}"))
}

/// The answer's body, refused past [`MAX_RESPONSE_BYTES`].
async fn read_capped(mut res: reqwest::Response) -> Result<Vec<u8>, PaymentError> {
    let too_big = || {
        PaymentError::BadResponse(format!(
            "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
        ))
    };
    if res
        .content_length()
        .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `error.message` of an API error body (`{"error":{"message":…,"type":…}}`).
fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value["error"]["message"].as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::CheckoutLine;
    use axum::Router;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use axum::routing::post;

    fn checkout() -> NewCheckout {
        NewCheckout {
            order_id: 42,
            order_token: "tok_42".into(),
            currency: "EUR".into(),
            email: "a@example.com".into(),
            lines: vec![
                CheckoutLine {
                    name: "Mug & saucer".into(),
                    unit_amount: 2400,
                    quantity: 2,
                },
                CheckoutLine {
                    name: "Deposit".into(),
                    unit_amount: 0,
                    quantity: 1,
                },
            ],
            success_url: "http://shop/orders/tok_42?s={CHECKOUT_SESSION_ID}".into(),
            cancel_url: "http://shop/checkout".into(),
            expires_at: 1_760_000_000,
            idempotency_key: "vitrine-order-tok_42".into(),
        }
    }

    #[test]
    fn the_checkout_form_uses_the_apis_bracketed_names_and_lower_case_currency() {
        let form = checkout_form(&checkout());
        let get = |k: &str| {
            form.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("{k} missing from {form:?}"))
        };
        assert_eq!(get("mode"), "payment");
        assert_eq!(get("client_reference_id"), "tok_42");
        assert_eq!(get("metadata[order_id]"), "42");
        assert_eq!(get("customer_email"), "a@example.com");
        assert_eq!(get("expires_at"), "1760000000");
        assert_eq!(get("line_items[0][price_data][currency]"), "eur");
        assert_eq!(get("line_items[0][price_data][unit_amount]"), "2400");
        assert_eq!(
            get("line_items[0][price_data][product_data][name]"),
            "Mug & saucer"
        );
        assert_eq!(get("line_items[0][quantity]"), "2");
        assert_eq!(get("line_items[1][price_data][unit_amount]"), "0");
        assert_eq!(form.len(), 7 + 2 * 4);
    }

    #[test]
    fn bases_and_keys_that_cannot_work_are_refused_up_front() {
        for base in ["", "api.stripe.com", "ftp://x", "http://", "https://x/?a=1"] {
            assert!(Stripe::new(base, "sk_test_1").is_err(), "{base}");
        }
        assert!(Stripe::new("https://x", "").is_err());
        assert!(Stripe::new("https://x", "sk\ntest").is_err());
        let stripe = Stripe::new("http://127.0.0.1:1/_stub/payments/", "sk_test_1").unwrap();
        assert_eq!(stripe.base(), "http://127.0.0.1:1/_stub/payments");
    }

    #[test]
    fn debug_output_leaves_the_secret_key_out() {
        let stripe = Stripe::new("https://x", "sk_live_super_secret").unwrap();
        let shown = format!("{stripe:?}");
        assert!(!shown.contains("sk_live_super_secret"), "{shown}");
        assert!(shown.contains("https://x"), "{shown}");
    }

    /// A one-route server answering every POST with `answer`; its base URL.
    async fn serve(answer: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, answer).await.unwrap() });
        base
    }

    async fn refund_against(status: StatusCode, body: &'static str) -> PaymentError {
        let base = serve(Router::new().route(
            "/v1/refunds",
            post(move || async move { (status, body).into_response() }),
        ))
        .await;
        Stripe::new(&base, "sk_test_1")
            .unwrap()
            .refund("pi_1", 100, "key-1")
            .await
            .expect_err("an error")
    }

    #[tokio::test]
    async fn answers_are_sorted_into_rejected_unavailable_and_unreadable() {
        let e = refund_against(
            StatusCode::PAYMENT_REQUIRED,
            r#"{"error":{"type":"card_error","message":"Your card was declined."}}"#,
        )
        .await;
        assert!(
            matches!(&e, PaymentError::Rejected { status: 402, message } if message == "Your card was declined."),
            "{e:?}"
        );
        let e = refund_against(StatusCode::BAD_REQUEST, "not json").await;
        assert!(
            matches!(&e, PaymentError::Rejected { status: 400, message } if message.contains("400")),
            "{e:?}"
        );
        let e = refund_against(StatusCode::INTERNAL_SERVER_ERROR, "").await;
        assert!(matches!(e, PaymentError::Unavailable(_)), "{e:?}");
        let e = refund_against(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"error":{"message":"Too many requests"}}"#,
        )
        .await;
        assert!(
            matches!(&e, PaymentError::Unavailable(m) if m.contains("Too many requests")),
            "{e:?}"
        );
        let e = refund_against(StatusCode::OK, r#"{"object":"refund"}"#).await;
        assert!(matches!(e, PaymentError::BadResponse(_)), "{e:?}");
        let e = refund_against(StatusCode::FOUND, "").await;
        assert!(matches!(e, PaymentError::BadResponse(_)), "{e:?}");
    }

    #[tokio::test]
    async fn a_session_without_a_payment_page_is_unreadable() {
        let base = serve(Router::new().route(
            "/v1/checkout/sessions",
            post(|| async { r#"{"id":"cs_1","url":null,"expires_at":1}"# }),
        ))
        .await;
        let e = Stripe::new(&base, "sk_test_1")
            .unwrap()
            .create_checkout(&checkout())
            .await
            .expect_err("no url");
        assert!(matches!(e, PaymentError::BadResponse(_)), "{e:?}");
    }

    #[tokio::test]
    async fn answers_over_one_mib_are_refused_unread() {
        // Declared too big, and streamed too big without a length.
        let base = serve(
            Router::new()
                .route(
                    "/v1/refunds",
                    post(|| async { "x".repeat(MAX_RESPONSE_BYTES + 1) }),
                )
                .route(
                    "/v1/checkout/sessions",
                    post(|| async {
                        let chunks = (0..=MAX_RESPONSE_BYTES / 65_536).map(|_| {
                            Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 65_536]))
                        });
                        axum::body::Body::from_stream(futures_util::stream::iter(chunks))
                    }),
                ),
        )
        .await;
        let stripe = Stripe::new(&base, "sk_test_1").unwrap();
        let e = stripe.refund("pi_1", 1, "k").await.expect_err("too big");
        assert!(
            matches!(&e, PaymentError::BadResponse(m) if m.contains("larger")),
            "{e:?}"
        );
        let e = stripe
            .create_checkout(&checkout())
            .await
            .expect_err("too big");
        assert!(
            matches!(&e, PaymentError::BadResponse(m) if m.contains("larger")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn a_provider_that_is_down_or_slow_is_unavailable_within_the_time_limit() {
        // Nothing listens on port 9 of the loopback interface.
        let e = Stripe::new("http://127.0.0.1:9", "sk_test_1")
            .unwrap()
            .refund("pi_1", 1, "k")
            .await
            .expect_err("refused");
        assert!(
            matches!(&e, PaymentError::Unavailable(m) if m.contains("connect")),
            "{e:?}"
        );
        let base = serve(Router::new().route(
            "/v1/refunds",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "{}"
            }),
        ))
        .await;
        let slow = Stripe::with_timeouts(
            &base,
            "sk_test_1",
            Duration::from_secs(1),
            Duration::from_millis(300),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let e = slow.refund("pi_1", 1, "k").await.expect_err("timeout");
        assert!(
            matches!(&e, PaymentError::Unavailable(m) if m.contains("timed out")),
            "{e:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn an_unusable_idempotency_key_is_refused_before_sending() {
        let stripe = Stripe::new("http://127.0.0.1:9", "sk_test_1").unwrap();
        for key in ["", "line\nbreak"] {
            let e = stripe.refund("pi_1", 1, key).await.expect_err("bad key");
            assert!(
                matches!(e, PaymentError::Rejected { status: 400, .. }),
                "{e:?}"
            );
        }
    }
}
