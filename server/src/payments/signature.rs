//! Webhook signatures and events in the provider's format.
//!
//! The provider signs each webhook with a shared secret: the `Stripe-Signature` header is
//! `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The timestamp is inside the
//! signed text, so an old event cannot be replayed with a fresh time, and a tolerance window
//! makes captured events useless after a few minutes. While a secret is being rotated the
//! header carries one `v1=` entry per secret, so any one of them verifying is enough; other
//! schemes (`v0=`, test-mode extras) are ignored.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The longest `Stripe-Signature` header read. Real ones are about 100 bytes per secret;
/// anything this long is not a signature and is refused before any work is done on it.
pub const MAX_HEADER_BYTES: usize = 4 * 1024;

/// Why a webhook's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or empty")]
    Missing,
    #[error("the signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("no v1 signature matches the payload and the webhook secret")]
    NoValidSignature,
    #[error(
        "the signature's timestamp is {0} s old (negative: ahead of now), outside the tolerance"
    )]
    Stale(i64),
}

/// The full `Stripe-Signature` header value for `payload` signed at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mac = signed_mac(secret, timestamp, payload);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Checks a `Stripe-Signature` header against the raw body and the webhook secret; answers
/// the signed timestamp. A signature is valid when any `v1=` entry matches (compared in
/// constant time) and the timestamp lies within `tolerance_secs` of `now`, before or after
/// (clocks drift both ways; a far-future timestamp would otherwise stay valid for long).
pub fn verify(
    header: &str,
    payload: &[u8],
    secret: &str,
    now: i64,
    tolerance_secs: i64,
) -> Result<i64, SignatureError> {
    if header.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Malformed("longer than 4 KiB"));
    }
    if header.trim().is_empty() {
        return Err(SignatureError::Missing);
    }
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.split_once('=') else {
            return Err(SignatureError::Malformed("an entry is not key=value"));
        };
        match key.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one timestamp"));
                }
                let t = value
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| SignatureError::Malformed("the timestamp is not a number"))?;
                timestamp = Some(t);
            }
            // A v1 entry that is not hex cannot match; the others may still.
            "v1" => candidates.extend(hex::decode(value.trim()).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no timestamp (t=)"))?;
    let mac = signed_mac(secret, timestamp, payload);
    if !candidates
        .iter()
        .any(|candidate| mac.clone().verify_slice(candidate).is_ok())
    {
        return Err(SignatureError::NoValidSignature);
    }
    let age = now.saturating_sub(timestamp);
    if age.saturating_abs() > tolerance_secs {
        return Err(SignatureError::Stale(age));
    }
    Ok(timestamp)
}

/// The HMAC state after `"{timestamp}.{payload}"`.
fn signed_mac(secret: &str, timestamp: i64, payload: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// A webhook event, reduced to what the shop acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEvent {
    /// The provider's event id (`evt_…`): the same event may be delivered more than once.
    pub id: String,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `checkout.session.completed`: the customer finished the payment page. Only a
    /// `payment_status` of `paid` means the money arrived (delayed methods complete unpaid).
    CheckoutCompleted {
        session_id: String,
        client_reference_id: Option<String>,
        payment_intent: Option<String>,
        amount_total: Option<i64>,
        currency: Option<String>,
        payment_status: Option<String>,
    },
    /// `checkout.session.expired`: the payment window closed without a payment.
    CheckoutExpired {
        session_id: String,
        client_reference_id: Option<String>,
    },
    /// Any other event type, named.
    Other(String),
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: Option<RawData>,
}

#[derive(Deserialize)]
struct RawData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSession {
    id: String,
    #[serde(default)]
    client_reference_id: Option<String>,
    #[serde(default)]
    payment_intent: Option<IdOrObject>,
    #[serde(default)]
    amount_total: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    payment_status: Option<String>,
}

/// A reference the provider sends either as an id or, when expanded, as the object itself.
#[derive(Deserialize)]
#[serde(untagged)]
enum IdOrObject {
    Id(String),
    Object { id: String },
}

impl IdOrObject {
    fn into_id(self) -> String {
        match self {
            IdOrObject::Id(id) | IdOrObject::Object { id } => id,
        }
    }
}

