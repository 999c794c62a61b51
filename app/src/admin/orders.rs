//! The shop's orders: `/admin/shops/{shop}/orders` (a table of the latest orders, filtered by
//! status in the browser) and `/admin/orders/{id}` (one order, its lines and totals, and
//! recording a rental's return, which refunds its deposits).
//!
//! `{shop}` is a shop's handle (what the dashboard links to, and the readable form) or its id
//! (all an order knows of its shop). Both pages read the shared contract types of
//! [`crate::commerce`] through [`api::get_json`]; everything they show is formatted by the
//! plain functions at the top of this file, which the tests below check natively.

use super::{Brand, api};
use crate::api_types::{SessionAnswer, ShopMembership};
use crate::commerce::{OrderLineView, OrderList, OrderStatus, OrderView, ReturnRequest};
use crate::money::format_price;
use chrono::{Datelike, NaiveDate, Timelike};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

const BUTTON: &str = "rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50";
const CARD: &str = "rounded-xl bg-white shadow-sm ring-1 ring-slate-900/5";

/// Where the operator records a return (outside `/api/v1`, next to the storefront's API).
pub const RETURNS_PATH: &str = "/api/returns";

/// Shown for a 403 from either order API: orders carry customers' emails.
pub const FORBIDDEN: &str = "Only owners and editors can see orders.";

/// Shown when the URL names no shop of the logged-in person.
pub const NOT_YOUR_SHOP: &str = "This shop is not one of yours, or it does not exist.";

/// The empty list's explanation.
pub const NO_ORDERS: &str = "No orders yet — they appear here when customers check out.";

/// The chips above the list, in order: every order, then one status each.
pub const FILTERS: [Option<OrderStatus>; 5] = [
    None,
    Some(OrderStatus::Pending),
    Some(OrderStatus::Paid),
    Some(OrderStatus::Expired),
    Some(OrderStatus::Returned),
];

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The shop an orders URL names. The handle is tried first, so the dashboard's links (which
/// use handles) always land on their shop even if a handle happens to look like another
/// shop's id; a number that is no handle is an id, which is how an order's page links back.
pub fn find_shop<'a>(shops: &'a [ShopMembership], key: &str) -> Option<&'a ShopMembership> {
    shops.iter().find(|s| s.handle == key).or_else(|| {
        let id = key.parse::<i64>().ok()?;
        shops.iter().find(|s| s.id == id)
    })
}

/// The admin page listing a shop's orders.
pub fn orders_page_path(shop: &ShopMembership) -> String {
    format!("/admin/shops/{}/orders", shop.handle)
}

/// The API listing a shop's orders. The server finds the shop by its handle, as in every other
/// `/api/v1/shops/{…}` route.
pub fn orders_api_path(shop: &ShopMembership) -> String {
    format!("/api/v1/shops/{}/orders", shop.handle)
}

/// What an API error on these pages says to the operator: a refusal names who may look.
pub fn error_text(e: &api::ApiError) -> String {
    match e.status {
        403 => FORBIDDEN.to_string(),
        _ => e.message.clone(),
    }
}

