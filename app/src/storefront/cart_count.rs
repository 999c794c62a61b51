//! The header's cart count on shared pages.
//!
//! A storefront page is rendered once and served to every visitor from the render cache (and
//! a CDN), so it cannot hold anybody's cart. Its header's cart link holds an empty, hidden
//! element instead — [`CART_COUNT_SLOT`] — and the server swaps that for the visitor's badge
//! with [`with_cart_count`] on the way out (the result is then private to that visitor).
//!
//! The slot can only come from the header: it holds both a raw `<` and a raw `"`, and every
//! text an editor or customer controls is escaped in the page — `<` in text, `"` in
//! attribute values — so no page content can spell it, and the first occurrence is the
//! header's.

/// The header's empty slot, exactly as Leptos renders it (a test renders the header and
/// checks). `hidden`, so it takes no room in the link's row of items while it is empty.
pub const CART_COUNT_SLOT: &str = r#"<span data-cart-slot="" hidden></span>"#;

/// Counts above this show as `99+` in the pill (the label still says the exact number):
/// a cart can hold 50 lines of 99 items, which would not fit in a round badge.
pub const MAX_SHOWN_CART_COUNT: i32 = 99;

/// The badge for `count` items: a small pill carrying `data-cart-count` and an
/// `aria-label` (`3 items in cart`). Only integers go into it: nothing to escape.
pub fn cart_count_badge(count: i32) -> String {
    let shown = if count > MAX_SHOWN_CART_COUNT {
        format!("{MAX_SHOWN_CART_COUNT}+")
    } else {
        count.to_string()
    };
    let noun = if count == 1 { "item" } else { "items" };
    format!(
        concat!(
            r#"<span data-cart-count="{count}" aria-label="{count} {noun} in cart" "#,
            r#"class="inline-flex h-5 min-w-5 items-center justify-center rounded-full bg-accent px-1.5 "#,
            r#"text-xs leading-none font-bold text-white">{shown}</span>"#
        ),
        count = count,
        noun = noun,
        shown = shown,
    )
}

/// The page with the visitor's cart count in its header: the slot replaced by the badge
/// (once). `None` when the page has no slot (not a storefront page, or already filled); the
/// page as it was when `count` is 0 or less — an empty cart shows no badge.
pub fn with_cart_count(html: &str, count: i32) -> Option<String> {
    let at = html.find(CART_COUNT_SLOT)?;
    if count <= 0 {
        return Some(html.to_string());
    }
    let badge = cart_count_badge(count);
    let mut out = String::with_capacity(html.len() + badge.len());
    out.push_str(&html[..at]);
    out.push_str(&badge);
    out.push_str(&html[at + CART_COUNT_SLOT.len()..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> String {
        format!(
            "<body><header><a href=\"/cart\">Cart{CART_COUNT_SLOT}</a></header><main>{CART_COUNT_SLOT}</main></body>"
        )
    }

    #[test]
    fn the_count_replaces_the_first_slot_only() {
        let html = with_cart_count(&page(), 3).expect("a slot");
        assert_eq!(html.matches("data-cart-count=").count(), 1, "{html}");
        assert!(html.contains(
            r#"<a href="/cart">Cart<span data-cart-count="3" aria-label="3 items in cart""#
        ));
        assert!(html.contains(">3</span></a>"));
        assert_eq!(
            html.matches(CART_COUNT_SLOT).count(),
            1,
            "the second one is left"
        );
    }

    #[test]
    fn no_slot_no_page_and_empty_carts_change_nothing() {
        assert_eq!(with_cart_count("<body>no header</body>", 2), None);
        assert_eq!(
            with_cart_count(&page(), 0).as_deref(),
            Some(page().as_str())
        );
        assert_eq!(
            with_cart_count(&page(), -4).as_deref(),
            Some(page().as_str())
        );
    }

    #[test]
    fn big_counts_are_capped_in_the_pill_not_the_label() {
        let one = cart_count_badge(1);
        assert!(one.contains(r#"aria-label="1 item in cart""#) && one.ends_with(">1</span>"));
        let at_cap = cart_count_badge(MAX_SHOWN_CART_COUNT);
        assert!(at_cap.ends_with(">99</span>"), "{at_cap}");
        let over = cart_count_badge(MAX_SHOWN_CART_COUNT + 1);
        assert!(over.ends_with(">99+</span>"), "{over}");
        assert!(over.contains(r#"data-cart-count="100" aria-label="100 items in cart""#));
    }
}
