//! A Stripe-compatible payment provider in memory, for tests and development.
//!
//! It answers the few API calls Vitrine makes (`POST /v1/checkout/sessions`, reading and
//! expiring a session, `POST /v1/refunds`) in the API's own shapes and errors, checks what
//! it is sent as strictly as the real API would (a Bearer key, required and unknown
//! parameters, integer amounts, idempotency keys), and serves a plain payment page at
//! `/pay/{id}` whose button marks the session paid and sends the signed
//! `checkout.session.completed` webhook. So the whole flow (checkout → payment page →
//! webhook → refund) runs end to end with no account and no network, over real HTTP.
//!
//! Everything is bounded: at most [`MAX_OBJECTS`] sessions, refunds and remembered
//! idempotency keys each (the oldest go first) and a log of the last [`MAX_LOGGED_REQUESTS`]
//! API requests, which `GET /_stub/requests` shows so tests can check what was sent.
//! No real money moves, and the page says so.

use super::signature;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use hashlink::LinkedHashMap;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The most sessions, refunds and remembered idempotency keys kept (each); past it the
/// oldest is forgotten.
pub const MAX_OBJECTS: usize = 10_000;
/// The most API requests kept in the log `GET /_stub/requests` shows.
pub const MAX_LOGGED_REQUESTS: usize = 1_000;
/// The largest API request body read.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// The most line items one session takes (the real API's limit).
pub const MAX_LINE_ITEMS: usize = 100;
/// The largest unit amount the real API takes (eight digits).
pub const MAX_UNIT_AMOUNT: i64 = 99_999_999;
/// The longest `client_reference_id` (the real API's limit).
pub const MAX_CLIENT_REFERENCE_CHARS: usize = 200;
/// The most metadata keys, and their longest key and value (the real API's limits).
pub const MAX_METADATA_KEYS: usize = 50;
pub const MAX_METADATA_KEY_CHARS: usize = 40;
pub const MAX_METADATA_VALUE_CHARS: usize = 500;
/// Sessions may expire 30 minutes to 24 hours after creation, as in the real API. The
/// lower bound is checked with this much slack: a caller computes "now + 30 minutes" a
/// moment before the request arrives.
pub const MIN_SESSION_SECS: i64 = 30 * 60;
pub const MAX_SESSION_SECS: i64 = 24 * 60 * 60;
pub const EXPIRY_SLACK_SECS: i64 = 120;
/// A webhook that fails with a network error or a 5xx is tried this many more times.
pub const WEBHOOK_RETRIES: u32 = 3;
/// How long one webhook delivery may take.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// How the stub is set up.
#[derive(Clone)]
pub struct StubConfig {
    /// Where signed events are POSTed (`http://…/api/webhooks/stripe`); none: not sent.
    /// It can also be set after start with [`Stub::set_webhook_url`].
    pub webhook_url: Option<String>,
    /// The secret events are signed with (the shop's `STRIPE_WEBHOOK_SECRET`).
    pub webhook_secret: String,
    /// Where browsers reach the stub, for the sessions' payment page URLs
    /// (`{public_base}/pay/{id}`), e.g. `http://localhost:3000/_stub/payments`.
    pub public_base: String,
    /// The Bearer key API requests must carry (the shop's `STRIPE_SECRET_KEY`).
    pub secret_key: String,
}

impl std::fmt::Debug for StubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StubConfig")
            .field("webhook_url", &self.webhook_url)
            .field("public_base", &self.public_base)
            .finish_non_exhaustive()
    }
}

/// A fresh random secret with the given prefix (`sk_test_`, `whsec_`), for a stub started
/// without configured ones.
pub fn generate_secret(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(rand::random::<[u8; 24]>()))
}

/// A running stub's shared state; cheap to clone. Build its routes with [`Stub::router`].
#[derive(Clone)]
pub struct Stub {
    shared: Arc<Shared>,
}

struct Shared {
    secret_key: String,
    webhook_secret: String,
    public_base: String,
    webhook_url: RwLock<Option<String>>,
    store: Mutex<Store>,
    http: reqwest::Client,
    /// The pause before the first webhook retry (doubling after); tests shorten it.
    retry_delay: Duration,
}

/// The routes of a new stub: `router(cfg)` is `Stub::new(cfg).router()`.
pub fn router(cfg: StubConfig) -> Router {
    Stub::new(cfg).router()
}

impl Stub {
    pub fn new(cfg: StubConfig) -> Self {
        Self::build(cfg, Duration::from_millis(250))
    }

    fn build(cfg: StubConfig, retry_delay: Duration) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(WEBHOOK_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            shared: Arc::new(Shared {
                secret_key: cfg.secret_key,
                webhook_secret: cfg.webhook_secret,
                public_base: cfg.public_base.trim_end_matches('/').to_string(),
                webhook_url: RwLock::new(cfg.webhook_url),
                store: Mutex::new(Store::new(MAX_OBJECTS, MAX_LOGGED_REQUESTS)),
                http,
                retry_delay,
            }),
        }
    }

    /// The stub's routes, to serve alone or nest under a path (`/_stub/payments`).
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/checkout/sessions/{id}", get(get_session))
            .route("/v1/checkout/sessions/{id}/expire", post(expire_session))
            .route("/v1/refunds", post(create_refund))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
        Router::new()
            .merge(api)
            .route("/pay/{id}", get(pay_page).post(pay))
            .route("/_stub/requests", get(logged_requests))
            .fallback(unknown_url)
            .with_state(self.clone())
    }

    /// Sends events to `url` from now on (none: stop sending).
    pub fn set_webhook_url(&self, url: Option<String>) {
        *self
            .shared
            .webhook_url
            .write()
            .unwrap_or_else(|e| e.into_inner()) = url;
    }

    fn webhook_url(&self) -> Option<String> {
        self.shared
            .webhook_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The API requests received, oldest first (at most [`MAX_LOGGED_REQUESTS`]).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.store().log.iter().cloned().collect()
    }

    /// A session as the API shows it.
    pub fn session(&self, id: &str) -> Option<Value> {
        let store = self.store();
        store
            .sessions
            .get(id)
            .map(|s| s.to_json(&self.shared.public_base))
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // Nothing panics while holding the lock; if something did, the data is still whole.
        self.shared.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// POSTs a signed event to the webhook URL and waits for the answer, retrying network
    /// errors and 5xx answers [`WEBHOOK_RETRIES`] times with a growing pause. A refusal
    /// (4xx) is not retried: the same event would be refused again. Failures are logged,
    /// not returned: the customer's payment happened either way, as with the real provider.
    /// Answers whether the event was taken.
    async fn send_event(&self, kind: &str, session: Value) -> bool {
        let Some(url) = self.webhook_url() else {
            tracing::info!(kind, "payment stub: no webhook URL set, event not sent");
            return false;
        };
        let event = json!({
            "id": new_id("evt_test_"),
            "object": "event",
            "api_version": "2024-06-20",
            "created": now(),
            "livemode": false,
            "pending_webhooks": 1,
            "type": kind,
            "data": {"object": session},
        });
        let body = event.to_string();
        let mut delay = self.shared.retry_delay;
        for attempt in 0..=WEBHOOK_RETRIES {
            if attempt > 0 {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
            let signature = signature::sign(&self.shared.webhook_secret, now(), body.as_bytes());
            let result = self
                .shared
                .http
                .post(&url)
                .header(header::CONTENT_TYPE, "application/json")
                .header("Stripe-Signature", signature)
                .body(body.clone())
                .send()
                .await;
            match result {
                Ok(res) if res.status().is_success() => return true,
                Ok(res) if res.status().is_server_error() => {
                    let status = res.status().as_u16();
                    tracing::warn!(kind, attempt, status, %url, "payment stub: webhook failed");
                }
                Ok(res) => {
                    let status = res.status().as_u16();
                    let answer: String = res.text().await.unwrap_or_default();
                    let answer: String = answer.chars().take(300).collect();
                    tracing::warn!(kind, status, %url, answer, "payment stub: webhook refused");
                    return false;
                }
                Err(e) => {
                    tracing::warn!(kind, attempt, %url, error = %e, "payment stub: webhook not sent");
                }
            }
        }
        tracing::warn!(kind, %url, "payment stub: webhook given up");
        false
    }
}

/// A stub serving on a loopback port (tests). Stops when dropped.
pub struct RunningStub {
    /// `http://127.0.0.1:PORT`: the API base for [`super::stripe::Stripe`].
    pub base: String,
    pub stub: Stub,
    pub secret_key: String,
    pub webhook_secret: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves a stub on `127.0.0.1` at a free port. An empty `cfg.public_base` becomes the
/// stub's own base, so payment pages are reached on the same port.
pub async fn spawn(cfg: StubConfig) -> std::io::Result<RunningStub> {
    spawn_with_retry_delay(cfg, Duration::from_millis(250)).await
}

async fn spawn_with_retry_delay(
    mut cfg: StubConfig,
    retry_delay: Duration,
) -> std::io::Result<RunningStub> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    if cfg.public_base.is_empty() {
        cfg.public_base = base.clone();
    }
    let (secret_key, webhook_secret) = (cfg.secret_key.clone(), cfg.webhook_secret.clone());
    let stub = Stub::build(cfg, retry_delay);
    let app = stub.router();
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "payment stub stopped");
        }
    });
    Ok(RunningStub {
        base,
        stub,
        secret_key,
        webhook_secret,
        task,
    })
}