/// `2026-12-01T14:05:00Z` → `1 Dec 2026, 14:05 UTC`. Times are shown in UTC (labelled so):
/// the server and the browser then render the same text, and an operator in another time zone
/// is not misled. Text that is not RFC 3339 is shown as it came.
pub fn format_datetime(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => {
            let t = t.with_timezone(&chrono::Utc);
            format!(
                "{} {} {}, {:02}:{:02} UTC",
                t.day(),
                month_name(t.month()),
                t.year(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => rfc3339.to_string(),
    }
}

fn month_name(month: u32) -> &'static str {
    MONTHS[(month.clamp(1, 12) - 1) as usize]
}

fn day_month(d: NaiveDate) -> String {
    format!("{} {}", d.day(), month_name(d.month()))
}

/// A rental's days, first and last inclusive (`YYYY-MM-DD`), as a person reads them:
/// `1 Dec – 3 Dec 2026`, `1 Dec 2026` for one day, `30 Dec 2026 – 2 Jan 2027` across a new
/// year. Dates that do not parse are shown as they came.
pub fn rental_period(start: &str, end: &str) -> String {
    let (Ok(s), Ok(e)) = (start.parse::<NaiveDate>(), end.parse::<NaiveDate>()) else {
        return format!("{start} – {end}");
    };
    if s == e {
        format!("{} {}", day_month(s), s.year())
    } else if s.year() == e.year() {
        format!("{} – {} {}", day_month(s), day_month(e), e.year())
    } else {
        format!(
            "{} {} – {} {}",
            day_month(s),
            s.year(),
            day_month(e),
            e.year()
        )
    }
}

/// The span of an order's rentals, if it has any.
pub fn order_rental_period(order: &OrderView) -> Option<String> {
    Some(rental_period(
        order.rental_start.as_deref()?,
        order.rental_end.as_deref()?,
    ))
}

/// `1 day`, `3 days`.
pub fn days_text(days: i32) -> String {
    if days == 1 {
        "1 day".to_string()
    } else {
        format!("{days} days")
    }
}

/// A rental line's dates and length (`1 Dec – 3 Dec 2026 · 3 days`); `None` for a sale.
pub fn line_dates(line: &OrderLineView) -> Option<String> {
    let period = rental_period(line.start_date.as_deref()?, line.end_date.as_deref()?);
    Some(format!("{period} · {}", days_text(line.days)))
}

/// `Product — Variant`, or the product alone when the variant has no title.
pub fn product_label(line: &OrderLineView) -> String {
    let variant = line.variant_title.trim();
    if variant.is_empty() {
        line.product_title.clone()
    } else {
        format!("{} — {variant}", line.product_title)
    }
}

/// The unit price: per day for a rental (`€65.00 / day`).
pub fn unit_price_text(line: &OrderLineView, currency: &str) -> String {
    let price = format_price(line.unit_price, currency);
    if line.kind == crate::commerce::ProductKind::Rental {
        format!("{price} / day")
    } else {
        price
    }
}

/// A line's refundable deposit (the deposit is per unit): `—` without one, `€200.00` for one
/// unit, `€400.00 (€200.00 each)` for more.
pub fn deposit_text(line: &OrderLineView, currency: &str) -> String {
    if line.deposit <= 0 {
        return "—".to_string();
    }
    let total = line.deposit.saturating_mul(i64::from(line.quantity));
    if line.quantity == 1 {
        format_price(total, currency)
    } else {
        format!(
            "{} ({} each)",
            format_price(total, currency),
            format_price(line.deposit, currency)
        )
    }
}

/// Whether a return can be recorded: the server accepts it for paid orders with rentals only.
pub fn can_record_return(order: &OrderView) -> bool {
    order.status == OrderStatus::Paid && order.is_rental()
}

/// The return button's words, naming the refund, when a return can be recorded.
pub fn return_label(order: &OrderView) -> Option<String> {
    if !can_record_return(order) {
        return None;
    }
    Some(if order.deposit_total > 0 {
        format!(
            "Record return and refund deposit ({})",
            format_price(order.deposit_total, &order.currency)
        )
    } else {
        "Record return".to_string()
    })
}

/// The note after a return was recorded.
pub fn return_note(order: &OrderView) -> String {
    if order.refunded > 0 {
        format!(
            "Return recorded. {} refunded to the customer.",
            format_price(order.refunded, &order.currency)
        )
    } else {
        "Return recorded. There was no deposit to refund.".to_string()
    }
}

/// Whether the list shows `order` under the chip `filter` (`None` is "All").
pub fn shows(filter: Option<OrderStatus>, order: &OrderView) -> bool {
    filter.is_none_or(|f| order.status == f)
}

/// How many orders a chip stands for.
pub fn count_shown(orders: &[OrderView], filter: Option<OrderStatus>) -> usize {
    orders.iter().filter(|o| shows(filter, o)).count()
}

/// A status badge's colours: pending amber, paid green, expired slate, returned blue.
pub fn badge_colours(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "bg-amber-100 text-amber-800",
        OrderStatus::Paid => "bg-green-100 text-green-800",
        OrderStatus::Expired => "bg-slate-100 text-slate-600",
        OrderStatus::Returned => "bg-blue-100 text-blue-800",
    }
}