/// Reads a webhook body (an `event` object). Checkout events must carry their session
/// (`data.object` with an `id`); other event types are named and otherwise left alone.
pub fn parse_event(payload: &[u8]) -> Result<ProviderEvent, serde_json::Error> {
    use serde::de::Error as _;
    let raw: RawEvent = serde_json::from_slice(payload)?;
    let session = || -> Result<RawSession, serde_json::Error> {
        let data = raw
            .data
            .as_ref()
            .ok_or_else(|| serde_json::Error::custom("a checkout event without data.object"))?;
        RawSession::deserialize(&data.object)
    };
    let kind = match raw.kind.as_str() {
        "checkout.session.completed" => {
            let s = session()?;
            EventKind::CheckoutCompleted {
                session_id: s.id,
                client_reference_id: s.client_reference_id,
                payment_intent: s.payment_intent.map(IdOrObject::into_id),
                amount_total: s.amount_total,
                currency: s.currency,
                payment_status: s.payment_status,
            }
        }
        "checkout.session.expired" => {
            let s = session()?;
            EventKind::CheckoutExpired {
                session_id: s.id,
                client_reference_id: s.client_reference_id,
            }
        }
        _ => EventKind::Other(raw.kind.clone()),
    };
    Ok(ProviderEvent { id: raw.id, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const NOW: i64 = 1_760_000_000;
    const TOLERANCE: i64 = 300;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    fn check(header: &str) -> Result<i64, SignatureError> {
        verify(header, BODY, SECRET, NOW, TOLERANCE)
    }

    #[test]
    fn a_signature_made_by_sign_verifies_and_answers_its_timestamp() {
        let header = sign(SECRET, NOW, BODY);
        assert!(header.starts_with(&format!("t={NOW},v1=")), "{header}");
        // 32 bytes of HMAC-SHA256, hex.
        assert_eq!(header.rsplit("v1=").next().unwrap().len(), 64);
        assert_eq!(check(&header), Ok(NOW));
        // Spaces around entries are tolerated.
        assert_eq!(check(&header.replace(',', ", ")), Ok(NOW));
    }

    #[test]
    fn the_signature_matches_an_independent_hmac_of_timestamp_dot_payload() {
        let mut mac = HmacSha256::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("{NOW}.").as_bytes());
        mac.update(BODY);
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(sign(SECRET, NOW, BODY), format!("t={NOW},v1={expected}"));
    }

    #[test]
    fn any_of_several_v1_entries_may_match_and_other_schemes_are_ignored() {
        let good = sign(SECRET, NOW, BODY);
        let good_v1 = good.rsplit("v1=").next().unwrap();
        let wrong_v1 = sign("whsec_old", NOW, BODY)
            .rsplit("v1=")
            .next()
            .unwrap()
            .to_string();
        // The second v1 is the right one (a secret being rotated).
        let header = format!("t={NOW},v1={wrong_v1},v1={good_v1}");
        assert_eq!(check(&header), Ok(NOW));
        // A v0 entry (or any other scheme) neither helps nor hurts.
        let header = format!("t={NOW},v0={good_v1},v1={good_v1},x=1");
        assert_eq!(check(&header), Ok(NOW));
        let only_v0 = format!("t={NOW},v0={good_v1}");
        assert_eq!(check(&only_v0), Err(SignatureError::NoValidSignature));
        // A v1 that is not hex is skipped, not fatal.
        let header = format!("t={NOW},v1=not-hex,v1={good_v1}");
        assert_eq!(check(&header), Ok(NOW));
    }

    #[test]
    fn a_wrong_secret_a_changed_body_or_a_changed_timestamp_do_not_verify() {
        let wrong_secret = sign("whsec_wrong", NOW, BODY);
        assert_eq!(check(&wrong_secret), Err(SignatureError::NoValidSignature));
        let header = sign(SECRET, NOW, BODY);
        assert_eq!(
            verify(&header, b"{}", SECRET, NOW, TOLERANCE),
            Err(SignatureError::NoValidSignature)
        );
        let moved = header.replace(&format!("t={NOW}"), &format!("t={}", NOW - 1));
        assert_eq!(check(&moved), Err(SignatureError::NoValidSignature));
        let truncated = &header[..header.len() - 2];
        assert_eq!(check(truncated), Err(SignatureError::NoValidSignature));
    }

    #[test]
    fn stale_and_future_timestamps_are_refused_at_the_tolerance_edge() {
        assert_eq!(check(&sign(SECRET, NOW - TOLERANCE, BODY)), Ok(NOW - 300));
        assert_eq!(check(&sign(SECRET, NOW + TOLERANCE, BODY)), Ok(NOW + 300));
        assert_eq!(
            check(&sign(SECRET, NOW - TOLERANCE - 1, BODY)),
            Err(SignatureError::Stale(301))
        );
        assert_eq!(
            check(&sign(SECRET, NOW + TOLERANCE + 1, BODY)),
            Err(SignatureError::Stale(-301))
        );
        // Extreme timestamps do not overflow.
        assert!(matches!(
            check(&sign(SECRET, i64::MIN, BODY)),
            Err(SignatureError::Stale(_))
        ));
    }

    #[test]
    fn missing_and_malformed_headers_are_told_apart() {
        assert_eq!(check(""), Err(SignatureError::Missing));
        assert_eq!(check("  "), Err(SignatureError::Missing));
        let v1 = "v1=00";
        for header in [
            "t=abc,v1=zz".to_string(),
            "garbage".to_string(),
            v1.to_string(),
            format!("t=1,t=2,{v1}"),
            format!("t={NOW};{v1}"),
        ] {
            assert!(
                matches!(check(&header), Err(SignatureError::Malformed(_))),
                "{header}: {:?}",
                check(&header)
            );
        }
        // A timestamp and no v1 at all: nothing can match.
        assert_eq!(
            check(&format!("t={NOW}")),
            Err(SignatureError::NoValidSignature)
        );
    }

    #[test]
    fn headers_over_four_kib_are_malformed_even_with_a_valid_entry() {
        let good = sign(SECRET, NOW, BODY);
        let padding = ",v0=".to_string() + &"a".repeat(MAX_HEADER_BYTES);
        let long = format!("{good}{padding}");
        assert!(long.len() > MAX_HEADER_BYTES);
        assert_eq!(
            check(&long),
            Err(SignatureError::Malformed("longer than 4 KiB"))
        );
        // Just under the cap is read normally.
        let fill = MAX_HEADER_BYTES - good.len() - ",v0=".len();
        let fits = format!("{good},v0={}", "a".repeat(fill));
        assert_eq!(fits.len(), MAX_HEADER_BYTES);
        assert_eq!(check(&fits), Ok(NOW));
    }

    #[test]
    fn completed_sessions_are_read_from_the_event_json() {
        let body = serde_json::json!({
            "id": "evt_123", "object": "event", "type": "checkout.session.completed",
            "created": NOW, "livemode": false,
            "data": {"object": {
                "id": "cs_test_1", "object": "checkout.session",
                "client_reference_id": "tok", "payment_intent": "pi_1",
                "amount_total": 4800, "currency": "eur", "payment_status": "paid",
                "metadata": {"order_id": "7"}, "unknown_field": [1, 2]
            }}
        });
        let event = parse_event(body.to_string().as_bytes()).unwrap();
        assert_eq!(
            event,
            ProviderEvent {
                id: "evt_123".into(),
                kind: EventKind::CheckoutCompleted {
                    session_id: "cs_test_1".into(),
                    client_reference_id: Some("tok".into()),
                    payment_intent: Some("pi_1".into()),
                    amount_total: Some(4800),
                    currency: Some("eur".into()),
                    payment_status: Some("paid".into()),
                },
            }
        );
    }

    #[test]
    fn an_expanded_payment_intent_and_null_fields_are_understood() {
        let body = serde_json::json!({
            "id": "evt_2", "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_2", "payment_intent": {"id": "pi_2", "object": "payment_intent"},
                "client_reference_id": null, "amount_total": null}}
        });
        let event = parse_event(body.to_string().as_bytes()).unwrap();
        let EventKind::CheckoutCompleted {
            payment_intent,
            client_reference_id,
            amount_total,
            ..
        } = event.kind
        else {
            panic!("{event:?}")
        };
        assert_eq!(payment_intent.as_deref(), Some("pi_2"));
        assert_eq!(client_reference_id, None);
        assert_eq!(amount_total, None);
    }

    #[test]
    fn expired_sessions_and_other_events_are_read() {
        let body = serde_json::json!({
            "id": "evt_3", "type": "checkout.session.expired",
            "data": {"object": {"id": "cs_3", "client_reference_id": "tok3", "status": "expired"}}
        });
        assert_eq!(
            parse_event(body.to_string().as_bytes()).unwrap().kind,
            EventKind::CheckoutExpired {
                session_id: "cs_3".into(),
                client_reference_id: Some("tok3".into())
            }
        );
        let body = br#"{"id":"evt_4","type":"charge.refunded","data":{"object":{"id":"ch_1"}}}"#;
        assert_eq!(
            parse_event(body).unwrap(),
            ProviderEvent {
                id: "evt_4".into(),
                kind: EventKind::Other("charge.refunded".into())
            }
        );
    }

    #[test]
    fn events_without_what_the_shop_needs_are_errors() {
        for body in [
            &b"not json"[..],
            br#"{"type":"checkout.session.completed","data":{"object":{"id":"cs"}}}"#,
            br#"{"id":"evt","data":{"object":{"id":"cs"}}}"#,
            br#"{"id":"evt","type":"checkout.session.completed"}"#,
            br#"{"id":"evt","type":"checkout.session.completed","data":{"object":{}}}"#,
            br#"{"id":"evt","type":"checkout.session.expired","data":{"object":{"id":5}}}"#,
            br#"{"id":"evt","type":"checkout.session.completed","data":{"object":{"id":"cs","amount_total":"12"}}}"#,
        ] {
            assert!(
                parse_event(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