// ---------------------------------------------------------------------------------------
// The in-memory store.

/// One API request as received (never its Authorization header).
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    /// The path within the stub (`/v1/checkout/sessions`).
    pub path: String,
    pub idempotency_key: Option<String>,
    /// The form parameters, by their bracketed names.
    pub params: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
struct Line {
    name: String,
    unit_amount: i64,
    quantity: i64,
}

#[derive(Clone, Debug)]
struct Session {
    id: String,
    status: &'static str,
    payment_status: &'static str,
    amount_total: i64,
    currency: String,
    client_reference_id: Option<String>,
    customer_email: Option<String>,
    created: i64,
    expires_at: i64,
    metadata: BTreeMap<String, String>,
    payment_intent: Option<String>,
    success_url: String,
    cancel_url: Option<String>,
    lines: Vec<Line>,
    refunded: i64,
}

impl Session {
    fn to_json(&self, public_base: &str) -> Value {
        json!({
            "id": self.id,
            "object": "checkout.session",
            "mode": "payment",
            "livemode": false,
            "status": self.status,
            "payment_status": self.payment_status,
            "amount_subtotal": self.amount_total,
            "amount_total": self.amount_total,
            "currency": self.currency,
            "client_reference_id": self.client_reference_id,
            "customer_email": self.customer_email,
            "created": self.created,
            "expires_at": self.expires_at,
            "metadata": self.metadata,
            "payment_intent": self.payment_intent,
            "success_url": self.success_url,
            "cancel_url": self.cancel_url,
            // As in the real API, only an open session has a payment page.
            "url": (self.status == "open").then(|| format!("{public_base}/pay/{}", self.id)),
        })
    }

    /// Where the customer goes after paying, with the session id filled in.
    fn success_redirect(&self) -> String {
        self.success_url.replace("{CHECKOUT_SESSION_ID}", &self.id)
    }
}

/// What an idempotency key was first used for, and what it answered.
struct Remembered {
    path: String,
    params: BTreeMap<String, String>,
    answer: Value,
}

struct Store {
    sessions: LinkedHashMap<String, Session>,
    refunds: LinkedHashMap<String, Value>,
    idempotency: LinkedHashMap<String, Remembered>,
    log: VecDeque<LoggedRequest>,
    max_objects: usize,
    max_log: usize,
}

/// Inserts and drops the oldest entries past `max`.
fn insert_bounded<V>(map: &mut LinkedHashMap<String, V>, max: usize, key: String, value: V) {
    map.insert(key, value);
    while map.len() > max {
        map.pop_front();
    }
}

impl Store {
    fn new(max_objects: usize, max_log: usize) -> Self {
        Self {
            sessions: LinkedHashMap::new(),
            refunds: LinkedHashMap::new(),
            idempotency: LinkedHashMap::new(),
            log: VecDeque::new(),
            max_objects,
            max_log,
        }
    }

    fn log(&mut self, request: LoggedRequest) {
        self.log.push_back(request);
        while self.log.len() > self.max_log {
            self.log.pop_front();
        }
    }

    fn add_session(&mut self, session: Session) {
        insert_bounded(
            &mut self.sessions,
            self.max_objects,
            session.id.clone(),
            session,
        );
    }

    fn add_refund(&mut self, id: String, refund: Value) {
        insert_bounded(&mut self.refunds, self.max_objects, id, refund);
    }

    /// A replay of an earlier request with this key, an error if the key was used for a
    /// different request, or `None` for a new key.
    fn replay(
        &self,
        key: Option<&str>,
        path: &str,
        params: &BTreeMap<String, String>,
    ) -> Option<Result<Value, ApiError>> {
        let remembered = self.idempotency.get(key?)?;
        if remembered.path == path && &remembered.params == params {
            Some(Ok(remembered.answer.clone()))
        } else {
            Some(Err(ApiError {
                status: StatusCode::BAD_REQUEST,
                kind: "idempotency_error",
                code: None,
                param: None,
                message: format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{}' if you meant to execute a different request.",
                    key.unwrap_or_default()
                ),
            }))
        }
    }

    fn remember(
        &mut self,
        key: Option<&str>,
        path: &str,
        params: BTreeMap<String, String>,
        answer: &Value,
    ) {
        if let Some(key) = key {
            let remembered = Remembered {
                path: path.to_string(),
                params,
                answer: answer.clone(),
            };
            insert_bounded(
                &mut self.idempotency,
                self.max_objects,
                key.to_string(),
                remembered,
            );
        }
    }

    /// The paid session of a payment intent.
    fn session_of_intent(&mut self, payment_intent: &str) -> Option<&mut Session> {
        self.sessions
            .iter_mut()
            .map(|(_, s)| s)
            .find(|s| s.payment_intent.as_deref() == Some(payment_intent))
    }
}

// ---------------------------------------------------------------------------------------
// The API.

/// An error in the API's shape: `{"error":{"type","code","param","message"}}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    param: Option<String>,
    message: String,
}

impl ApiError {
    fn invalid(param: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: Some(code),
            param: Some(param.to_string()),
            message: message.into(),
        }
    }

    fn missing(param: &str) -> Self {
        Self::invalid(
            param,
            "parameter_missing",
            format!("Missing required param: {param}."),
        )
    }

    fn unknown(param: &str) -> Self {
        Self::invalid(
            param,
            "parameter_unknown",
            format!("Received unknown parameter: {param}"),
        )
    }

    fn not_found(what: &str, id: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            code: Some("resource_missing"),
            param: Some("id".into()),
            message: format!("No such {what}: '{id}'"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "type": self.kind,
            "code": self.code,
            "param": self.param,
            "message": self.message,
        }});
        (self.status, axum::Json(body)).into_response()
    }
}

/// An API request: checked key, form parameters, logged.
struct ApiRequest {
    idempotency_key: Option<String>,
    params: BTreeMap<String, String>,
}

