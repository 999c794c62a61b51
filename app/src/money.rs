//! Prices are integers in minor units; this formats them for display.

/// Formats `minor` units of `currency` (ISO 4217), e.g. `(2450, "EUR")` → `€24.50`.
pub fn format_price(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let (major, cents) = (abs / 100, abs % 100);
    match currency {
        "EUR" => format!("{sign}€{major}.{cents:02}"),
        "USD" => format!("{sign}${major}.{cents:02}"),
        "GBP" => format!("{sign}£{major}.{cents:02}"),
        other => format!("{sign}{major}.{cents:02} {other}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_minor_units() {
        assert_eq!(super::format_price(2450, "EUR"), "€24.50");
        assert_eq!(super::format_price(5, "USD"), "$0.05");
        assert_eq!(super::format_price(-1999, "GBP"), "-£19.99");
        assert_eq!(super::format_price(100, "SEK"), "1.00 SEK");
    }
}
