//! The shop's standard smoke suite: what every shop must do for a customer, checked over
//! HTTP against a running server, the way a customer's browser does it. `vitrine smoke`
//! prints it; a launch gates on it ([`run`] is the library entry).
//!
//! Checks: the home, product list, a product page and a content page answer 2xx with their
//! blocks; a cart takes an item, changes its quantity and drops it; checkout opens a payment
//! session with the shop's provider; paying it (on the test provider's page) makes the
//! provider's webhook mark the order paid; a rental is booked, paid, returned and its
//! deposit refunded. Smoke orders use the address [`SMOKE_EMAIL`], so operators can tell
//! them apart.

use app::route::Route;
use scraper::{Html, Selector};
use serde_json::{Value, json};
use std::fmt;
use std::time::{Duration, Instant};

/// The customer address of the suite's orders.
pub const SMOKE_EMAIL: &str = "smoke@vitrine.invalid";
/// How long the suite waits for the provider's webhook to mark an order paid.
pub const PAID_WAIT: Duration = Duration::from_secs(15);

/// Where to run the suite.
#[derive(Clone, Debug)]
pub struct Target {
    /// Where the server listens, e.g. `http://127.0.0.1:3000`.
    pub base: String,
    /// The shop's host, sent as `Host` (the server picks the shop by it).
    pub host: String,
    /// An operator of the shop, to record the rental's return. Without one the return check
    /// fails (it cannot be done).
    pub operator: Option<Operator>,
}

/// How the suite acts as the shop's operator.
#[derive(Clone, Debug)]
pub enum Operator {
    /// Logs in with these (the command line).
    Login { email: String, password: String },
    /// Sends this `Cookie` header: a session the server opened for a launch.
    Session { cookie: String },
}

/// How one check went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass(String),
    Fail(String),
    /// Could not be run here (e.g. the provider is not the test stub), and says why.
    Skip(String),
    /// Does not apply to this shop as configured (e.g. it takes no online payments): neither
    /// a failure nor a gap in what was checked.
    NotApplicable(String),
}

#[derive(Clone, Debug)]
pub struct Check {
    pub name: &'static str,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

/// Every check of one run, in order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// No check failed.
    pub fn passed(&self) -> bool {
        !self
            .checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Fail(_)))
    }

    /// `12 passed, 0 failed, 1 skipped`, plus `, 3 not applicable` when some were.
    pub fn summary(&self) -> String {
        let count = |f: fn(&Outcome) -> bool| self.checks.iter().filter(|c| f(&c.outcome)).count();
        let mut summary = format!(
            "{} passed, {} failed, {} skipped",
            count(|o| matches!(o, Outcome::Pass(_))),
            count(|o| matches!(o, Outcome::Fail(_))),
            count(|o| matches!(o, Outcome::Skip(_))),
        );
        let not_applicable = count(|o| matches!(o, Outcome::NotApplicable(_)));
        if not_applicable > 0 {
            summary.push_str(&format!(", {not_applicable} not applicable"));
        }
        summary
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            let (mark, detail) = match &c.outcome {
                Outcome::Pass(d) => ("ok  ", d),
                Outcome::Fail(d) => ("FAIL", d),
                Outcome::Skip(d) => ("skip", d),
                Outcome::NotApplicable(d) => ("n/a ", d),
            };
            writeln!(
                f,
                "{mark} {:<26} {:>6} ms  {detail}",
                c.name,
                c.elapsed.as_millis()
            )?;
        }
        write!(f, "{}", self.summary())
    }
}

type Step<T> = Result<(T, String), String>;

/// A customer's browser: one cart cookie, the shop's Host on every request.
struct Customer {
    client: reqwest::Client,
    target: Target,
}

impl Customer {
    fn new(target: &Target) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Customer {
            client,
            target: target.clone(),
        })
    }

    fn at(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.target.base))
            .header(reqwest::header::HOST, &self.target.host)
    }

    async fn page(&self, path: &str) -> Result<String, String> {
        let res = self
            .at(reqwest::Method::GET, path)
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = res.status();
        let body = res.text().await.map_err(|e| format!("GET {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("GET {path} answered {status}"));
        }
        Ok(body)
    }

    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> Result<(u16, Value), String> {
        let res = self
            .at(method.clone(), path)
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = res.status().as_u16();
        Ok((status, res.json().await.unwrap_or(Value::Null)))
    }
}