/// The admin's header and page width around both order pages.
#[component]
fn Frame(children: Children) -> impl IntoView {
    view! {
        <div class="min-h-screen">
            <header class="border-b border-slate-200 bg-white">
                <div class="mx-auto flex h-14 max-w-5xl items-center justify-between px-4">
                    <Brand />
                    <a href="/admin" class="text-sm text-slate-600 hover:text-slate-900">"Shops and pages"</a>
                </div>
            </header>
            <main class="mx-auto max-w-5xl px-4 py-8">{children()}</main>
        </div>
    }
}

/// An order's status; `data-order-status` is the stable hook for browser tests.
#[component]
fn StatusBadge(status: OrderStatus) -> impl IntoView {
    view! {
        <span
            data-order-status=status.as_str()
            class=format!("inline-block rounded px-1.5 py-0.5 text-xs font-medium {}", badge_colours(status))
        >
            {status.label()}
        </span>
    }
}

/// The shop (from the session) and its orders, or why there is no shop. A refused or failed
/// list still has its shop, so the page can say whose orders could not be shown.
type ShopOrdersData = (ShopMembership, Result<OrderList, String>);

async fn load_shop_orders(key: String) -> Result<ShopOrdersData, String> {
    let session: SessionAnswer = api::get_json("/api/v1/session")
        .await
        .map_err(|e| e.message)?;
    let shop = find_shop(&session.shops, &key)
        .cloned()
        .ok_or_else(|| NOT_YOUR_SHOP.to_string())?;
    let orders = api::get_json::<OrderList>(&orders_api_path(&shop))
        .await
        .map_err(|e| error_text(&e));
    Ok((shop, orders))
}

/// `/admin/shops/{shop}/orders`.
#[component]
pub fn ShopOrders() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.with(|p| p.get("shop")).unwrap_or_default();
    let data = LocalResource::new(move || load_shop_orders(key()));
    view! {
        <Frame>
            <Suspense fallback=|| view! { <p class="text-slate-500" data-testid="orders-loading">"Loading orders…"</p> }>
                {move || data.get().map(|r| match r {
                    Err(message) => view! {
                        <p class="text-red-600" role="alert">{message}</p>
                        <a href="/admin" class="mt-4 inline-block text-sm text-blue-700 hover:underline">"← Your shops"</a>
                    }.into_any(),
                    Ok((shop, orders)) => view! { <ShopOrderList shop orders /> }.into_any(),
                })}
            </Suspense>
        </Frame>
    }
}

#[component]
fn ShopOrderList(shop: ShopMembership, orders: Result<OrderList, String>) -> impl IntoView {
    let truncated = orders.as_ref().is_ok_and(|l| l.truncated);
    let body = match orders.map(|l| l.orders) {
        Err(message) => view! {
            <p class="mt-6 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="orders-error">{message}</p>
        }
        .into_any(),
        Ok(list) if list.is_empty() => view! {
            <div class=format!("mt-6 px-6 py-12 text-center text-slate-500 {CARD}") data-testid="orders-empty">{NO_ORDERS}</div>
        }
        .into_any(),
        Ok(list) => view! { <OrderTable orders=list /> }.into_any(),
    };
    view! {
        <a href=format!("/admin?shop={}", shop.handle) class="text-sm text-blue-700 hover:underline">"← " {shop.name.clone()} " pages"</a>
        <h1 class="mt-2 text-2xl font-semibold tracking-tight">{shop.name} " · Orders"</h1>
        <p class="text-sm text-slate-500">"Newest first · you are " {shop.role.as_str()}</p>
        {body}
        {truncated.then(|| view! { <p class="mt-3 text-sm text-slate-500" data-testid="orders-truncated">"Showing the latest 200 orders."</p> })}
    }
}

