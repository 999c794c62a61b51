//! A shop's configuration: what the configurator (`/admin/shops/new`) collects, what
//! `vitrine shop create --config shop.json` reads and `vitrine shop export` writes, and what
//! the API accepts. One schema for the three: every field, the wizard step it belongs to,
//! and in which environments it is **required for launch** ([`FIELDS`], [`requirement`]);
//! [`validate`] applies it and says what is missing, per field, for one environment.

use crate::theme::{FONT_STACKS, ThemeTokens, is_hex_color};
use serde::{Deserialize, Serialize};

/// Where a shop runs. `dev` follows the latest published pages; `stage` and `prod` serve the
/// release last launched to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Dev,
    Stage,
    Prod,
}

impl Environment {
    pub const ALL: [Environment; 3] = [Environment::Dev, Environment::Stage, Environment::Prod];
    /// The environments a shop is launched to (dev always shows the latest publish).
    pub const LAUNCHABLE: [Environment; 2] = [Environment::Stage, Environment::Prod];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Stage => "stage",
            Environment::Prod => "prod",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The configurator's steps, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Basics,
    Theme,
    Pages,
    Navigation,
    Providers,
    Domains,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Basics,
        Step::Theme,
        Step::Pages,
        Step::Navigation,
        Step::Providers,
        Step::Domains,
    ];

    /// 1-based, as the wizard shows it.
    pub fn number(self) -> usize {
        self as usize + 1
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Basics => "Basics",
            Step::Theme => "Theme",
            Step::Pages => "Pages",
            Step::Navigation => "Navigation",
            Step::Providers => "Providers",
            Step::Domains => "Domains",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Step::Basics => "basics",
            Step::Theme => "theme",
            Step::Pages => "pages",
            Step::Navigation => "navigation",
            Step::Providers => "providers",
            Step::Domains => "domains",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.slug() == s)
    }
}

/// Whether a field must be filled in before a launch to an environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    Required,
    Optional,
}

/// One field of the configuration.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    /// Dotted path in the configuration's JSON, e.g. `basics.name`.
    pub key: &'static str,
    pub step: Step,
    pub label: &'static str,
    pub help: &'static str,
    /// Required for launch in dev, stage, prod.
    required_in: [bool; 3],
}

impl FieldSpec {
    pub fn requirement(&self, env: Environment) -> Requirement {
        if self.required_in[env.index()] {
            Requirement::Required
        } else {
            Requirement::Optional
        }
    }
}

const ALL_ENVS: [bool; 3] = [true, true, true];
const LAUNCHED: [bool; 3] = [false, true, true];
const NOWHERE: [bool; 3] = [false, false, false];