fn select_all(html: &str, css: &str, attr: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let Ok(selector) = Selector::parse(css) else {
        return Vec::new();
    };
    doc.select(&selector)
        .filter_map(|e| e.value().attr(attr).map(str::to_string))
        .collect()
}

/// The targets of the page's links that start with `prefix` (a storefront [`Route`]'s).
fn links_under(html: &str, prefix: &str) -> Vec<String> {
    select_all(html, &format!("a[href^=\"{prefix}\"]"), "href")
}

/// The page's block types, or an error when it has none.
fn blocks(html: &str, path: &str) -> Result<Vec<String>, String> {
    let mut types = select_all(html, "[data-block-type]", "data-block-type");
    types.dedup();
    if types.is_empty() {
        Err(format!("{path} has no blocks (no data-block-type)"))
    } else {
        Ok(types)
    }
}

/// Runs the whole suite against `target`.
pub async fn run(target: &Target) -> Report {
    let mut report = Report::default();
    let customer = match Customer::new(target) {
        Ok(c) => c,
        Err(e) => {
            report.checks.push(Check {
                name: "http client",
                outcome: Outcome::Fail(e),
                elapsed: Duration::ZERO,
            });
            return report;
        }
    };
    macro_rules! check {
        ($name:expr, $body:expr) => {{
            let started = Instant::now();
            let result: Step<_> = $body.await;
            let (outcome, value) = match result {
                Ok((value, detail)) => (Outcome::Pass(detail), Some(value)),
                Err(e) if e.starts_with("skip: ") => (Outcome::Skip(e[6..].to_string()), None),
                Err(e) if e.starts_with("n/a: ") => {
                    (Outcome::NotApplicable(e[5..].to_string()), None)
                }
                Err(e) => (Outcome::Fail(e), None),
            };
            report.checks.push(Check {
                name: $name,
                outcome,
                elapsed: started.elapsed(),
            });
            value
        }};
    }

    let home = Route::Home.path();
    check!("home", async {
        let html = customer.page(&home).await?;
        let types = blocks(&html, &home)?;
        Ok(((), format!("{} block types", types.len())))
    });
    let products = check!("product list", async {
        let list = Route::Products.path();
        let html = customer.page(&list).await?;
        blocks(&html, &list)?;
        let links = links_under(&html, Route::PRODUCTS_PREFIX);
        if links.is_empty() {
            return Err("the product list links to no product".to_string());
        }
        let n = links.len();
        Ok((links, format!("{n} product links")))
    })
    .unwrap_or_default();
    // The product pages: a sale product to buy, a rental to rent.
    let (sale, rental) = check!("product page", async {
        let mut sale = None;
        let mut rental = None;
        let mut seen = std::collections::HashSet::new();
        for link in products
            .iter()
            .filter(|l| seen.insert((*l).clone()))
            .take(40)
        {
            let html = customer.page(link).await?;
            blocks(&html, link)?;
            let variant = select_all(
                &html,
                "[name=\"variant_id\"] option:not([disabled]), input[name=\"variant_id\"]",
                "value",
            )
            .into_iter()
            .next();
            let is_rental = !select_all(&html, "input[name=\"start_date\"]", "name").is_empty();
            match (variant, is_rental) {
                (Some(v), true) if rental.is_none() => rental = Some((link.clone(), v)),
                (Some(v), false) if sale.is_none() && !html.contains("Sold out") => {
                    sale = Some((link.clone(), v))
                }
                _ => {}
            }
            if sale.is_some() && rental.is_some() {
                break;
            }
        }
        let detail = format!(
            "for sale: {}, for rent: {}",
            sale.as_ref().map_or("none", |s| s.0.as_str()),
            rental.as_ref().map_or("none", |s| s.0.as_str())
        );
        match sale {
            Some(_) => Ok(((sale, rental), detail)),
            None => Err(format!("no product page offers an item to buy ({detail})")),
        }
    })
    .unwrap_or((None, None));
    check!("content page", async {
        let home = customer.page(&home).await?;
        let Some(link) = links_under(&home, Route::PAGES_PREFIX).into_iter().next() else {
            return Err("skip: the shop has no content page in its navigation".to_string());
        };
        let html = customer.page(&link).await?;
        blocks(&html, &link)?;
        Ok(((), link))
    });

    let sale_variant: Option<i64> = sale.as_ref().and_then(|(_, v)| v.parse().ok());
    check!("cart add/update/remove", async {
        let variant = sale_variant.ok_or("no product to add")?;
        let (status, cart) = customer
            .api(
                reqwest::Method::POST,
                "/api/cart",
                json!({"variant_id": variant, "quantity": 1}),
            )
            .await?;
        if status != 200 || cart["count"] != 1 {
            return Err(format!("add answered {status}: {cart}"));
        }
        let line = cart["lines"][0]["id"]
            .as_i64()
            .ok_or("the cart has no line")?;
        let (status, cart) = customer
            .api(
                reqwest::Method::PATCH,
                &format!("/api/cart/lines/{line}"),
                json!({"quantity": 2}),
            )
            .await?;
        if status != 200 || cart["count"] != 2 {
            return Err(format!("update answered {status}: {cart}"));
        }
        let (status, cart) = customer
            .api(
                reqwest::Method::DELETE,
                &format!("/api/cart/lines/{line}"),
                Value::Null,
            )
            .await?;
        if status != 200 || cart["count"] != 0 {
            return Err(format!("remove answered {status}: {cart}"));
        }
        Ok(((), "1 → 2 → 0 items".to_string()))
    });

    let sale_order = check!("checkout session", async {
        let variant = sale_variant.ok_or("no product to buy")?;
        checkout(&customer, json!({"variant_id": variant, "quantity": 1})).await
    });
    let takes_payments = !matches!(
        report.checks.last().map(|c| &c.outcome),
        Some(Outcome::NotApplicable(_))
    );
    check!("webhook → order paid", async {
        if !takes_payments {
            return Err(format!("n/a: {}", crate::commerce::NO_ONLINE_PAYMENTS));
        }
        // Nothing to pay when checkout failed: that is reported there.
        let order = sale_order.as_ref().ok_or("skip: no checkout to pay")?;
        pay_and_wait(&customer, order).await
    });

    let operator = target.operator.clone();
    check!("rental booked and returned", async {
        let (link, variant) = rental.clone().ok_or("skip: the shop rents nothing")?;
        let variant: i64 = variant
            .parse()
            .map_err(|_| "the rental's variant id is not a number")?;
        let renter = Customer::new(target)?;
        // A month ahead, two days: far from what customers book today.
        let start = chrono::Utc::now().date_naive() + chrono::Duration::days(30);
        let end = start + chrono::Duration::days(1);
        let order = checkout(
            &renter,
            json!({"variant_id": variant, "quantity": 1, "start_date": start.to_string(), "end_date": end.to_string()}),
        )
        .await?
        .0;
        pay_and_wait(&renter, &order).await?;
        let operator = operator.ok_or("no operator login to record the return with")?;
        let id = order.order["id"].as_i64().ok_or("the order has no id")?;
        let returned = record_return(&renter, &operator, id).await?;
        let deposit = order.order["deposit_total"].as_i64().unwrap_or(0);
        if returned["status"] != "returned" || returned["refunded"].as_i64() != Some(deposit) {
            return Err(format!("the return answered {returned}"));
        }
        Ok((
            (),
            format!("{link} {start}..{end}, deposit {deposit} refunded"),
        ))
    });
    report
}

