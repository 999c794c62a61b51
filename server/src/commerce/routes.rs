//! The commerce HTTP routes. The customer's (`/api/cart…`, `/api/checkout-session`) take a
//! plain HTML form from the storefront (and answer `303` back to the cart or on to the
//! payment page, with a one-time message) or JSON for headless clients (`Accept:
//! application/json` or a JSON body; answers are the types of `app::commerce`). The shop is
//! the request's Host, as everywhere on the storefront. The operator's (`/api/returns`, the
//! order list and page under `/api/v1`) need a session and a role in the order's shop.

use super::{CommerceError, cart, checkout, orders};
use crate::api::require_role;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppJson};
use crate::state::AppState;
use crate::storefront::request_host;
use crate::tenancy::Tenant;
use app::commerce::{
    CartAdd, CartUpdate, CartView, CheckoutRequest, CheckoutResponse, OrderList, OrderStatus,
    OrderView, ReturnRequest,
};
use app::route::Route;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use entity::{shop, shop_order};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The largest cart or checkout request body read.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The customer's routes (no session: the cart cookie is the only state).
pub fn storefront_routes() -> Router<AppState> {
    Router::new()
        .route("/api/cart", get(show_cart).post(add))
        .route(
            "/api/cart/lines/{id}",
            post(update_form).patch(update_json).delete(remove_json),
        )
        .route("/api/cart/lines/{id}/remove", post(remove_form))
        .route("/api/checkout-session", post(checkout_session))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .route(
            "/api/webhooks/stripe",
            post(super::webhook::stripe)
                .layer(DefaultBodyLimit::max(super::webhook::MAX_WEBHOOK_BYTES)),
        )
}

/// The operator's routes outside `/api/v1` (behind the session layer).
pub fn operator_routes() -> Router<AppState> {
    Router::new()
        .route("/api/returns", post(record_return))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn(crate::auth::check_origin))
}

/// The order routes under `/api/v1`.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/shops/{shop}/orders", get(list_orders))
        .route("/orders/{id}", get(show_order))
}

/// A request body given as an HTML form or as JSON; `json` says which (and so how to answer).
pub struct Input<T> {
    pub value: T,
    pub json: bool,
}

impl<T, S> FromRequest<S> for Input<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/json") {
            let AppJson(value) = AppJson::<T>::from_request(req, state).await?;
            Ok(Input { value, json: true })
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let Form(value) = Form::<T>::from_request(req, state)
                .await
                .map_err(|r| AppError::Body(r.status(), r.body_text()))?;
            Ok(Input { value, json: false })
        } else {
            Err(AppError::Body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send a form (application/x-www-form-urlencoded) or JSON (application/json)".into(),
            ))
        }
    }
}

impl<T> Input<T> {
    /// Whether to answer with JSON: the body was JSON, or the client asked for it.
    fn answers_json(&self, headers: &HeaderMap) -> bool {
        self.json || wants_json(headers)
    }
}

/// Whether the client asked for JSON answers.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// The shop the request's Host names.
async fn tenant(state: &AppState, headers: &HeaderMap) -> Result<Arc<Tenant>, AppError> {
    let host = request_host(headers).ok_or(AppError::Missing("no shop at this address".into()))?;
    let tenant = state
        .tenants
        .resolve(&state.db, &host)
        .await?
        .ok_or(AppError::Missing("no shop at this address".into()))?;
    tracing::Span::current().record("shop_id", tenant.shop.id);
    Ok(tenant)
}

/// `303 See Other` to `location` (never cached), setting the cart cookie when it is new.
fn see_other(location: &str, new_cookie: Option<HeaderValue>) -> Response {
    with_cookie(crate::auth::see_other(location), new_cookie)
}

/// A JSON answer, never cached, setting the cart cookie when it is new.
fn json_answer<T: serde::Serialize>(
    status: StatusCode,
    body: &T,
    new_cookie: Option<HeaderValue>,
) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    with_cookie(res, new_cookie)
}