/// Every field, in wizard order.
pub const FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "basics.name",
        step: Step::Basics,
        label: "Shop name",
        help: "Shown in the header, the footer and the browser tab.",
        required_in: ALL_ENVS,
    },
    FieldSpec {
        key: "basics.handle",
        step: Step::Basics,
        label: "Handle",
        help: "Lower-case letters, digits and dashes; the shop's name in URLs and on the command line. It cannot change later.",
        required_in: ALL_ENVS,
    },
    FieldSpec {
        key: "basics.tagline",
        step: Step::Basics,
        label: "Tagline",
        help: "A short line under the shop name.",
        required_in: NOWHERE,
    },
    FieldSpec {
        key: "basics.primary_locale",
        step: Step::Basics,
        label: "Primary locale",
        help: "A language tag such as en-GB or de-DE.",
        required_in: ALL_ENVS,
    },
    FieldSpec {
        key: "basics.extra_locales",
        step: Step::Basics,
        label: "Extra locales",
        help: "Other languages the shop will offer.",
        required_in: NOWHERE,
    },
    FieldSpec {
        key: "basics.currency",
        step: Step::Basics,
        label: "Currency",
        help: "The ISO 4217 code prices are in, e.g. EUR.",
        required_in: ALL_ENVS,
    },
    FieldSpec {
        key: "theme.palette",
        step: Step::Theme,
        label: "Palette",
        help: "Six colours as #rrggbb.",
        required_in: NOWHERE,
    },
    FieldSpec {
        key: "theme.fonts",
        step: Step::Theme,
        label: "Fonts",
        help: "Heading and body font (system fonts, nothing is downloaded).",
        required_in: NOWHERE,
    },
    FieldSpec {
        key: "theme.radius",
        step: Step::Theme,
        label: "Corner radius",
        help: "0 to 32 pixels.",
        required_in: NOWHERE,
    },
    FieldSpec {
        key: "pages.home",
        step: Step::Pages,
        label: "Home page",
        help: "The page at /.",
        required_in: ALL_ENVS,
    },
    FieldSpec {
        key: "pages.product_list",
        step: Step::Pages,
        label: "Product list",
        help: "The page at /products.",
        required_in: LAUNCHED,
    },
    FieldSpec {
        key: "pages.product_detail",
        step: Step::Pages,
        label: "Product page",
        help: "The page every /products/{handle} shows.",
        required_in: LAUNCHED,
    },
    FieldSpec {
        key: "pages.about",
        step: Step::Pages,
        label: "About page",
        help: "A content page at /pages/about.",
        required_in: NOWHERE,
    },
    FieldSpec {
        key: "pages.cart",
        step: Step::Pages,
        label: "Cart",
        help: "The page at /cart.",
        required_in: LAUNCHED,
    },
    FieldSpec {
        key: "pages.checkout",
        step: Step::Pages,
        label: "Checkout",
        help: "The page at /checkout.",
        required_in: LAUNCHED,
    },
    FieldSpec {
        key: "navigation.header",
        step: Step::Navigation,
        label: "Header links",
        help: "Links in the shop's header (empty: Home, Shop and the content pages).",
        required_in: NOWHERE,
    },
    FieldSpec {
        key: "navigation.footer",
        step: Step::Navigation,
        label: "Footer links",
        help: "Links in the shop's footer.",
        required_in: NOWHERE,
    },
    FieldSpec {
        key: "providers.payments",
        step: Step::Providers,
        label: "Payments",
        help: "Which payment provider takes the shop's payments, if any.",
        required_in: NOWHERE,
    },
    FieldSpec {
        key: "providers.secrets",
        step: Step::Providers,
        label: "Payment provider secrets",
        help: "Set in the server's environment, never here. In dev a built-in test provider stands in.",
        required_in: LAUNCHED,
    },
    FieldSpec {
        key: "domains.dev",
        step: Step::Domains,
        label: "Dev hosts",
        help: "Host names that show the latest published pages.",
        required_in: [true, false, false],
    },
    FieldSpec {
        key: "domains.stage",
        step: Step::Domains,
        label: "Stage hosts",
        help: "Host names that serve the release launched to stage.",
        required_in: [false, true, false],
    },
    FieldSpec {
        key: "domains.prod",
        step: Step::Domains,
        label: "Production hosts",
        help: "Host names that serve the release launched to production.",
        required_in: [false, false, true],
    },
];

/// The field with this key.
pub fn field(key: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.key == key)
}

/// Whether the field `key` is required for launch in `env` (unknown keys are optional).
pub fn requirement(key: &str, env: Environment) -> Requirement {
    field(key).map_or(Requirement::Optional, |f| f.requirement(env))
}

/// The version of the configuration format this code writes.
pub const CONFIG_VERSION: u32 = 1;

/// Limits on what a configuration may hold.
pub const MAX_NAME_LEN: usize = 80;
pub const MAX_TAGLINE_LEN: usize = 160;
pub const MAX_HANDLE_LEN: usize = 40;
pub const MAX_LOCALES: usize = 10;
pub const MAX_LINKS: usize = 12;
pub const MAX_LINK_LABEL_LEN: usize = 40;
pub const MAX_LINK_HREF_LEN: usize = 300;
pub const MAX_HOSTS_PER_ENV: usize = 5;
/// The largest configuration document the API and the CLI read.
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;