impl Stub {
    /// Logs the request, then checks its key and reads its form.
    fn accept(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<ApiRequest, ApiError> {
        let idempotency_key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let pairs: Result<Vec<(String, String)>, _> = serde_urlencoded::from_bytes(body);
        let mut params = BTreeMap::new();
        let mut duplicate = None;
        if let Ok(pairs) = &pairs {
            for (k, v) in pairs {
                if params.insert(k.clone(), v.clone()).is_some() {
                    duplicate = Some(k.clone());
                }
            }
        }
        self.store().log(LoggedRequest {
            method: method.to_string(),
            path: path.to_string(),
            idempotency_key: idempotency_key.clone(),
            params: params.clone(),
        });
        self.authorize(headers)?;
        if let Err(e) = pairs {
            return Err(ApiError::invalid(
                "body",
                "parameter_invalid",
                format!("The request body is not a form: {e}"),
            ));
        }
        if let Some(k) = duplicate {
            return Err(ApiError::invalid(
                &k,
                "parameter_invalid",
                format!("The parameter {k} was given more than once."),
            ));
        }
        Ok(ApiRequest {
            idempotency_key,
            params,
        })
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let unauthorized = |message: String| ApiError {
            status: StatusCode::UNAUTHORIZED,
            kind: "invalid_request_error",
            code: None,
            param: None,
            message,
        };
        match given {
            None => Err(unauthorized(NO_KEY.into())),
            Some(key) if key != self.shared.secret_key => {
                // Like the real API, name only the end of the key that was sent.
                let tail = key
                    .char_indices()
                    .rev()
                    .nth(3)
                    .map_or(key, |(i, _)| &key[i..]);
                Err(unauthorized(format!(
                    "Invalid API Key provided: ****{tail}"
                )))
            }
            Some(_) => Ok(()),
        }
    }
}

const NO_KEY: &str =
    "You did not provide an API key. Provide it as a Bearer token in the Authorization header.";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(rand::random::<[u8; 12]>()))
}

/// `key` as an integer (`"12"`, not `"12.5"` or `"1e3"`).
fn integer(key: &str, value: &str) -> Result<i64, ApiError> {
    value.parse::<i64>().map_err(|_| {
        ApiError::invalid(
            key,
            "parameter_invalid_integer",
            format!("Invalid integer: {value}"),
        )
    })
}

fn url_param(key: &str, value: &str) -> Result<String, ApiError> {
    let ok = reqwest::Url::parse(value)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if ok {
        Ok(value.to_string())
    } else {
        Err(ApiError::invalid(
            key,
            "url_invalid",
            format!("Not a valid URL: {value}"),
        ))
    }
}

/// The line item field a `line_items[i]…` key names: `(i, field)`.
fn line_item_key(key: &str) -> Option<(usize, &str)> {
    let rest = key.strip_prefix("line_items[")?;
    let (index, field) = rest.split_once(']')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) || index.len() > 6 {
        return None;
    }
    let field = match field {
        "[price_data][currency]" => "currency",
        "[price_data][unit_amount]" => "unit_amount",
        "[price_data][product_data][name]" => "name",
        "[quantity]" => "quantity",
        _ => return None,
    };
    Some((index.parse().ok()?, field))
}

/// A new session from the parameters of `POST /v1/checkout/sessions`, checked as the real
/// API checks them.
fn new_session(params: &BTreeMap<String, String>, now: i64) -> Result<Session, ApiError> {
    let mut items: BTreeMap<usize, BTreeMap<&str, &str>> = BTreeMap::new();
    let mut metadata = BTreeMap::new();
    for (key, value) in params {
        match key.as_str() {
            "mode"
            | "success_url"
            | "cancel_url"
            | "customer_email"
            | "client_reference_id"
            | "expires_at" => {}
            k if k.starts_with("line_items[") => {
                let (i, field) = line_item_key(k).ok_or_else(|| ApiError::unknown(k))?;
                items.entry(i).or_default().insert(field, value.as_str());
            }
            k => {
                let name = k
                    .strip_prefix("metadata[")
                    .and_then(|k| k.strip_suffix(']'))
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| ApiError::unknown(k))?;
                if name.chars().count() > MAX_METADATA_KEY_CHARS
                    || value.chars().count() > MAX_METADATA_VALUE_CHARS
                {
                    return Err(ApiError::invalid(
                        k,
                        "parameter_invalid_string_size",
                        format!(
                            "Metadata keys can be up to {MAX_METADATA_KEY_CHARS} characters and values up to {MAX_METADATA_VALUE_CHARS}."
                        ),
                    ));
                }
                metadata.insert(name.to_string(), value.clone());
            }
        }
    }
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(ApiError::invalid(
            "metadata",
            "parameter_invalid_string_size",
            format!("Metadata can have up to {MAX_METADATA_KEYS} keys."),
        ));
    }
    let get = |k: &str| params.get(k).map(String::as_str);
    match get("mode") {
        None => return Err(ApiError::missing("mode")),
        Some("payment") => {}
        Some(other) => {
            return Err(ApiError::invalid(
                "mode",
                "parameter_invalid",
                format!("This stub supports mode=payment only, not {other}."),
            ));
        }
    }
    let success_url = url_param(
        "success_url",
        get("success_url").ok_or_else(|| ApiError::missing("success_url"))?,
    )?;
    let cancel_url = get("cancel_url")
        .map(|u| url_param("cancel_url", u))
        .transpose()?;
    let customer_email = match get("customer_email") {
        Some(e) if !e.contains('@') || e.len() > 512 => {
            return Err(ApiError::invalid(
                "customer_email",
                "email_invalid",
                format!("Invalid email address: {e}"),
            ));
        }
        e => e.map(str::to_string),
    };
    let client_reference_id = get("client_reference_id").map(str::to_string);
    if client_reference_id
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_CLIENT_REFERENCE_CHARS)
    {
        return Err(ApiError::invalid(
            "client_reference_id",
            "parameter_invalid_string_size",
            format!("client_reference_id can be up to {MAX_CLIENT_REFERENCE_CHARS} characters."),
        ));
    }
    let expires_at = match get("expires_at") {
        None => now + MAX_SESSION_SECS,
        Some(v) => {
            let at = integer("expires_at", v)?;
            let lead = at.saturating_sub(now);
            if !(MIN_SESSION_SECS - EXPIRY_SLACK_SECS..=MAX_SESSION_SECS).contains(&lead) {
                return Err(ApiError::invalid(
                    "expires_at",
                    "parameter_invalid_integer",
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                ));
            }
            at
        }
    };

    if items.is_empty() {
        return Err(ApiError::missing("line_items"));
    }
    if items.len() > MAX_LINE_ITEMS {
        return Err(ApiError::invalid(
            "line_items",
            "parameter_invalid_array_length",
            format!("A Checkout Session takes at most {MAX_LINE_ITEMS} line items."),
        ));
    }
    if items.keys().copied().ne(0..items.len()) {
        return Err(ApiError::invalid(
            "line_items",
            "parameter_invalid",
            "line_items must be numbered from 0 without gaps.",
        ));
    }
    let mut currency: Option<String> = None;
    let mut lines = Vec::with_capacity(items.len());
    let mut total: i64 = 0;
    for (i, item) in &items {
        let field = |f: &str, param: &str| {
            item.get(f)
                .copied()
                .ok_or_else(|| ApiError::missing(&format!("line_items[{i}]{param}")))
        };
        let cur_key = format!("line_items[{i}][price_data][currency]");
        let cur = field("currency", "[price_data][currency]")?.to_ascii_lowercase();
        if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(ApiError::invalid(
                &cur_key,
                "parameter_invalid",
                format!("Invalid currency: {cur}"),
            ));
        }
        if currency.as_ref().is_some_and(|c| *c != cur) {
            return Err(ApiError::invalid(
                &cur_key,
                "parameter_invalid",
                "All line items must be in the same currency.",
            ));
        }
        currency = Some(cur);
        let amount_key = format!("line_items[{i}][price_data][unit_amount]");
        let unit_amount = integer(
            &amount_key,
            field("unit_amount", "[price_data][unit_amount]")?,
        )?;
        if !(0..=MAX_UNIT_AMOUNT).contains(&unit_amount) {
            return Err(ApiError::invalid(
                &amount_key,
                "parameter_invalid_integer",
                format!("unit_amount must be from 0 to {MAX_UNIT_AMOUNT}."),
            ));
        }
        let quantity_key = format!("line_items[{i}][quantity]");
        let quantity = integer(&quantity_key, field("quantity", "[quantity]")?)?;
        if quantity < 1 {
            return Err(ApiError::invalid(
                &quantity_key,
                "parameter_invalid_integer",
                "quantity must be at least 1.",
            ));
        }
        let name = field("name", "[price_data][product_data][name]")?;
        if name.trim().is_empty() {
            return Err(ApiError::invalid(
                &format!("line_items[{i}][price_data][product_data][name]"),
                "parameter_invalid_empty",
                "A product name cannot be empty.",
            ));
        }
        total = unit_amount
            .checked_mul(quantity)
            .and_then(|line| total.checked_add(line))
            .ok_or_else(|| {
                ApiError::invalid(&quantity_key, "amount_too_large", "The total is too large.")
            })?;
        lines.push(Line {
            name: name.to_string(),
            unit_amount,
            quantity,
        });
    }
    Ok(Session {
        id: new_id("cs_test_"),
        status: "open",
        payment_status: "unpaid",
        amount_total: total,
        currency: currency.unwrap_or_default(),
        client_reference_id,
        customer_email,
        created: now,
        expires_at,
        metadata,
        payment_intent: None,
        success_url,
        cancel_url,
        lines,
        refunded: 0,
    })
}