#[component]
fn OrderTable(orders: Vec<OrderView>) -> impl IntoView {
    let filter = RwSignal::new(None::<OrderStatus>);
    let chips = FILTERS
        .into_iter()
        .map(|f| {
            let count = count_shown(&orders, f);
            let label = f.map_or("All", OrderStatus::label);
            view! {
                <button
                    type="button"
                    data-filter=f.map_or("all", OrderStatus::as_str)
                    aria-pressed=move || (filter.get() == f).to_string()
                    class=move || if filter.get() == f {
                        "rounded-full bg-slate-900 px-3 py-1 text-sm text-white"
                    } else {
                        "rounded-full bg-white px-3 py-1 text-sm text-slate-700 ring-1 ring-slate-200 hover:bg-slate-50"
                    }
                    on:click=move |_| filter.set(f)
                >
                    {label} <span class="ml-1 tabular-nums opacity-70">{count}</span>
                </button>
            }
        })
        .collect_view();
    let orders = StoredValue::new(orders);
    let rows = move || {
        let f = filter.get();
        let shown: Vec<OrderView> =
            orders.with_value(|all| all.iter().filter(|o| shows(f, o)).cloned().collect());
        if shown.is_empty() {
            return view! {
                <tr><td colspan="6" class="px-4 py-8 text-center text-slate-500">"No orders with this status."</td></tr>
            }
            .into_any();
        }
        shown
            .into_iter()
            .map(|order| view! { <OrderRow order /> })
            .collect_view()
            .into_any()
    };
    view! {
        <nav class="mt-6 flex flex-wrap gap-2" aria-label="Filter by status">{chips}</nav>
        <div class=format!("mt-4 overflow-x-auto {CARD}")>
            <table class="w-full text-left text-sm" data-testid="orders">
                <thead class="bg-slate-50 text-xs text-slate-500 uppercase">
                    <tr>
                        <th class="px-4 py-2 font-semibold">"Order"</th>
                        <th class="px-4 py-2 font-semibold">"Date"</th>
                        <th class="px-4 py-2 font-semibold">"Customer"</th>
                        <th class="px-4 py-2 font-semibold">"Status"</th>
                        <th class="px-4 py-2 text-right font-semibold">"Total"</th>
                        <th class="px-4 py-2 font-semibold">"Rental"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn OrderRow(order: OrderView) -> impl IntoView {
    let id = order.id;
    let created = format_datetime(&order.created_at);
    let total = format_price(order.total, &order.currency);
    let period = order_rental_period(&order).unwrap_or_else(|| "—".to_string());
    view! {
        <tr data-order-row=id class="hover:bg-slate-50">
            <td class="px-4 py-3">
                <a href=format!("/admin/orders/{id}") class="font-medium text-slate-900 hover:text-blue-700">{format!("#{id}")}</a>
            </td>
            <td class="px-4 py-3 whitespace-nowrap text-slate-600">{created}</td>
            <td class="px-4 py-3">{order.email}</td>
            <td class="px-4 py-3"><StatusBadge status=order.status /></td>
            <td class="px-4 py-3 text-right tabular-nums">{total}</td>
            <td class="px-4 py-3 whitespace-nowrap text-slate-600">{period}</td>
        </tr>
    }
}

async fn load_order(id: Option<i64>) -> Result<OrderView, String> {
    let Some(id) = id else {
        return Err("There is no such order.".to_string());
    };
    api::get_json(&format!("/api/v1/orders/{id}"))
        .await
        .map_err(|e| match e.status {
            404 => format!("There is no order #{id}."),
            _ => error_text(&e),
        })
}

/// `/admin/orders/{id}`.
#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()));
    let order = LocalResource::new(move || load_order(id()));
    // Only for the back link's handle and shop name; the page works without it.
    let session = LocalResource::new(|| api::get_json::<SessionAnswer>("/api/v1/session"));
    let shops = Signal::derive(move || {
        session
            .get()
            .and_then(Result::ok)
            .map(|s| s.shops)
            .unwrap_or_default()
    });
    view! {
        <Frame>
            <Suspense fallback=|| view! { <p class="text-slate-500" data-testid="order-loading">"Loading the order…"</p> }>
                {move || order.get().map(|r| match r {
                    Err(message) => view! {
                        <p class="text-red-600" role="alert">{message}</p>
                        <a href="/admin" class="mt-4 inline-block text-sm text-blue-700 hover:underline">"← Your shops"</a>
                    }.into_any(),
                    Ok(order) => view! { <OrderDetail order shops /> }.into_any(),
                })}
            </Suspense>
        </Frame>
    }
}

#[component]
fn OrderDetail(order: OrderView, shops: Signal<Vec<ShopMembership>>) -> impl IntoView {
    let order = RwSignal::new(order);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<String>);
    // Back to the list by handle when the session names the shop, else by id.
    let back = move || {
        let shop_id = order.with(|o| o.shop_id);
        shops.with(|all| match all.iter().find(|s| s.id == shop_id) {
            Some(s) => (orders_page_path(s), format!("{} orders", s.name)),
            None => (
                format!("/admin/shops/{shop_id}/orders"),
                "Orders".to_string(),
            ),
        })
    };
    let record = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        note.set(None);
        let id = order.with_untracked(|o| o.id);
        leptos::task::spawn_local(async move {
            let result =
                api::post_json::<_, OrderView>(RETURNS_PATH, &ReturnRequest { order_id: id }).await;
            busy.set(false);
            confirming.set(false);
            match result {
                Ok(updated) => {
                    note.set(Some(return_note(&updated)));
                    order.set(updated);
                }
                Err(e) => {
                    error.set(Some(format!(
                        "The return was not recorded: {}",
                        error_text(&e)
                    )));
                    // 409: the order moved on meanwhile (returned by someone else, say);
                    // show it as it is now so the page stops offering the return.
                    if e.status == 409
                        && let Ok(fresh) =
                            api::get_json::<OrderView>(&format!("/api/v1/orders/{id}")).await
                    {
                        order.set(fresh);
                    }
                }
            }
        });
    };
    view! {
        <a href=move || back().0 class="text-sm text-blue-700 hover:underline" data-testid="back-to-orders">"← " {move || back().1}</a>
        {move || order.with(header)}
        {move || order.with(lines_table)}
        {move || order.with(return_label).map(|label| {
            let amount = order.with_untracked(|o| format_price(o.deposit_total, &o.currency));
            let id = order.with_untracked(|o| o.id);
            view! {
                <div class="mt-6">
                    // Before the button in the page, so the dialog's own button is the first
                    // "Record return" a reader (or a test) finds while it is open.
                    <Show when=move || confirming.get()>
                        <div class="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40" role="dialog" aria-modal="true" aria-label="Record return">
                            <div class="w-full max-w-sm rounded-xl bg-white p-5 text-left shadow-2xl">
                                <h2 class="font-semibold">{format!("Record the return of order #{id}?")}</h2>
                                <p class="mt-2 text-sm text-slate-600">
                                    "The rented items are back. The deposit of " {amount.clone()}
                                    " is refunded to the customer's card and the order is marked returned. This cannot be undone."
                                </p>
                                <div class="mt-4 flex justify-end gap-2">
                                    <button type="button" class=BUTTON on:click=move |_| confirming.set(false)>"Cancel"</button>
                                    <button type="button" data-action="confirm-return" disabled=move || busy.get()
                                        class="rounded-md bg-blue-600 px-3 py-1 text-sm font-semibold text-white hover:bg-blue-700 disabled:opacity-60"
                                        on:click=record>
                                        {move || if busy.get() { "Recording…" } else { "Record return" }}
                                    </button>
                                </div>
                            </div>
                        </div>
                    </Show>
                    <button type="button" data-action="return" disabled=move || busy.get()
                        class="rounded-md bg-blue-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-blue-700 disabled:opacity-60"
                        on:click=move |_| confirming.set(true)>
                        {label}
                    </button>
                </div>
            }
        })}
        {move || note.get().map(|m| view! { <p class="mt-4 rounded-md bg-green-50 px-3 py-2 text-sm text-green-800" role="status" data-testid="return-note">{m}</p> })}
        {move || error.get().map(|m| view! { <p class="mt-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{m}</p> })}
    }
}

/// The order's number, status, customer and dates.
fn header(o: &OrderView) -> AnyView {
    let fact = |label: &'static str, value: String| {
        view! {
            <div>
                <dt class="text-xs font-medium text-slate-500 uppercase">{label}</dt>
                <dd class="mt-0.5 text-slate-900">{value}</dd>
            </div>
        }
    };
    let paid = o
        .paid_at
        .as_deref()
        .map_or_else(|| "—".to_string(), format_datetime);
    view! {
        <div class="mt-2 flex flex-wrap items-center gap-3">
            <h1 class="text-2xl font-semibold tracking-tight">{format!("Order #{}", o.id)}</h1>
            <StatusBadge status=o.status />
        </div>
        <p class="mt-1 text-sm text-slate-600">{o.email.clone()}</p>
        <dl class=format!("mt-6 grid grid-cols-2 gap-4 p-4 text-sm sm:grid-cols-4 {CARD}")>
            {fact("Created", format_datetime(&o.created_at))}
            {fact("Paid", paid)}
            {o.returned_at.as_deref().map(|t| fact("Returned", format_datetime(t)))}
            {order_rental_period(o).map(|p| fact("Rental", p))}
        </dl>
    }
    .into_any()
}

/// The lines and the totals under them.
fn lines_table(o: &OrderView) -> AnyView {
    let currency = o.currency.clone();
    let money = |minor: i64| format_price(minor, &currency);
    let rows = o
        .lines
        .iter()
        .map(|l| {
            view! {
                <tr>
                    <td class="px-4 py-3 font-medium text-slate-900">{product_label(l)}</td>
                    <td class="px-4 py-3 text-right tabular-nums">{l.quantity}</td>
                    <td class="px-4 py-3">
                        <span class="tabular-nums">{unit_price_text(l, &currency)}</span>
                        {line_dates(l).map(|d| view! { <p class="text-xs text-slate-500">{d}</p> })}
                    </td>
                    <td class="px-4 py-3 text-right tabular-nums">{deposit_text(l, &currency)}</td>
                    <td class="px-4 py-3 text-right tabular-nums">{money(l.line_total)}</td>
                </tr>
            }
        })
        .collect_view();
    let total_row = |label: &'static str, value: String, strong: bool| {
        view! {
            <div class=if strong { "flex justify-between gap-8 border-t border-slate-200 pt-2 font-semibold" } else { "flex justify-between gap-8 text-slate-600" }>
                <dt>{label}</dt>
                <dd class="tabular-nums">{value}</dd>
            </div>
        }
    };
    let show_refund = o.refunded > 0 || o.status == OrderStatus::Returned;
    view! {
        <div class=format!("mt-6 overflow-x-auto {CARD}")>
            <table class="w-full text-left text-sm" data-testid="order-lines">
                <thead class="bg-slate-50 text-xs text-slate-500 uppercase">
                    <tr>
                        <th class="px-4 py-2 font-semibold">"Product"</th>
                        <th class="px-4 py-2 text-right font-semibold">"Qty"</th>
                        <th class="px-4 py-2 font-semibold">"Unit price"</th>
                        <th class="px-4 py-2 text-right font-semibold">"Deposit"</th>
                        <th class="px-4 py-2 text-right font-semibold">"Total"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
            <dl class="ml-auto w-full max-w-xs space-y-1 px-4 py-4 text-sm" data-testid="order-totals">
                {total_row("Subtotal", money(o.subtotal), false)}
                {(o.deposit_total > 0).then(|| total_row("Deposits", money(o.deposit_total), false))}
                {total_row("Total", money(o.total), true)}
                {show_refund.then(|| total_row("Refunded", money(o.refunded), false))}
            </dl>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_types::Role;
    use crate::commerce::ProductKind;

    fn rental_line() -> OrderLineView {
        OrderLineView {
            variant_id: 7,
            kind: ProductKind::Rental,
            product_handle: "cedar-canoe".into(),
            product_title: "Cedar canoe".into(),
            variant_title: "Two seats".into(),
            unit_price: 6500,
            quantity: 1,
            start_date: Some("2026-12-01".into()),
            end_date: Some("2026-12-03".into()),
            days: 3,
            deposit: 20000,
            line_total: 19500,
        }
    }

    fn sale_line() -> OrderLineView {
        OrderLineView {
            variant_id: 3,
            kind: ProductKind::Sale,
            product_handle: "mug".into(),
            product_title: "Mug".into(),
            variant_title: "Sand".into(),
            unit_price: 2400,
            quantity: 2,
            line_total: 4800,
            ..OrderLineView::default()
        }
    }

    fn order(status: OrderStatus, lines: Vec<OrderLineView>) -> OrderView {
        let rental = lines.iter().any(|l| l.kind == ProductKind::Rental);
        let deposit_total = lines
            .iter()
            .map(|l| l.deposit * i64::from(l.quantity))
            .sum();
        let subtotal = lines.iter().map(|l| l.line_total).sum::<i64>();
        OrderView {
            id: 12,
            shop_id: 1,
            token: "t".into(),
            status,
            email: "noah@example.com".into(),
            currency: "EUR".into(),
            subtotal,
            deposit_total,
            total: subtotal + deposit_total,
            refunded: 0,
            created_at: "2026-11-30T09:05:00Z".into(),
            paid_at: None,
            returned_at: None,
            rental_start: rental.then(|| "2026-12-01".into()),
            rental_end: rental.then(|| "2026-12-03".into()),
            lines,
        }
    }

    fn member(id: i64, handle: &str) -> ShopMembership {
        ShopMembership {
            id,
            handle: handle.into(),
            name: format!("Shop {handle}"),
            role: Role::Owner,
        }
    }

    #[test]
    fn times_read_as_day_month_year_in_utc() {
        assert_eq!(
            format_datetime("2026-12-01T14:05:00Z"),
            "1 Dec 2026, 14:05 UTC"
        );
        // Another offset is shown in UTC: 01:30 in Paris is the day before in UTC.
        assert_eq!(
            format_datetime("2026-01-01T01:30:00+01:00"),
            "1 Jan 2026, 00:30 UTC"
        );
        assert_eq!(
            format_datetime("2026-01-01T00:30:00+01:00"),
            "31 Dec 2025, 23:30 UTC"
        );
        assert_eq!(format_datetime("yesterday"), "yesterday");
    }

    #[test]
    fn rental_periods_name_the_year_once_when_they_can() {
        assert_eq!(
            rental_period("2026-12-01", "2026-12-03"),
            "1 Dec – 3 Dec 2026"
        );
        assert_eq!(rental_period("2026-05-09", "2026-05-09"), "9 May 2026");
        assert_eq!(
            rental_period("2026-12-30", "2027-01-02"),
            "30 Dec 2026 – 2 Jan 2027"
        );
        assert_eq!(
            rental_period("2026-13-01", "2026-12-03"),
            "2026-13-01 – 2026-12-03"
        );
    }

    #[test]
    fn orders_show_their_rental_span_or_nothing() {
        let rental = order(OrderStatus::Paid, vec![rental_line(), sale_line()]);
        assert_eq!(
            order_rental_period(&rental).as_deref(),
            Some("1 Dec – 3 Dec 2026")
        );
        assert_eq!(
            order_rental_period(&order(OrderStatus::Paid, vec![sale_line()])),
            None
        );
    }

    #[test]
    fn lines_read_per_day_with_dates_and_deposits() {
        let rental = rental_line();
        assert_eq!(unit_price_text(&rental, "EUR"), "€65.00 / day");
        assert_eq!(
            line_dates(&rental).as_deref(),
            Some("1 Dec – 3 Dec 2026 · 3 days")
        );
        assert_eq!(deposit_text(&rental, "EUR"), "€200.00");
        let two = OrderLineView {
            quantity: 2,
            ..rental_line()
        };
        assert_eq!(deposit_text(&two, "EUR"), "€400.00 (€200.00 each)");
        let one_day = OrderLineView {
            end_date: Some("2026-12-01".into()),
            days: 1,
            ..rental_line()
        };
        assert_eq!(line_dates(&one_day).as_deref(), Some("1 Dec 2026 · 1 day"));

        let sale = sale_line();
        assert_eq!(unit_price_text(&sale, "EUR"), "€24.00");
        assert_eq!(line_dates(&sale), None);
        assert_eq!(deposit_text(&sale, "EUR"), "—");
        assert_eq!(product_label(&sale), "Mug — Sand");
        let plain = OrderLineView {
            variant_title: " ".into(),
            ..sale_line()
        };
        assert_eq!(product_label(&plain), "Mug");
    }

    #[test]
    fn only_paid_rentals_offer_a_return_naming_the_refund() {
        let paid = order(OrderStatus::Paid, vec![rental_line()]);
        assert!(can_record_return(&paid));
        assert_eq!(
            return_label(&paid).as_deref(),
            Some("Record return and refund deposit (€200.00)")
        );
        let no_deposit = order(
            OrderStatus::Paid,
            vec![OrderLineView {
                deposit: 0,
                ..rental_line()
            }],
        );
        assert_eq!(return_label(&no_deposit).as_deref(), Some("Record return"));
        for status in [
            OrderStatus::Pending,
            OrderStatus::Expired,
            OrderStatus::Returned,
        ] {
            assert_eq!(return_label(&order(status, vec![rental_line()])), None);
        }
        assert_eq!(
            return_label(&order(OrderStatus::Paid, vec![sale_line()])),
            None
        );
    }

    #[test]
    fn the_return_note_says_what_was_refunded() {
        let mut returned = order(OrderStatus::Returned, vec![rental_line()]);
        returned.refunded = 20000;
        assert_eq!(
            return_note(&returned),
            "Return recorded. €200.00 refunded to the customer."
        );
        returned.refunded = 0;
        assert_eq!(
            return_note(&returned),
            "Return recorded. There was no deposit to refund."
        );
    }

    #[test]
    fn chips_filter_and_count_by_status() {
        let list = vec![
            order(OrderStatus::Paid, vec![sale_line()]),
            order(OrderStatus::Paid, vec![rental_line()]),
            order(OrderStatus::Pending, vec![sale_line()]),
        ];
        assert_eq!(count_shown(&list, None), 3);
        assert_eq!(count_shown(&list, Some(OrderStatus::Paid)), 2);
        assert_eq!(count_shown(&list, Some(OrderStatus::Pending)), 1);
        assert_eq!(count_shown(&list, Some(OrderStatus::Returned)), 0);
        assert_eq!(FILTERS.len(), 5, "All plus every status");
    }

    #[test]
    fn every_status_has_its_own_badge_colour() {
        let colours: std::collections::HashSet<_> = FILTERS
            .iter()
            .flatten()
            .map(|s| badge_colours(*s))
            .collect();
        assert_eq!(colours.len(), 4);
        assert!(badge_colours(OrderStatus::Pending).contains("amber"));
        assert!(badge_colours(OrderStatus::Paid).contains("green"));
        assert!(badge_colours(OrderStatus::Expired).contains("slate"));
        assert!(badge_colours(OrderStatus::Returned).contains("blue"));
    }

    #[test]
    fn shops_are_found_by_handle_first_then_id() {
        let shops = vec![member(1, "demo"), member(2, "7"), member(7, "north")];
        assert_eq!(find_shop(&shops, "demo").map(|s| s.id), Some(1));
        assert_eq!(find_shop(&shops, "1").map(|s| s.id), Some(1));
        // A handle that looks like a number wins over the shop with that id.
        assert_eq!(find_shop(&shops, "7").map(|s| s.id), Some(2));
        assert_eq!(find_shop(&shops, "9"), None);
        assert_eq!(find_shop(&shops, "elsewhere"), None);
        assert_eq!(orders_page_path(&shops[0]), "/admin/shops/demo/orders");
        assert_eq!(orders_api_path(&shops[0]), "/api/v1/shops/demo/orders");
    }

    #[test]
    fn refusals_say_who_may_see_orders() {
        let refused = api::ApiError {
            status: 403,
            message: "forbidden".into(),
            body: serde_json::Value::Null,
        };
        assert_eq!(error_text(&refused), FORBIDDEN);
        let conflict = api::ApiError {
            status: 409,
            message: "only a paid order can be returned".into(),
            body: serde_json::Value::Null,
        };
        assert_eq!(error_text(&conflict), "only a paid order can be returned");
    }

    #[test]
    fn the_session_reads_as_memberships() {
        let body = serde_json::json!({
            "user": {"id": 1, "email": "e@example.com", "name": "E", "operator": false},
            "shops": [{"id": 1, "handle": "demo", "name": "Harbor & Pine", "role": "owner"}],
        });
        let session: SessionAnswer = api::decode(body).unwrap();
        assert_eq!(
            session.shops,
            vec![ShopMembership {
                name: "Harbor & Pine".into(),
                ..member(1, "demo")
            }]
        );
    }
}