/// Everything a shop is created from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopConfig {
    pub version: u32,
    pub basics: Basics,
    pub theme: ThemeTokens,
    pub pages: PagesChoice,
    pub navigation: Navigation,
    pub providers: Providers,
    pub domains: Domains,
}

impl Default for ShopConfig {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            basics: Basics::default(),
            theme: ThemeTokens::default(),
            pages: PagesChoice::default(),
            navigation: Navigation::default(),
            providers: Providers::default(),
            domains: Domains::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Basics {
    pub name: String,
    pub handle: String,
    pub tagline: String,
    pub primary_locale: String,
    pub extra_locales: Vec<String>,
    pub currency: String,
}

impl Default for Basics {
    fn default() -> Self {
        Self {
            name: String::new(),
            handle: String::new(),
            tagline: String::new(),
            primary_locale: "en-GB".into(),
            extra_locales: Vec::new(),
            currency: "EUR".into(),
        }
    }
}

/// The core pages to create, each from its template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagesChoice {
    pub home: bool,
    pub product_list: bool,
    pub product_detail: bool,
    pub about: bool,
    pub cart: bool,
    pub checkout: bool,
}

impl Default for PagesChoice {
    fn default() -> Self {
        Self {
            home: true,
            product_list: true,
            product_detail: true,
            about: true,
            cart: true,
            checkout: true,
        }
    }
}

/// A core page template: its key in [`PagesChoice`], its title, slug and page type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageTemplate {
    pub key: &'static str,
    pub title: &'static str,
    pub slug: &'static str,
    /// A [`crate::blocks::PageType`] name.
    pub page_type: &'static str,
    pub description: &'static str,
}

/// The core page templates, in wizard order.
pub const PAGE_TEMPLATES: &[PageTemplate] = &[
    PageTemplate {
        key: "home",
        title: "Home",
        slug: "home",
        page_type: "home",
        description: "A hero, featured products and a short story.",
    },
    PageTemplate {
        key: "product_list",
        title: "Shop",
        slug: "products",
        page_type: "product_list",
        description: "Every product in a grid.",
    },
    PageTemplate {
        key: "product_detail",
        title: "Product",
        slug: "product",
        page_type: "product_detail",
        description: "Images, price, variants and the add-to-cart form.",
    },
    PageTemplate {
        key: "about",
        title: "About",
        slug: "about",
        page_type: "page",
        description: "Who you are, in a few paragraphs.",
    },
    PageTemplate {
        key: "cart",
        title: "Cart",
        slug: "cart",
        page_type: "cart",
        description: "The visitor's cart.",
    },
    PageTemplate {
        key: "checkout",
        title: "Checkout",
        slug: "checkout",
        page_type: "checkout",
        description: "Order summary and the pay button.",
    },
];

impl PagesChoice {
    pub fn get(&self, key: &str) -> bool {
        match key {
            "home" => self.home,
            "product_list" => self.product_list,
            "product_detail" => self.product_detail,
            "about" => self.about,
            "cart" => self.cart,
            "checkout" => self.checkout,
            _ => false,
        }
    }

    pub fn set(&mut self, key: &str, on: bool) {
        match key {
            "home" => self.home = on,
            "product_list" => self.product_list = on,
            "product_detail" => self.product_detail = on,
            "about" => self.about = on,
            "cart" => self.cart = on,
            "checkout" => self.checkout = on,
            _ => {}
        }
    }

    /// The chosen templates, in order.
    pub fn chosen(&self) -> impl Iterator<Item = &'static PageTemplate> + '_ {
        PAGE_TEMPLATES.iter().filter(|t| self.get(t.key))
    }
}

/// A link in the header or footer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub label: String,
    pub href: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Navigation {
    pub header: Vec<Link>,
    pub footer: Vec<Link>,
}

/// Which payment provider a shop uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentsChoice {
    /// No online payments: the cart works, checkout says payments are off.
    #[default]
    None,
    /// A Stripe-compatible provider (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`).
    Stripe,
}