async fn create_session(
    State(stub): State<Stub>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    const PATH: &str = "/v1/checkout/sessions";
    let req = stub.accept(&method, PATH, &headers, &body)?;
    let key = req.idempotency_key.as_deref();
    // One lock from the key check to remembering the answer: two requests racing with one
    // key make one session.
    let mut store = stub.store();
    if let Some(replay) = store.replay(key, PATH, &req.params) {
        return replay.map(replayed);
    }
    let session = new_session(&req.params, now())?;
    let answer = session.to_json(&stub.shared.public_base);
    store.add_session(session);
    store.remember(key, PATH, req.params, &answer);
    Ok(axum::Json(answer).into_response())
}

/// A remembered answer, marked as a replay as the real API does.
fn replayed(answer: Value) -> Response {
    let mut res = axum::Json(answer).into_response();
    res.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

async fn get_session(
    State(stub): State<Stub>,
    Path(id): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, ApiError> {
    stub.accept(
        &method,
        &format!("/v1/checkout/sessions/{id}"),
        &headers,
        b"",
    )?;
    stub.session(&id)
        .map(axum::Json)
        .ok_or_else(|| ApiError::not_found("checkout.session", &id))
}

async fn expire_session(
    State(stub): State<Stub>,
    Path(id): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    stub.accept(
        &method,
        &format!("/v1/checkout/sessions/{id}/expire"),
        &headers,
        &body,
    )?;
    let expired = {
        let mut store = stub.store();
        let session = store
            .sessions
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("checkout.session", &id))?;
        if session.status != "open" {
            return Err(ApiError::invalid(
                "id",
                "checkout_session_not_open",
                format!(
                    "Only Checkout Sessions with a status in [\"open\"] can be expired; this one is {}.",
                    session.status
                ),
            ));
        }
        session.status = "expired";
        session.to_json(&stub.shared.public_base)
    };
    stub.send_event("checkout.session.expired", expired.clone())
        .await;
    Ok(axum::Json(expired))
}

async fn create_refund(
    State(stub): State<Stub>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    const PATH: &str = "/v1/refunds";
    let req = stub.accept(&method, PATH, &headers, &body)?;
    let key = req.idempotency_key.as_deref();
    for k in req.params.keys() {
        let known = matches!(k.as_str(), "payment_intent" | "amount" | "reason")
            || (k.starts_with("metadata[") && k.ends_with(']'));
        if !known {
            return Err(ApiError::unknown(k));
        }
    }
    let mut store = stub.store();
    if let Some(replay) = store.replay(key, PATH, &req.params) {
        return replay.map(replayed);
    }
    let intent = req
        .params
        .get("payment_intent")
        .ok_or_else(|| ApiError::missing("payment_intent"))?;
    let amount = req
        .params
        .get("amount")
        .map(|a| integer("amount", a))
        .transpose()?;
    let session = store.session_of_intent(intent).ok_or_else(|| {
        ApiError::invalid(
            "payment_intent",
            "resource_missing",
            format!("No such payment_intent: '{intent}'"),
        )
    })?;
    let remaining = session.amount_total - session.refunded;
    let currency = session.currency.clone();
    if remaining <= 0 {
        return Err(ApiError::invalid(
            "payment_intent",
            "charge_already_refunded",
            format!("Charge for payment_intent '{intent}' has already been refunded."),
        ));
    }
    let amount = amount.unwrap_or(remaining);
    if amount < 1 {
        return Err(ApiError::invalid(
            "amount",
            "parameter_invalid_integer",
            "amount must be a positive integer.",
        ));
    }
    if amount > remaining {
        return Err(ApiError::invalid(
            "amount",
            "amount_too_large",
            format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({}).",
                format_amount(amount, &currency),
                format_amount(remaining, &currency)
            ),
        ));
    }
    session.refunded += amount;
    let id = new_id("re_");
    let metadata: BTreeMap<&str, &str> = req
        .params
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k, v.as_str()))
        })
        .collect();
    let refund = json!({
        "id": id,
        "object": "refund",
        "amount": amount,
        "currency": currency,
        "payment_intent": intent,
        "reason": req.params.get("reason"),
        "metadata": metadata,
        "status": "succeeded",
        "created": now(),
    });
    store.add_refund(id, refund.clone());
    store.remember(key, PATH, req.params, &refund);
    Ok(axum::Json(refund).into_response())
}

async fn logged_requests(State(stub): State<Stub>) -> axum::Json<Vec<LoggedRequest>> {
    axum::Json(stub.requests())
}

async fn unknown_url(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        kind: "invalid_request_error",
        code: None,
        param: None,
        message: format!(
            "Unrecognized request URL ({method}: {}). This stub serves checkout sessions, refunds and its payment page.",
            uri.path()
        ),
    }
}

// ---------------------------------------------------------------------------------------
// The payment page.

/// Currencies whose minor unit is the whole unit (no cents), as the real API lists them.
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// An amount in minor units for people: `€12.34`, `$5.00`, `¥500`, `12.34 CHF`.
pub fn format_amount(minor: i64, currency: &str) -> String {
    let currency = currency.to_ascii_lowercase();
    let number = if ZERO_DECIMAL.contains(&currency.as_str()) {
        minor.to_string()
    } else {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    };
    match currency.as_str() {
        "eur" => format!("€{number}"),
        "usd" => format!("${number}"),
        "gbp" => format!("£{number}"),
        "jpy" => format!("¥{number}"),
        other => format!("{number} {}", other.to_ascii_uppercase()),
    }
}