fn with_cookie(mut res: Response, new_cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = new_cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

/// The visitor's cart in this shop, created (with a cookie to set) when they have none.
async fn cart_for_change(
    state: &AppState,
    headers: &HeaderMap,
    shop: &shop::Model,
) -> Result<(entity::cart::Model, Option<HeaderValue>), AppError> {
    let token = cart::token_from(headers);
    let (cart, new_token) = cart::find_or_create(&state.db, shop.id, token.as_deref()).await?;
    let cookie = new_token.map(|t| cart::cookie(&t, !state.config.is_dev()));
    Ok((cart, cookie))
}

/// The visitor's cart in this shop, if they have one.
async fn existing_cart(
    state: &AppState,
    headers: &HeaderMap,
    shop: &shop::Model,
) -> Result<Option<entity::cart::Model>, AppError> {
    match cart::token_from(headers) {
        Some(token) => Ok(cart::find(&state.db, shop.id, &token).await?),
        None => Ok(None),
    }
}

/// Answers a cart change: JSON gets the cart (or the error); a form goes back to the cart
/// page, which shows what happened once. The turn is held until the answer is ready, so
/// at most the gate's permits of cart requests use the CPU at once.
async fn answer_change(
    state: &AppState,
    shop: &shop::Model,
    cart: &entity::cart::Model,
    (outcome, turn): (Result<String, CommerceError>, super::Turn),
    json: bool,
    cookie: Option<HeaderValue>,
) -> Result<Response, AppError> {
    if json {
        let _message = outcome?;
        // A headless client reads answers, not flashes: clear one a form change left.
        if cart.flash.is_some() {
            cart::set_flash(&state.db, cart.id, None).await?;
        }
        let view = cart::view(&state.db, shop, Some(cart), false).await?;
        drop(turn);
        return Ok(json_answer(StatusCode::OK, &view, cookie));
    }
    let flash = match outcome {
        Ok(message) => cart::success(message),
        // Database failures are ours: the customer sees the error page, not a flash.
        Err(CommerceError::Db(e)) => return Err(AppError::Db(e)),
        Err(e) => cart::failure(capitalised(&e.to_string())),
    };
    cart::set_flash(&state.db, cart.id, Some(flash)).await?;
    Ok(see_other(&Route::Cart.path(), cookie))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `GET /api/cart` (JSON).
async fn show_cart(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let tenant = tenant(&state, &headers).await?;
    let cart = existing_cart(&state, &headers, &tenant.shop).await?;
    let view: CartView = cart::view(&state.db, &tenant.shop, cart.as_ref(), false).await?;
    Ok(json_answer(StatusCode::OK, &view, None))
}

/// `POST /api/cart`: adds a variant (`variant_id`, `quantity`, a rental's `start_date` and
/// `end_date`).
async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    input: Input<CartAdd>,
) -> Result<Response, AppError> {
    let tenant = tenant(&state, &headers).await?;
    let json = input.answers_json(&headers);
    let turn = state.commerce_writes.enter().await?;
    let (cart, cookie) = cart_for_change(&state, &headers, &tenant.shop).await?;
    let outcome = cart::add(&state.db, tenant.shop.id, &cart, &input.value).await;
    answer_change(&state, &tenant.shop, &cart, (outcome, turn), json, cookie).await
}

/// The quantity form of a cart line.
#[derive(Deserialize)]
struct QuantityForm {
    quantity: i32,
}

async fn update_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(line_id): Path<i64>,
    input: Input<QuantityForm>,
) -> Result<Response, AppError> {
    change_line(
        &state,
        &headers,
        line_id,
        Some(input.value.quantity),
        input.json,
    )
    .await
}

async fn update_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(line_id): Path<i64>,
    AppJson(body): AppJson<CartUpdate>,
) -> Result<Response, AppError> {
    change_line(&state, &headers, line_id, Some(body.quantity), true).await
}

async fn remove_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(line_id): Path<i64>,
) -> Result<Response, AppError> {
    let json = wants_json(&headers);
    change_line(&state, &headers, line_id, None, json).await
}

async fn remove_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(line_id): Path<i64>,
) -> Result<Response, AppError> {
    change_line(&state, &headers, line_id, None, true).await
}

/// Sets a line's quantity, or removes it (`None`). A visitor without a cart has no lines.
async fn change_line(
    state: &AppState,
    headers: &HeaderMap,
    line_id: i64,
    quantity: Option<i32>,
    json: bool,
) -> Result<Response, AppError> {
    let tenant = tenant(state, headers).await?;
    let json = json || wants_json(headers);
    let Some(cart) = existing_cart(state, headers, &tenant.shop).await? else {
        return Err(AppError::Missing("that line is not in your cart".into()));
    };
    let turn = state.commerce_writes.enter().await?;
    let outcome = match quantity {
        Some(q) => cart::update(&state.db, tenant.shop.id, &cart, line_id, q).await,
        None => cart::remove(&state.db, tenant.shop.id, &cart, line_id).await,
    };
    answer_change(state, &tenant.shop, &cart, (outcome, turn), json, None).await
}