impl PaymentsChoice {
    /// The environment variables the provider needs outside dev (names only: secrets are
    /// never part of a configuration).
    pub fn secret_names(self) -> &'static [&'static str] {
        match self {
            PaymentsChoice::None => &[],
            PaymentsChoice::Stripe => &["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"],
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Providers {
    pub payments: PaymentsChoice,
}

/// Host names per environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Domains {
    pub dev: Vec<String>,
    pub stage: Vec<String>,
    pub prod: Vec<String>,
}

impl Domains {
    pub fn hosts(&self, env: Environment) -> &[String] {
        match env {
            Environment::Dev => &self.dev,
            Environment::Stage => &self.stage,
            Environment::Prod => &self.prod,
        }
    }

    pub fn hosts_mut(&mut self, env: Environment) -> &mut Vec<String> {
        match env {
            Environment::Dev => &mut self.dev,
            Environment::Stage => &mut self.stage,
            Environment::Prod => &mut self.prod,
        }
    }

    /// Every host with its environment.
    pub fn all(&self) -> impl Iterator<Item = (Environment, &String)> {
        Environment::ALL
            .into_iter()
            .flat_map(move |env| self.hosts(env).iter().map(move |h| (env, h)))
    }
}

/// Which of the server's secrets are set (names only), for the providers check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretsPresent {
    pub present: Vec<String>,
}

impl SecretsPresent {
    pub fn has(&self, name: &str) -> bool {
        self.present.iter().any(|p| p == name)
    }
}

/// One thing wrong with a configuration, for one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub step: Step,
    /// A key of [`FIELDS`].
    pub field: String,
    pub message: String,
    /// `true`: the value is wrong everywhere; `false`: it is only missing for this environment.
    pub invalid: bool,
}

/// The checklist line of one field for one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub step: Step,
    pub field: String,
    pub label: String,
    pub requirement: Requirement,
    /// `None` when the field is fine.
    pub problem: Option<String>,
}

/// Checks `config` for a launch to `env`: values that are invalid anywhere, and required
/// fields that are empty for `env`. Empty list: ready.
pub fn validate(config: &ShopConfig, env: Environment, secrets: &SecretsPresent) -> Vec<Issue> {
    checklist(config, env, secrets)
        .into_iter()
        .filter_map(|c| {
            let message = c.problem?;
            let invalid = !message.starts_with(MISSING);
            Some(Issue {
                step: c.step,
                field: c.field,
                message,
                invalid,
            })
        })
        .collect()
}

/// The issues of one step only (what the wizard's "Next" waits for).
pub fn validate_step(
    config: &ShopConfig,
    step: Step,
    env: Environment,
    secrets: &SecretsPresent,
) -> Vec<Issue> {
    validate(config, env, secrets)
        .into_iter()
        .filter(|i| i.step == step)
        .collect()
}

const MISSING: &str = "Required";

/// Every field with its requirement for `env` and its problem, if any.
pub fn checklist(config: &ShopConfig, env: Environment, secrets: &SecretsPresent) -> Vec<Check> {
    FIELDS
        .iter()
        .map(|spec| {
            let requirement = spec.requirement(env);
            let problem = match field_problem(config, spec.key, env, secrets) {
                Some(Problem::Invalid(m)) => Some(m),
                Some(Problem::Empty(m)) if requirement == Requirement::Required => {
                    Some(format!("{MISSING} for {env}: {m}"))
                }
                _ => None,
            };
            Check {
                step: spec.step,
                field: spec.key.to_string(),
                label: spec.label.to_string(),
                requirement,
                problem,
            }
        })
        .collect()
}

enum Problem {
    /// Wrong in every environment.
    Invalid(String),
    /// Not filled in (a problem only where the field is required).
    Empty(String),
}