/// How the page may be used: no scripts, no framing, no caching of a customer's details.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let title = html_escape::encode_text(title);
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ margin: 0; background: #f4f4f6; color: #1f2430; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }}
  main {{ max-width: 28rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); }}
  .badge {{ display: inline-block; padding: .15rem .6rem; border-radius: 999px; background: #fff4d6; color: #7a5200; font-size: .8rem; font-weight: 600; }}
  h1 {{ font-size: 1.35rem; margin: .75rem 0 .25rem; }}
  .muted {{ color: #667085; font-size: .9rem; }}
  table {{ width: 100%; border-collapse: collapse; margin: 1.25rem 0; }}
  td {{ padding: .45rem 0; border-bottom: 1px solid #eceef2; vertical-align: top; }}
  td.amount {{ text-align: right; white-space: nowrap; padding-left: 1rem; }}
  tr.total td {{ border-bottom: 0; font-weight: 700; padding-top: .8rem; }}
  button {{ width: 100%; padding: .8rem 1rem; border: 0; border-radius: 8px; background: #4f46e5; color: #fff; font: inherit; font-weight: 600; cursor: pointer; }}
  button:hover {{ background: #4338ca; }}
  .cancel {{ display: block; text-align: center; margin-top: 1rem; color: #4f46e5; }}
</style>
</head>
<body>
<main>
<span class="badge">Test mode</span>
{body}
</main>
</body>
</html>
"#
    );
    let mut res = (status, Html(html)).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    res
}

fn attr(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_double_quoted_attribute(s)
}

fn text(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

fn missing_page(id: &str) -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Payment not found",
        &format!(
            "<h1>Payment not found</h1><p class=\"muted\">There is no payment session <code>{}</code> here (it may have been forgotten after a restart).</p>",
            text(id)
        ),
    )
}

fn expired_page(cancel_url: Option<&str>) -> Response {
    let back = cancel_url
        .map(|u| {
            format!(
                "<a class=\"cancel\" href=\"{}\">Back to the shop</a>",
                attr(u)
            )
        })
        .unwrap_or_default();
    page(
        StatusCode::GONE,
        "Payment expired",
        &format!(
            "<h1>This payment has expired</h1><p class=\"muted\">Nothing was charged. Go back to the shop to check out again.</p>{back}"
        ),
    )
}

/// Marks an open session past its time expired; answers its JSON when it changed, for the
/// expired event (as the real provider expires sessions on its own).
fn expire_if_due(session: &mut Session, now: i64, public_base: &str) -> Option<Value> {
    if session.status == "open" && now >= session.expires_at {
        session.status = "expired";
        Some(session.to_json(public_base))
    } else {
        None
    }
}

async fn pay_page(State(stub): State<Stub>, Path(id): Path<String>) -> Response {
    let (session, newly_expired) = {
        let mut store = stub.store();
        let Some(session) = store.sessions.get_mut(&id) else {
            return missing_page(&id);
        };
        let expired = expire_if_due(session, now(), &stub.shared.public_base);
        (session.clone(), expired)
    };
    if let Some(expired) = newly_expired {
        stub.send_event("checkout.session.expired", expired).await;
    }
    match session.status {
        "expired" => expired_page(session.cancel_url.as_deref()),
        "complete" => page(
            StatusCode::OK,
            "Payment complete",
            &format!(
                "<h1>This payment is complete</h1><p class=\"muted\">{} was paid.</p><a class=\"cancel\" href=\"{}\">Back to the shop</a>",
                text(&format_amount(session.amount_total, &session.currency)),
                attr(&session.success_redirect())
            ),
        ),
        _ => checkout_page(&session),
    }
}

fn checkout_page(session: &Session) -> Response {
    let total = format_amount(session.amount_total, &session.currency);
    let rows: String = session
        .lines
        .iter()
        .map(|l| {
            let line_total = l.unit_amount.saturating_mul(l.quantity);
            format!(
                "<tr><td>{} <span class=\"muted\">× {}</span></td><td class=\"amount\">{}</td></tr>",
                text(&l.name),
                l.quantity,
                text(&format_amount(line_total, &session.currency))
            )
        })
        .collect();
    let email = session
        .customer_email
        .as_deref()
        .map(|e| {
            format!(
                "<p class=\"muted\">Receipt to <strong>{}</strong></p>",
                text(e)
            )
        })
        .unwrap_or_default();
    let cancel = session
        .cancel_url
        .as_deref()
        .map(|u| {
            format!(
                "<a class=\"cancel\" href=\"{}\">Cancel and go back</a>",
                attr(u)
            )
        })
        .unwrap_or_default();
    page(
        StatusCode::OK,
        &format!("Pay {total}"),
        &format!(
            r#"<h1>Test payment — no real money moves</h1>
<p class="muted">This page stands in for the payment provider while developing and testing. Paying marks the order paid.</p>
{email}
<table>
{rows}
<tr class="total"><td>Total</td><td class="amount">{total_text}</td></tr>
</table>
<form method="post" data-stub-pay>
<input type="hidden" name="pay" value="1">
<button type="submit">Pay {total_text}</button>
</form>
{cancel}"#,
            total_text = text(&total),
        ),
    )
}

async fn pay(State(stub): State<Stub>, Path(id): Path<String>) -> Response {
    enum Outcome {
        Paid(Value, String),
        AlreadyPaid(String),
        Expired(Option<String>, Option<Value>),
    }
    let outcome = {
        let mut store = stub.store();
        let Some(session) = store.sessions.get_mut(&id) else {
            return missing_page(&id);
        };
        let newly_expired = expire_if_due(session, now(), &stub.shared.public_base);
        match session.status {
            "open" => {
                session.status = "complete";
                session.payment_status = "paid";
                session.payment_intent = Some(new_id("pi_test_"));
                Outcome::Paid(
                    session.to_json(&stub.shared.public_base),
                    session.success_redirect(),
                )
            }
            "complete" => Outcome::AlreadyPaid(session.success_redirect()),
            _ => Outcome::Expired(session.cancel_url.clone(), newly_expired),
        }
    };
    let to = match outcome {
        Outcome::Paid(completed, to) => {
            // Awaited: the customer lands on the shop's confirmation after the shop knows.
            stub.send_event("checkout.session.completed", completed)
                .await;
            to
        }
        // Paying twice sends nothing more; the customer just goes back.
        Outcome::AlreadyPaid(to) => to,
        Outcome::Expired(cancel_url, newly_expired) => {
            if let Some(expired) = newly_expired {
                stub.send_event("checkout.session.expired", expired).await;
            }
            return expired_page(cancel_url.as_deref());
        }
    };
    match HeaderValue::from_str(&to) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => page(
            StatusCode::OK,
            "Payment complete",
            "<h1>Paid</h1><p class=\"muted\">The shop's return address cannot be followed.</p>",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::signature::{EventKind, ProviderEvent};
    use crate::payments::stripe::Stripe;
    use crate::payments::{CheckoutLine, NewCheckout, PaymentError, PaymentProvider};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const KEY: &str = "sk_test_stub_key";
    const WHSEC: &str = "whsec_stub_secret";

    async fn start() -> RunningStub {
        spawn_with_retry_delay(
            StubConfig {
                webhook_url: None,
                webhook_secret: WHSEC.into(),
                public_base: String::new(),
                secret_key: KEY.into(),
            },
            Duration::from_millis(10),
        )
        .await
        .expect("stub")
    }

    /// A webhook endpoint on its own loopback port: it verifies each delivery's signature
    /// and keeps the events; the first `fail_first` deliveries get `fail_status`.
    #[derive(Clone)]
    struct Receiver {
        url: String,
        events: Arc<Mutex<Vec<ProviderEvent>>>,
        attempts: Arc<AtomicUsize>,
    }

    async fn receiver(fail_first: usize, fail_status: StatusCode) -> Receiver {
        let events = Arc::new(Mutex::new(Vec::new()));
        let attempts = Arc::new(AtomicUsize::new(0));
        let (ev, at) = (events.clone(), attempts.clone());
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let (ev, at) = (ev.clone(), at.clone());
                async move {
                    if at.fetch_add(1, Ordering::SeqCst) < fail_first {
                        return fail_status;
                    }
                    let sig = headers
                        .get("stripe-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    if signature::verify(sig, &body, WHSEC, now(), 300).is_err() {
                        return StatusCode::BAD_REQUEST;
                    }
                    let event = signature::parse_event(&body).expect("event json");
                    ev.lock().unwrap().push(event);
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            url,
            events,
            attempts,
        }
    }

    impl Receiver {
        fn events(&self) -> Vec<ProviderEvent> {
            self.events.lock().unwrap().clone()
        }
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    fn order(key: &str) -> NewCheckout {
        NewCheckout {
            order_id: 7,
            order_token: "tok_7".into(),
            currency: "EUR".into(),
            email: "ada@example.com".into(),
            lines: vec![
                CheckoutLine {
                    name: "Mug <Sand> & co".into(),
                    unit_amount: 1200,
                    quantity: 2,
                },
                CheckoutLine {
                    name: "Canoe deposit".into(),
                    unit_amount: 2400,
                    quantity: 1,
                },
            ],
            success_url: "http://demo.localhost/orders/tok_7?session={CHECKOUT_SESSION_ID}".into(),
            cancel_url: "http://demo.localhost/checkout".into(),
            expires_at: now() + 30 * 60,
            idempotency_key: key.into(),
        }
    }

    async fn logged(stub: &RunningStub) -> Vec<Value> {
        client()
            .get(format!("{}/_stub/requests", stub.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// POSTs a raw form to the stub's API with the right key; status and JSON answer.
    async fn api<F: Serialize + ?Sized>(stub: &RunningStub, path: &str, form: &F) -> (u16, Value) {
        let res = client()
            .post(format!("{}{path}", stub.base))
            .bearer_auth(KEY)
            .form(form)
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn the_stripe_provider_checks_out_pays_and_refunds_against_the_stub() {
        let stub = start().await;
        let hook = receiver(0, StatusCode::OK).await;
        stub.stub.set_webhook_url(Some(hook.url.clone()));
        let stripe = Stripe::new(&stub.base, KEY).unwrap();

        // A session, created twice with one key: one session.
        let session = stripe
            .create_checkout(&order("vitrine-order-tok_7"))
            .await
            .unwrap();
        assert!(session.id.starts_with("cs_test_"), "{session:?}");
        assert_eq!(session.url, format!("{}/pay/{}", stub.base, session.id));
        let again = stripe
            .create_checkout(&order("vitrine-order-tok_7"))
            .await
            .unwrap();
        assert_eq!(again.id, session.id, "same key, same session");

        // What arrived: the form and the key.
        let sent = logged(&stub).await;
        assert_eq!(sent.len(), 2);
        let first = &sent[0];
        assert_eq!(first["method"], "POST");
        assert_eq!(first["path"], "/v1/checkout/sessions");
        assert_eq!(first["idempotency_key"], "vitrine-order-tok_7");
        let params = &first["params"];
        assert_eq!(params["mode"], "payment");
        assert_eq!(params["client_reference_id"], "tok_7");
        assert_eq!(params["metadata[order_id]"], "7");
        assert_eq!(params["customer_email"], "ada@example.com");
        assert_eq!(params["line_items[0][price_data][currency]"], "eur");
        assert_eq!(params["line_items[0][price_data][unit_amount]"], "1200");
        assert_eq!(
            params["line_items[0][price_data][product_data][name]"],
            "Mug <Sand> & co"
        );
        assert_eq!(params["line_items[0][quantity]"], "2");
        assert_eq!(params["line_items[1][price_data][unit_amount]"], "2400");
        assert!(!first.to_string().contains(KEY), "the key is never logged");
        let shown = stub.stub.session(&session.id).unwrap();
        assert_eq!(shown["amount_total"], 4800);
        assert_eq!(shown["status"], "open");
        assert_eq!(shown["payment_intent"], Value::Null);

        // The payment page: the lines (escaped), total, email, the form and a way back.
        let page = client().get(&session.url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        for part in [
            "Test payment — no real money moves",
            "Mug &lt;Sand&gt; &amp; co",
            "€24.00",
            "€48.00",
            "ada@example.com",
            "<form method=\"post\" data-stub-pay>",
            "Pay €48.00",
            "href=\"http://demo.localhost/checkout\"",
        ] {
            assert!(html.contains(part), "{part} missing from {html}");
        }
        assert!(!html.contains("<Sand>"));

        // Paying: the signed event arrives before the customer is sent back.
        let res = client()
            .post(&session.url)
            .form(&[("pay", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            res.headers()["location"],
            format!("http://demo.localhost/orders/tok_7?session={}", session.id).as_str()
        );
        let events = hook.events();
        assert_eq!(events.len(), 1, "{events:?}");
        let EventKind::CheckoutCompleted {
            session_id,
            client_reference_id,
            payment_intent,
            amount_total,
            currency,
            payment_status,
        } = events[0].kind.clone()
        else {
            panic!("{events:?}")
        };
        assert!(events[0].id.starts_with("evt_"));
        assert_eq!(session_id, session.id);
        assert_eq!(client_reference_id.as_deref(), Some("tok_7"));
        assert_eq!(amount_total, Some(4800));
        assert_eq!(currency.as_deref(), Some("eur"));
        assert_eq!(payment_status.as_deref(), Some("paid"));
        let intent = payment_intent.expect("a payment intent");
        assert!(intent.starts_with("pi_"), "{intent}");

        // Paying twice sends the customer back again but no second event.
        let res = client()
            .post(&session.url)
            .form(&[("pay", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(hook.events().len(), 1);
        let html = client()
            .get(&session.url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("This payment is complete") && !html.contains("data-stub-pay"));

        // A partial refund, replayed by key; then more than is left is refused.
        let refund = stripe.refund(&intent, 2400, "return-1").await.unwrap();
        assert!(refund.id.starts_with("re_"));
        assert_eq!((refund.amount, refund.status.as_str()), (2400, "succeeded"));
        let replay = stripe.refund(&intent, 2400, "return-1").await.unwrap();
        assert_eq!(replay.id, refund.id, "same key, same refund");
        let e = stripe
            .refund(&intent, 2401, "return-2")
            .await
            .expect_err("over-refund");
        let PaymentError::Rejected { status, message } = e else {
            panic!("{e:?}")
        };
        assert_eq!(status, 400);
        assert!(
            message.contains("€24.01") && message.contains("€24.00"),
            "{message}"
        );
        // The same key with other parameters is an idempotency error.
        let e = stripe
            .refund(&intent, 100, "return-1")
            .await
            .expect_err("key reuse");
        assert!(
            matches!(&e, PaymentError::Rejected { status: 400, message } if message.contains("same parameters")),
            "{e:?}"
        );
        // Without an amount, the rest is refunded; after that nothing is left.
        let (status, rest) = api(&stub, "/v1/refunds", &[("payment_intent", &intent)]).await;
        assert_eq!(
            (status, rest["amount"].as_i64()),
            (200, Some(2400)),
            "{rest}"
        );
        let e = stripe
            .refund(&intent, 1, "return-3")
            .await
            .expect_err("nothing left");
        assert!(
            matches!(&e, PaymentError::Rejected { message, .. } if message.contains("already been refunded")),
            "{e:?}"
        );
        let e = stripe
            .refund("pi_unknown", 1, "return-4")
            .await
            .expect_err("unknown");
        assert!(
            matches!(e, PaymentError::Rejected { status: 400, .. }),
            "{e:?}"
        );
        let refunds: Vec<_> = logged(&stub)
            .await
            .into_iter()
            .filter(|r| r["path"] == "/v1/refunds")
            .collect();
        assert_eq!(refunds[0]["params"]["amount"], "2400");
        assert_eq!(refunds[0]["params"]["payment_intent"], intent.as_str());
        assert_eq!(refunds[0]["idempotency_key"], "return-1");
    }

    #[tokio::test]
    async fn a_key_reused_for_another_order_is_an_idempotency_error() {
        let stub = start().await;
        let stripe = Stripe::new(&stub.base, KEY).unwrap();
        stripe.create_checkout(&order("k-1")).await.unwrap();
        let mut other = order("k-1");
        other.lines[0].quantity = 3;
        let e = stripe
            .create_checkout(&other)
            .await
            .expect_err("reused key");
        assert!(
            matches!(&e, PaymentError::Rejected { status: 400, message } if message.contains("'k-1'")),
            "{e:?}"
        );
        // Without a key every request is new.
        let (s1, a) = api(&stub, "/v1/checkout/sessions", &form(&[])).await;
        let (s2, b) = api(&stub, "/v1/checkout/sessions", &form(&[])).await;
        assert_eq!((s1, s2), (200, 200));
        assert_ne!(a["id"], b["id"]);
    }

    #[tokio::test]
    async fn the_api_wants_the_secret_key_as_a_bearer_token() {
        let stub = start().await;
        let url = format!("{}/v1/checkout/sessions", stub.base);
        for auth in [None, Some("Bearer sk_test_wrong_1234"), Some(KEY)] {
            let mut req = client().post(&url).form(&form(&[]));
            if let Some(auth) = auth {
                req = req.header("authorization", auth);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 401, "{auth:?}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["type"], "invalid_request_error");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                !message.contains("wrong"),
                "only the key's end is named: {message}"
            );
        }
        let stripe = Stripe::new(&stub.base, "sk_test_other").unwrap();
        let e = stripe.create_checkout(&order("k")).await.expect_err("401");
        assert!(
            matches!(e, PaymentError::Rejected { status: 401, .. }),
            "{e:?}"
        );
        // Reading a session needs the key too; an unknown one is 404 in the API's shape.
        let res = client()
            .get(format!("{}/v1/checkout/sessions/cs_nope", stub.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let res = client()
            .get(format!("{}/v1/checkout/sessions/cs_nope", stub.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "resource_missing");
        // Unknown URLs answer in the API's shape as well.
        let res = client()
            .get(format!("{}/v1/charges", stub.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        assert!(res.json::<Value>().await.unwrap()["error"]["message"].is_string());
    }

    /// A valid session form, with `changes` replacing (or, with an empty value, removing)
    /// parameters.
    fn form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, String)> {
        let expires = (now() + 3600).to_string();
        let mut form: Vec<(&str, String)> = vec![
            ("mode", "payment".into()),
            ("success_url", "http://shop.localhost/ok".into()),
            ("cancel_url", "http://shop.localhost/cancel".into()),
            ("customer_email", "a@example.com".into()),
            ("client_reference_id", "tok".into()),
            ("metadata[order_id]", "1".into()),
            ("expires_at", expires),
            ("line_items[0][price_data][currency]", "eur".into()),
            ("line_items[0][price_data][unit_amount]", "500".into()),
            (
                "line_items[0][price_data][product_data][name]",
                "Mug".into(),
            ),
            ("line_items[0][quantity]", "1".into()),
        ];
        for (key, value) in changes {
            form.retain(|(k, _)| k != key);
            if !value.is_empty() {
                form.push((key, value.to_string()));
            }
        }
        form
    }

    #[tokio::test]
    async fn bad_session_parameters_are_400s_that_name_the_parameter() {
        let stub = start().await;
        let soon = (now() + 60).to_string();
        let late = (now() + 25 * 3600).to_string();
        let long_ref = "r".repeat(MAX_CLIENT_REFERENCE_CHARS + 1);
        let long_meta = "m".repeat(MAX_METADATA_VALUE_CHARS + 1);
        let too_much = (MAX_UNIT_AMOUNT + 1).to_string();
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("success_url", "")], "success_url"),
            (vec![("success_url", "not a url")], "success_url"),
            (vec![("mode", "")], "mode"),
            (vec![("mode", "subscription")], "mode"),
            (vec![("customer_email", "nobody")], "customer_email"),
            (vec![("expires_at", &soon)], "expires_at"),
            (vec![("expires_at", &late)], "expires_at"),
            (vec![("expires_at", "soon")], "expires_at"),
            (
                vec![("client_reference_id", &long_ref)],
                "client_reference_id",
            ),
            (vec![("metadata[note]", &long_meta)], "metadata[note]"),
            (vec![("colour", "blue")], "colour"),
            (
                vec![("line_items[0][price_data][currency]", "")],
                "line_items[0][price_data][currency]",
            ),
            (
                vec![("line_items[0][price_data][currency]", "euro")],
                "line_items[0][price_data][currency]",
            ),
            (
                vec![("line_items[0][price_data][unit_amount]", "-1")],
                "line_items[0][price_data][unit_amount]",
            ),
            (
                vec![("line_items[0][price_data][unit_amount]", "12.5")],
                "line_items[0][price_data][unit_amount]",
            ),
            (
                vec![("line_items[0][price_data][unit_amount]", &too_much)],
                "line_items[0][price_data][unit_amount]",
            ),
            (
                vec![("line_items[0][quantity]", "0")],
                "line_items[0][quantity]",
            ),
            (
                vec![("line_items[0][quantity]", "")],
                "line_items[0][quantity]",
            ),
            (
                vec![("line_items[0][price_data][product_data][name]", " ")],
                "line_items[0][price_data][product_data][name]",
            ),
            (
                vec![("line_items[0][price]", "price_123")],
                "line_items[0][price]",
            ),
            (
                vec![("line_items[1][quantity]", "1")],
                "line_items[1][price_data][currency]",
            ),
            (
                vec![
                    ("line_items[2][price_data][currency]", "eur"),
                    ("line_items[2][price_data][unit_amount]", "1"),
                    ("line_items[2][price_data][product_data][name]", "Gap"),
                    ("line_items[2][quantity]", "1"),
                ],
                "line_items",
            ),
            (
                vec![
                    ("line_items[1][price_data][currency]", "usd"),
                    ("line_items[1][price_data][unit_amount]", "1"),
                    ("line_items[1][price_data][product_data][name]", "Dollar"),
                    ("line_items[1][quantity]", "1"),
                ],
                "line_items[1][price_data][currency]",
            ),
        ];
        for (changes, param) in cases {
            let (status, body) = api(&stub, "/v1/checkout/sessions", &form(&changes)).await;
            assert_eq!(status, 400, "{changes:?}: {body}");
            assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
            assert_eq!(body["error"]["param"], param, "{changes:?}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().len() > 5);
        }
        // No line items at all.
        let mut bare = form(&[]);
        bare.retain(|(k, _)| !k.starts_with("line_items"));
        let (status, body) = api(&stub, "/v1/checkout/sessions", &bare).await;
        assert_eq!(
            (status, body["error"]["param"].as_str()),
            (400, Some("line_items"))
        );
        // A parameter given twice.
        let res = client()
            .post(format!("{}/v1/checkout/sessions", stub.base))
            .bearer_auth(KEY)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "{}&mode=payment",
                serde_urlencoded::to_string(form(&[])).unwrap()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        // The edges that are fine: a free item, no expiry given (24 hours), expiry just
        // under 30 minutes (the caller's clock ran a moment ahead).
        let just_under = (now() + MIN_SESSION_SECS - 5).to_string();
        let (status, body) = api(
            &stub,
            "/v1/checkout/sessions",
            &form(&[
                ("line_items[0][price_data][unit_amount]", "0"),
                ("expires_at", &just_under),
            ]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["amount_total"], 0);
        let (status, body) =
            api(&stub, "/v1/checkout/sessions", &form(&[("expires_at", "")])).await;
        assert_eq!(status, 200, "{body}");
        assert!((body["expires_at"].as_i64().unwrap() - now() - MAX_SESSION_SECS).abs() < 5);
    }

    #[tokio::test]
    async fn at_most_a_hundred_line_items_and_fifty_metadata_keys_and_256_kib() {
        let stub = start().await;
        let items = |n: usize| -> Vec<(String, String)> {
            let mut f: Vec<(String, String)> = form(&[])
                .into_iter()
                .filter(|(k, _)| !k.starts_with("line_items"))
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            for i in 0..n {
                f.push((
                    format!("line_items[{i}][price_data][currency]"),
                    "eur".into(),
                ));
                f.push((
                    format!("line_items[{i}][price_data][unit_amount]"),
                    "1".into(),
                ));
                f.push((
                    format!("line_items[{i}][price_data][product_data][name]"),
                    format!("Item {i}"),
                ));
                f.push((format!("line_items[{i}][quantity]"), "1".into()));
            }
            f
        };
        let post = |f: Vec<(String, String)>| {
            let url = format!("{}/v1/checkout/sessions", stub.base);
            async move {
                client()
                    .post(url)
                    .bearer_auth(KEY)
                    .form(&f)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let res = post(items(MAX_LINE_ITEMS)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["amount_total"], 100);
        let res = post(items(MAX_LINE_ITEMS + 1)).await;
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"]["param"],
            "line_items"
        );

        let mut meta = items(1);
        meta.retain(|(k, _)| !k.starts_with("metadata"));
        for i in 0..MAX_METADATA_KEYS {
            meta.push((format!("metadata[k{i}]"), "v".into()));
        }
        assert_eq!(post(meta.clone()).await.status(), 200);
        meta.push(("metadata[one_more]".into(), "v".into()));
        let res = post(meta).await;
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"]["param"],
            "metadata"
        );
        let mut long_key = items(1);
        long_key.push((
            format!("metadata[{}]", "k".repeat(MAX_METADATA_KEY_CHARS + 1)),
            "v".into(),
        ));
        assert_eq!(post(long_key).await.status(), 400);

        let mut huge = items(1);
        huge.push(("metadata[big]".into(), "x".repeat(MAX_BODY_BYTES)));
        assert_eq!(post(huge).await.status(), 413);
    }

    #[tokio::test]
    async fn expiring_a_session_sends_the_signed_expired_event_and_closes_the_page() {
        let stub = start().await;
        let hook = receiver(0, StatusCode::OK).await;
        stub.stub.set_webhook_url(Some(hook.url.clone()));
        let stripe = Stripe::new(&stub.base, KEY).unwrap();
        let session = stripe.create_checkout(&order("k-exp")).await.unwrap();
        let expire = format!("/v1/checkout/sessions/{}/expire", session.id);
        let (status, body) = api(&stub, &expire, &[("", ""); 0]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "expired");
        assert_eq!(body["url"], Value::Null);
        assert_eq!(
            hook.events(),
            vec![ProviderEvent {
                id: hook.events()[0].id.clone(),
                kind: EventKind::CheckoutExpired {
                    session_id: session.id.clone(),
                    client_reference_id: Some("tok_7".into())
                }
            }]
        );
        // Twice is refused; the page says expired and paying does nothing.
        let (status, body) = api(&stub, &expire, &[("", ""); 0]).await;
        assert_eq!(status, 400, "{body}");
        let page = client().get(&session.url).send().await.unwrap();
        assert_eq!(page.status(), 410);
        assert!(page.text().await.unwrap().contains("expired"));
        let res = client().post(&session.url).send().await.unwrap();
        assert_eq!(res.status(), 410);
        assert_eq!(
            hook.events().len(),
            1,
            "no payment event for an expired session"
        );
        let (status, _) = api(
            &stub,
            "/v1/checkout/sessions/cs_nope/expire",
            &[("", ""); 0],
        )
        .await;
        assert_eq!(status, 404);
        // Unknown payment pages are a plain 404.
        let res = client()
            .get(format!("{}/pay/cs_nope", stub.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }

    #[tokio::test]
    async fn a_session_past_its_time_expires_when_visited_and_cannot_be_paid() {
        let stub = start().await;
        let hook = receiver(0, StatusCode::OK).await;
        stub.stub.set_webhook_url(Some(hook.url.clone()));
        let session = Stripe::new(&stub.base, KEY)
            .unwrap()
            .create_checkout(&order("k-late"))
            .await
            .unwrap();
        stub.stub
            .store()
            .sessions
            .get_mut(&session.id)
            .unwrap()
            .expires_at = now() - 1;
        let res = client().post(&session.url).send().await.unwrap();
        assert_eq!(res.status(), 410);
        let events = hook.events();
        assert_eq!(events.len(), 1);
        assert!(
            matches!(events[0].kind, EventKind::CheckoutExpired { .. }),
            "{events:?}"
        );
        assert_eq!(stub.stub.session(&session.id).unwrap()["status"], "expired");
    }

    async fn paid_with(hook: &Receiver, stub: &RunningStub) -> Duration {
        stub.stub.set_webhook_url(Some(hook.url.clone()));
        let session = Stripe::new(&stub.base, KEY)
            .unwrap()
            .create_checkout(&order(&new_id("k-")))
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let res = client().post(&session.url).send().await.unwrap();
        assert_eq!(
            res.status(),
            303,
            "the customer goes back whatever the webhook did"
        );
        started.elapsed()
    }

    #[tokio::test]
    async fn webhooks_are_retried_three_times_on_5xx_and_network_errors_only() {
        let stub = start().await;
        // Two failures, then taken: delivered on the third attempt.
        let flaky = receiver(2, StatusCode::SERVICE_UNAVAILABLE).await;
        paid_with(&flaky, &stub).await;
        assert_eq!(flaky.attempts.load(Ordering::SeqCst), 3);
        assert_eq!(flaky.events().len(), 1);
        // Always failing: the first try and three retries, then given up.
        let down = receiver(usize::MAX, StatusCode::INTERNAL_SERVER_ERROR).await;
        paid_with(&down, &stub).await;
        assert_eq!(
            down.attempts.load(Ordering::SeqCst),
            1 + WEBHOOK_RETRIES as usize
        );
        // A refusal is final.
        let refusing = receiver(usize::MAX, StatusCode::BAD_REQUEST).await;
        paid_with(&refusing, &stub).await;
        assert_eq!(refusing.attempts.load(Ordering::SeqCst), 1);
        // Nobody listening: retried, then the customer still goes back.
        let gone = Receiver {
            url: "http://127.0.0.1:9/hook".into(),
            ..refusing.clone()
        };
        let took = paid_with(&gone, &stub).await;
        assert!(took < Duration::from_secs(10), "{took:?}");
    }

    #[test]
    fn the_store_keeps_the_newest_ten_thousand_objects_and_a_thousand_requests() {
        let mut store = Store::new(MAX_OBJECTS, MAX_LOGGED_REQUESTS);
        let params = BTreeMap::from([("mode".to_string(), "payment".to_string())]);
        let session = new_session(&form_map(), now()).unwrap();
        for i in 0..=MAX_OBJECTS {
            let mut s = session.clone();
            s.id = format!("cs_{i}");
            store.add_session(s);
            store.add_refund(format!("re_{i}"), json!({"id": i}));
            store.remember(
                Some(&format!("key-{i}")),
                "/v1/refunds",
                params.clone(),
                &json!(i),
            );
        }
        assert_eq!(store.sessions.len(), MAX_OBJECTS);
        assert!(!store.sessions.contains_key("cs_0"), "the oldest went");
        assert!(store.sessions.contains_key("cs_1") && store.sessions.contains_key("cs_10000"));
        assert_eq!(store.refunds.len(), MAX_OBJECTS);
        assert!(!store.refunds.contains_key("re_0"));
        assert_eq!(store.idempotency.len(), MAX_OBJECTS);
        assert!(
            store
                .replay(Some("key-0"), "/v1/refunds", &params)
                .is_none(),
            "forgotten"
        );
        assert!(matches!(
            store.replay(Some("key-1"), "/v1/refunds", &params),
            Some(Ok(_))
        ));

        for i in 0..=MAX_LOGGED_REQUESTS {
            store.log(LoggedRequest {
                method: "POST".into(),
                path: format!("/v1/{i}"),
                idempotency_key: None,
                params: BTreeMap::new(),
            });
        }
        assert_eq!(store.log.len(), MAX_LOGGED_REQUESTS);
        assert_eq!(store.log.front().unwrap().path, "/v1/1");
        assert_eq!(
            store.log.back().unwrap().path,
            format!("/v1/{MAX_LOGGED_REQUESTS}")
        );
    }

    fn form_map() -> BTreeMap<String, String> {
        form(&[])
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    #[tokio::test]
    async fn the_request_log_over_http_is_bounded_too() {
        let stub = start().await;
        for _ in 0..MAX_LOGGED_REQUESTS + 5 {
            let res = client()
                .get(format!("{}/v1/checkout/sessions/cs_x", stub.base))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401);
        }
        assert_eq!(logged(&stub).await.len(), MAX_LOGGED_REQUESTS);
    }

    #[test]
    fn amounts_read_as_people_expect() {
        assert_eq!(format_amount(1234, "eur"), "€12.34");
        assert_eq!(format_amount(1234, "EUR"), "€12.34");
        assert_eq!(format_amount(5, "usd"), "$0.05");
        assert_eq!(format_amount(100_000, "gbp"), "£1000.00");
        assert_eq!(format_amount(500, "jpy"), "¥500");
        assert_eq!(format_amount(1234, "chf"), "12.34 CHF");
        assert_eq!(format_amount(1234, "krw"), "1234 KRW");
        assert_eq!(format_amount(-250, "eur"), "€-2.50");
    }

    #[test]
    fn generated_secrets_are_random_and_prefixed() {
        let a = generate_secret("whsec_");
        assert!(
            a.starts_with("whsec_") && a.len() == "whsec_".len() + 48,
            "{a}"
        );
        assert_ne!(a, generate_secret("whsec_"));
    }
}