/// A placed order as the checkout answered it.
struct Placed {
    order: Value,
    payment_url: String,
    order_path: String,
}

/// Adds `line` to the customer's cart and checks out.
async fn checkout(customer: &Customer, line: Value) -> Step<Placed> {
    let (status, cart) = customer
        .api(reqwest::Method::POST, "/api/cart", line)
        .await?;
    if status != 200 {
        return Err(format!(
            "adding to the cart answered {status}: {}",
            cart["error"]["message"]
        ));
    }
    let (status, placed) = customer
        .api(
            reqwest::Method::POST,
            "/api/checkout-session",
            json!({"email": SMOKE_EMAIL}),
        )
        .await?;
    if status == 409 && placed["error"]["message"] == crate::commerce::NO_ONLINE_PAYMENTS {
        return Err(format!("n/a: {}", crate::commerce::NO_ONLINE_PAYMENTS));
    }
    if status != 201 {
        return Err(format!(
            "checkout answered {status}: {}",
            placed["error"]["message"]
        ));
    }
    let payment_url = placed["payment_url"]
        .as_str()
        .ok_or("no payment URL")?
        .to_string();
    let order_url = placed["order_url"].as_str().ok_or("no order URL")?;
    let order_path = order_url
        .find(Route::ORDERS_PREFIX)
        .map(|i| order_url[i..].to_string())
        .ok_or("the order URL is not an order page")?;
    let detail = format!(
        "order #{} for {}",
        placed["order"]["id"], placed["order"]["total"]
    );
    Ok((
        Placed {
            order: placed["order"].clone(),
            payment_url,
            order_path,
        },
        detail,
    ))
}