/// `POST /api/checkout-session`: places the order and sends the customer to pay (`303` to
/// the provider's page; JSON gets the order and the payment URL).
async fn checkout_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    input: Input<CheckoutRequest>,
) -> Result<Response, AppError> {
    let tenant = tenant(&state, &headers).await?;
    let json = input.answers_json(&headers);
    let Some(cart) = existing_cart(&state, &headers, &tenant.shop).await? else {
        return Err(CommerceError::Invalid("your cart is empty".into()).into());
    };
    let origin = shop_origin(&state, &headers, &tenant);
    let placed = checkout::place(&state, &tenant.shop, &cart, &input.value.email, &origin).await;
    crate::observability::checkout(match &placed {
        Ok(_) => "ok",
        Err(CommerceError::Db(_)) => "error",
        Err(CommerceError::PaymentsOff | CommerceError::Busy | CommerceError::Provider(_)) => {
            "unavailable"
        }
        Err(_) => "rejected",
    });
    match placed {
        Ok(placed) if json => {
            let order = orders::view(&placed.order, &placed.lines);
            let body = CheckoutResponse {
                order_url: format!("{origin}{}", Route::order_path(&order.token)),
                payment_url: placed.payment_url,
                order,
            };
            Ok(json_answer(StatusCode::CREATED, &body, None))
        }
        Ok(placed) => Ok(see_other(&placed.payment_url, None)),
        Err(e) if json => Err(e.into()),
        Err(CommerceError::Db(e)) => Err(AppError::Db(e)),
        Err(e) => {
            cart::set_flash(
                &state.db,
                cart.id,
                Some(cart::failure(capitalised(&e.to_string()))),
            )
            .await?;
            Ok(see_other(&Route::Checkout.path(), None))
        }
    }
}

/// Where the customer reached the shop: the provider sends them back to the same host (their
/// cart cookie lives there). The Host resolved to this shop, so it is one of its domains.
fn shop_origin(state: &AppState, headers: &HeaderMap, tenant: &Tenant) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .map(str::to_ascii_lowercase);
    match host {
        Some(host) => format!("{}://{host}", state.config.scheme()),
        None => state.config.shop_origin(&tenant.primary_host),
    }
}

/// The operator's order, if they may act on it with at least `min`.
async fn order_for(
    state: &AppState,
    user: &CurrentUser,
    order_id: i64,
    min: Role,
) -> Result<shop_order::Model, AppError> {
    let order = shop_order::Entity::find_by_id(order_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    require_role(&state.db, user.user.id, order.shop_id, min).await?;
    Ok(order)
}

/// `POST /api/returns` (`order_id`, JSON or form): a paid rental came back; its deposits are
/// refunded through the provider.
async fn record_return(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    input: Input<ReturnRequest>,
) -> Result<Response, AppError> {
    let json = input.answers_json(&headers);
    let order = order_for(&state, &user, input.value.order_id, Role::Editor).await?;
    let view = orders::record_return(&state, order).await?;
    if json {
        Ok(json_answer(StatusCode::OK, &view, None))
    } else {
        Ok(see_other(&format!("/admin/orders/{}", view.id), None))
    }
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

/// `GET /api/v1/shops/{handle}/orders[?status=paid]`: the shop's latest orders. Orders
/// carry customers' emails: editors and owners only.
async fn list_orders(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(handle): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<OrderList>, AppError> {
    let shop = shop::Entity::find()
        .filter(shop::Column::Handle.eq(handle.as_str()))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    require_role(&state.db, user.user.id, shop.id, Role::Editor).await?;
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(OrderStatus::parse(s).ok_or_else(|| {
            AppError::BadRequest("status must be pending, paid, expired or returned".into())
        })?),
    };
    let (orders, truncated) = orders::list(&state.db, shop.id, status).await?;
    Ok(Json(OrderList { orders, truncated }))
}

/// `GET /api/v1/orders/{id}`.
async fn show_order(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<OrderView>, AppError> {
    let order = order_for(&state, &user, id, Role::Editor).await?;
    Ok(Json(orders::load(&state.db, order).await?))
}