fn field_problem(
    c: &ShopConfig,
    key: &str,
    env: Environment,
    secrets: &SecretsPresent,
) -> Option<Problem> {
    use Problem::{Empty, Invalid};
    let b = &c.basics;
    match key {
        "basics.name" => {
            if b.name.trim().is_empty() {
                Some(Empty("give the shop a name".into()))
            } else if b.name.chars().count() > MAX_NAME_LEN {
                Some(Invalid(format!("at most {MAX_NAME_LEN} characters")))
            } else if b.name.chars().any(char::is_control) {
                Some(Invalid("no control characters".into()))
            } else {
                None
            }
        }
        "basics.handle" => {
            if b.handle.is_empty() {
                Some(Empty("choose a handle".into()))
            } else {
                handle_problem(&b.handle).map(Invalid)
            }
        }
        "basics.tagline" => (b.tagline.chars().count() > MAX_TAGLINE_LEN
            || b.tagline.chars().any(char::is_control))
        .then(|| Invalid(format!("at most {MAX_TAGLINE_LEN} characters, one line"))),
        "basics.primary_locale" => {
            if b.primary_locale.is_empty() {
                Some(Empty("choose the shop's language".into()))
            } else {
                (!is_locale(&b.primary_locale))
                    .then(|| Invalid(format!("`{}` is not a locale like en-GB", b.primary_locale)))
            }
        }
        "basics.extra_locales" => {
            if b.extra_locales.len() > MAX_LOCALES {
                Some(Invalid(format!("at most {MAX_LOCALES}")))
            } else if let Some(bad) = b.extra_locales.iter().find(|l| !is_locale(l)) {
                Some(Invalid(format!("`{bad}` is not a locale like de-DE")))
            } else if b.extra_locales.contains(&b.primary_locale) {
                Some(Invalid("the primary locale is already included".into()))
            } else {
                None
            }
        }
        "basics.currency" => {
            if b.currency.is_empty() {
                Some(Empty("choose a currency".into()))
            } else {
                (!(b.currency.len() == 3 && b.currency.bytes().all(|c| c.is_ascii_uppercase())))
                    .then(|| Invalid(format!("`{}` is not a currency code like EUR", b.currency)))
            }
        }
        "theme.palette" => {
            let t = &c.theme;
            [
                ("primary", &t.primary),
                ("accent", &t.accent),
                ("background", &t.background),
                ("surface", &t.surface),
                ("text", &t.text),
                ("muted", &t.muted),
            ]
            .into_iter()
            .find(|(_, v)| !is_hex_color(v))
            .map(|(name, v)| Invalid(format!("{name} `{v}` is not a colour like #1f4d3a")))
        }
        "theme.fonts" => [&c.theme.heading_font, &c.theme.body_font]
            .into_iter()
            .find(|f| !FONT_STACKS.iter().any(|(k, _)| k == f))
            .map(|f| Invalid(format!("unknown font `{f}`"))),
        "theme.radius" => (c.theme.radius > 32).then(|| Invalid("0 to 32 pixels".into())),
        "pages.home"
        | "pages.product_list"
        | "pages.product_detail"
        | "pages.about"
        | "pages.cart"
        | "pages.checkout" => {
            let page = &key["pages.".len()..];
            (!c.pages.get(page)).then(|| Empty("include this page".into()))
        }
        "navigation.header" => links_problem(&c.navigation.header).map(Invalid),
        "navigation.footer" => links_problem(&c.navigation.footer).map(Invalid),
        "providers.payments" => None,
        "providers.secrets" => {
            let missing: Vec<&str> = c
                .providers
                .payments
                .secret_names()
                .iter()
                .copied()
                .filter(|n| !secrets.has(n))
                .collect();
            (!missing.is_empty() && env != Environment::Dev).then(|| {
                Empty(format!(
                    "set {} in the server's environment",
                    missing.join(" and ")
                ))
            })
        }
        "domains.dev" | "domains.stage" | "domains.prod" => {
            let env_of_field = Environment::parse(&key["domains.".len()..])?;
            let hosts = c.domains.hosts(env_of_field);
            if hosts.is_empty() {
                return Some(Empty(format!("add a host for {env_of_field}")));
            }
            if hosts.len() > MAX_HOSTS_PER_ENV {
                return Some(Invalid(format!("at most {MAX_HOSTS_PER_ENV} hosts")));
            }
            if let Some(bad) = hosts.iter().find(|h| !is_host(h)) {
                return Some(Invalid(format!("`{bad}` is not a host name")));
            }
            // A host belongs to one environment of one shop.
            let dup = c
                .domains
                .all()
                .filter(|(e, _)| *e != env_of_field)
                .find(|(_, h)| hosts.contains(h));
            if let Some((other, h)) = dup {
                return Some(Invalid(format!("`{h}` is already a {other} host")));
            }
            let _ = env;
            None
        }
        _ => None,
    }
}