/// Pays on the test provider's page, then waits for the webhook to mark the order paid.
async fn pay_and_wait(customer: &Customer, order: &Placed) -> Step<()> {
    let page = customer
        .client
        .get(&order.payment_url)
        .send()
        .await
        .map_err(|e| format!("the payment page: {e}"))?
        .text()
        .await
        .map_err(|e| format!("the payment page: {e}"))?;
    if !page.contains("data-stub-pay") {
        return Err("skip: the payment provider is not the test stub; pay by hand".into());
    }
    let paid = customer
        .client
        .post(&order.payment_url)
        .form(&[("pay", "1")])
        .send()
        .await
        .map_err(|e| format!("paying: {e}"))?;
    if !paid.status().is_redirection() {
        return Err(format!("paying answered {}", paid.status()));
    }
    let started = Instant::now();
    loop {
        let html = customer.page(&order.order_path).await?;
        if html.contains("data-order-status=\"paid\"") {
            return Ok((
                (),
                format!("paid after {} ms", started.elapsed().as_millis()),
            ));
        }
        if started.elapsed() > PAID_WAIT {
            return Err(format!(
                "the order was not paid within {} s (is the webhook reaching the server?)",
                PAID_WAIT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Logs the operator in and records the order's return.
async fn record_return(
    customer: &Customer,
    operator: &Operator,
    order_id: i64,
) -> Result<Value, String> {
    let admin = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?;
    let base = &customer.target.base;
    let mut request = admin.post(format!("{base}/api/returns"));
    match operator {
        Operator::Login { email, password } => {
            let res = admin
                .post(format!("{base}/api/v1/session"))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .map_err(|e| format!("logging in: {e}"))?;
            if !res.status().is_success() {
                return Err(format!("the operator login answered {}", res.status()));
            }
        }
        Operator::Session { cookie } => request = request.header(reqwest::header::COOKIE, cookie),
    }
    let res = request
        .json(&json!({"order_id": order_id}))
        .send()
        .await
        .map_err(|e| format!("recording the return: {e}"))?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!(
            "the return answered {status}: {}",
            body["error"]["message"]
        ));
    }
    Ok(body)
}

/// The target of `vitrine smoke --shop HANDLE [--base URL]`: the server at `base` (default:
/// where this configuration listens), the shop's primary host from the database, and the
/// operator login given (`--email`/`--password`); for the sample shop in `dev` without one,
/// the sample's development login.
pub async fn target_for_shop(
    config: &crate::config::Config,
    handle: &str,
    base: Option<String>,
    operator: Option<Operator>,
) -> Result<Target, String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = crate::db::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let shop = entity::shop::Entity::find()
        .filter(entity::shop::Column::Handle.eq(handle))
        .one(&db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no shop with handle `{handle}`"))?;
    let host = crate::tenancy::primary_host(&db, shop.id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the shop `{handle}` has no verified domain"))?;
    let operator = operator.or_else(|| {
        (config.is_dev() && handle == crate::seed::SAMPLE_HANDLE).then(|| Operator::Login {
            email: crate::seed::SAMPLE_EDITOR_EMAIL.into(),
            password: crate::seed::SAMPLE_EDITOR_PASSWORD.into(),
        })
    });
    let base = base.unwrap_or_else(|| loopback_base(config.addr));
    Ok(Target {
        base: base.trim_end_matches('/').to_string(),
        host,
        operator,
    })
}

/// Where this machine reaches a server listening on `addr` (`0.0.0.0` → `127.0.0.1`).
pub fn loopback_base(mut addr: std::net::SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}")
}