/// Why `handle` cannot be a shop handle, if it cannot.
pub fn handle_problem(handle: &str) -> Option<String> {
    if handle.len() > MAX_HANDLE_LEN {
        return Some(format!("at most {MAX_HANDLE_LEN} characters"));
    }
    let ok = handle
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !handle.starts_with('-')
        && !handle.ends_with('-')
        && handle.len() >= 2;
    (!ok).then(|| {
        "2 or more lower-case letters, digits and dashes, not starting or ending with a dash"
            .to_string()
    })
}

/// `en`, `en-GB`, `zh-Hant-TW`: letters and digits in dash-separated parts, a 2–3 letter
/// language first.
pub fn is_locale(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let lang = parts.next().unwrap_or_default();
    tag.len() <= 35
        && (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A lower-case DNS name without port: `shop.example.com`, `demo.localhost`, `localhost`.
pub fn is_host(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

fn links_problem(links: &[Link]) -> Option<String> {
    if links.len() > MAX_LINKS {
        return Some(format!("at most {MAX_LINKS} links"));
    }
    links.iter().find_map(|l| {
        if l.label.trim().is_empty() || l.label.chars().count() > MAX_LINK_LABEL_LEN {
            Some(format!(
                "each link needs a label of 1 to {MAX_LINK_LABEL_LEN} characters"
            ))
        } else if !is_link_target(&l.href) {
            Some(format!(
                "`{}`: a link goes to a path on the shop (/…) or an https:// address",
                l.href
            ))
        } else {
            None
        }
    })
}

/// A shop path (`/pages/about`) or an absolute `https://` address.
pub fn is_link_target(href: &str) -> bool {
    href.len() <= MAX_LINK_HREF_LEN
        && !href.chars().any(|c| c.is_control() || c.is_whitespace())
        && ((href.starts_with('/') && !href.starts_with("//") && !href.contains('\\'))
            || (href.starts_with("https://") && href.len() > "https://".len()))
}

impl ShopConfig {
    /// A starting configuration for a shop called `name`: handle from the name, a dev host.
    pub fn starter(name: &str) -> Self {
        let handle = crate::admin::dashboard::slugify(name);
        let mut c = ShopConfig::default();
        c.basics.name = name.to_string();
        c.domains.dev = vec![format!("{handle}.localhost")];
        c.basics.handle = handle;
        c
    }

    /// The configuration as pretty JSON (what `vitrine shop export` writes).
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a configuration serialises")
    }

    /// Reads a configuration, refusing documents over [`MAX_CONFIG_BYTES`] and unknown fields.
    pub fn from_json(text: &str) -> Result<Self, String> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(format!(
                "the configuration is larger than {} KiB",
                MAX_CONFIG_BYTES / 1024
            ));
        }
        let config: ShopConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if config.version != CONFIG_VERSION {
            return Err(format!(
                "configuration version {} is not supported (this Vitrine reads version {CONFIG_VERSION})",
                config.version
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> ShopConfig {
        let mut c = ShopConfig::starter("Fern & Flint");
        c.domains.stage = vec!["stage.fern.example".into()];
        c.domains.prod = vec!["fern.example".into()];
        c
    }

    fn stripe_secrets() -> SecretsPresent {
        SecretsPresent {
            present: vec!["STRIPE_SECRET_KEY".into(), "STRIPE_WEBHOOK_SECRET".into()],
        }
    }

    #[test]
    fn a_starter_is_ready_for_dev_and_its_handle_comes_from_the_name() {
        let c = ShopConfig::starter("Fern & Flint");
        assert_eq!(c.basics.handle, "fern-flint");
        assert_eq!(c.domains.dev, vec!["fern-flint.localhost".to_string()]);
        assert_eq!(
            validate(&c, Environment::Dev, &SecretsPresent::default()),
            vec![]
        );
    }

    #[test]
    fn each_environment_requires_its_own_hosts() {
        let c = ShopConfig::starter("Fern");
        let fields = |env| -> Vec<String> {
            validate(&c, env, &SecretsPresent::default())
                .into_iter()
                .map(|i| i.field)
                .collect()
        };
        assert_eq!(fields(Environment::Stage), vec!["domains.stage"]);
        assert_eq!(fields(Environment::Prod), vec!["domains.prod"]);
        let issue = &validate(&c, Environment::Prod, &SecretsPresent::default())[0];
        assert_eq!(issue.step, Step::Domains);
        assert!(!issue.invalid);
        assert!(
            issue.message.contains("Required for prod"),
            "{}",
            issue.message
        );
    }

    #[test]
    fn payment_secrets_are_optional_in_dev_and_required_in_stage_and_prod() {
        let mut c = complete();
        c.providers.payments = PaymentsChoice::Stripe;
        let none = SecretsPresent::default();
        assert_eq!(
            requirement("providers.secrets", Environment::Dev),
            Requirement::Optional
        );
        assert_eq!(
            requirement("providers.secrets", Environment::Stage),
            Requirement::Required
        );
        assert_eq!(
            requirement("providers.secrets", Environment::Prod),
            Requirement::Required
        );
        assert!(validate(&c, Environment::Dev, &none).is_empty());
        let stage = validate(&c, Environment::Stage, &none);
        assert_eq!(stage.len(), 1);
        assert_eq!(stage[0].field, "providers.secrets");
        assert!(
            stage[0]
                .message
                .contains("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET")
        );
        let half = SecretsPresent {
            present: vec!["STRIPE_SECRET_KEY".into()],
        };
        let prod = validate(&c, Environment::Prod, &half);
        assert!(prod[0].message.contains("STRIPE_WEBHOOK_SECRET"));
        assert!(!prod[0].message.contains("STRIPE_SECRET_KEY"));
        assert!(validate(&c, Environment::Prod, &stripe_secrets()).is_empty());
        // Without a provider there is nothing to set.
        c.providers.payments = PaymentsChoice::None;
        assert!(validate(&c, Environment::Prod, &none).is_empty());
    }

    #[test]
    fn core_pages_are_optional_in_dev_but_required_to_launch_except_about() {
        let mut c = complete();
        c.pages = PagesChoice {
            home: true,
            product_list: false,
            product_detail: false,
            about: false,
            cart: false,
            checkout: false,
        };
        assert!(validate(&c, Environment::Dev, &SecretsPresent::default()).is_empty());
        let stage: Vec<String> = validate(&c, Environment::Stage, &SecretsPresent::default())
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(
            stage,
            [
                "pages.product_list",
                "pages.product_detail",
                "pages.cart",
                "pages.checkout"
            ]
        );
        c.pages.home = false;
        assert_eq!(
            validate(&c, Environment::Dev, &SecretsPresent::default())[0].field,
            "pages.home"
        );
    }

    #[test]
    fn invalid_values_are_reported_in_every_environment() {
        for env in Environment::ALL {
            let mut c = complete();
            c.basics.handle = "Not A Handle".into();
            c.basics.currency = "euro".into();
            c.basics.primary_locale = "english".into();
            c.theme.primary = "red".into();
            c.theme.body_font = "comic".into();
            c.navigation.header = vec![Link {
                label: "Evil".into(),
                href: "javascript:alert(1)".into(),
            }];
            c.domains.dev = vec!["Has Spaces".into()];
            let issues = validate(&c, env, &stripe_secrets());
            let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
            for f in [
                "basics.handle",
                "basics.primary_locale",
                "basics.currency",
                "theme.palette",
                "theme.fonts",
                "navigation.header",
                "domains.dev",
            ] {
                assert!(fields.contains(&f), "{env}: {f} not in {fields:?}");
            }
            assert!(issues.iter().all(|i| i.invalid));
        }
    }

    #[test]
    fn a_host_may_belong_to_one_environment_only() {
        let mut c = complete();
        c.domains.prod = c.domains.stage.clone();
        let issues = validate(&c, Environment::Prod, &SecretsPresent::default());
        assert!(
            issues
                .iter()
                .any(|i| i.field == "domains.prod" && i.message.contains("already a stage host")),
            "{issues:?}"
        );
    }

    #[test]
    fn every_field_has_a_step_and_a_requirement_per_environment_and_the_checklist_lists_them_all() {
        let c = complete();
        let list = checklist(&c, Environment::Prod, &stripe_secrets());
        assert_eq!(list.len(), FIELDS.len());
        assert!(list.iter().all(|check| check.problem.is_none()), "{list:?}");
        for step in Step::ALL {
            assert!(
                FIELDS.iter().any(|f| f.step == step),
                "{step:?} has no field"
            );
            assert_eq!(Step::from_slug(step.slug()), Some(step));
        }
        // Fields in wizard order.
        assert!(FIELDS.windows(2).all(|w| w[0].step <= w[1].step));
        assert_eq!(
            requirement("basics.name", Environment::Dev),
            Requirement::Required
        );
        assert_eq!(
            requirement("basics.tagline", Environment::Prod),
            Requirement::Optional
        );
        assert_eq!(
            requirement("no.such.field", Environment::Prod),
            Requirement::Optional
        );
    }

    #[test]
    fn a_configuration_round_trips_through_json_and_bad_documents_are_refused() {
        let c = complete();
        assert_eq!(ShopConfig::from_json(&c.to_pretty_json()).unwrap(), c);
        assert!(
            ShopConfig::from_json(r#"{"basics":{"nmae":"typo"}}"#)
                .unwrap_err()
                .contains("unknown field")
        );
        assert!(
            ShopConfig::from_json(r#"{"version":2}"#)
                .unwrap_err()
                .contains("version 2")
        );
        let huge = format!(
            r#"{{"basics":{{"name":"{}"}}}}"#,
            "x".repeat(MAX_CONFIG_BYTES)
        );
        assert!(
            ShopConfig::from_json(&huge)
                .unwrap_err()
                .contains("larger than")
        );
        // Missing sections take their defaults.
        let partial = ShopConfig::from_json(r#"{"basics":{"name":"A","handle":"a-b"}}"#).unwrap();
        assert_eq!(partial.theme, ThemeTokens::default());
        assert_eq!(partial.basics.currency, "EUR");
    }

    #[test]
    fn locales_hosts_and_links() {
        assert!(is_locale("en") && is_locale("en-GB") && is_locale("zh-Hant-TW"));
        assert!(!is_locale("EN") && !is_locale("e") && !is_locale("en_GB") && !is_locale(""));
        assert!(is_host("shop.example.com") && is_host("demo.localhost") && is_host("localhost"));
        assert!(!is_host("") && !is_host("a..b") && !is_host("-a.b") && !is_host("A.b"));
        assert!(!is_host("shop.example.com:3000") && !is_host("x.example/"));
        assert!(is_link_target("/pages/about") && is_link_target("https://x.example/y"));
        assert!(!is_link_target("//evil.example") && !is_link_target("http://x.example"));
        assert!(!is_link_target("/a b") && !is_link_target("javascript:x"));
        assert_eq!(handle_problem("fern-flint"), None);
        assert!(handle_problem("-x").is_some() && handle_problem("a").is_some());
    }
}
