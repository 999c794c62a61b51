//! Signed, expiring preview tokens (HMAC-SHA256 over version, key id, purpose, shop, page,
//! the page's preview epoch, issued-at and expiry), with a keyring for rotation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const VERSION: &str = "v1";
const PURPOSE: &str = "preview";
/// Clock difference tolerated between the machine that signed and the one verifying.
pub const CLOCK_SKEW_SECS: i64 = 30;

/// What a token grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub kid: String,
    pub shop_id: i64,
    pub page_id: i64,
    pub epoch: i64,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// Signing keys: the first signs, every listed key verifies.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Keyring").field("kids", &kids).finish()
    }
}

impl Keyring {
    /// Parses `kid:secret,kid:secret`. Key ids are letters, digits, `-` and `_`; secrets
    /// have at least 32 bytes.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kid, secret) = part
                .split_once(':')
                .ok_or("each preview key is kid:secret")?;
            if kid.is_empty()
                || !kid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(format!(
                    "preview key id `{kid}` may use only letters, digits, - and _"
                ));
            }
            if secret.len() < 32 {
                return Err(format!(
                    "preview key `{kid}` needs a secret of at least 32 characters"
                ));
            }
            if keys.iter().any(|(k, _)| k == kid) {
                return Err(format!("preview key id `{kid}` is listed twice"));
            }
            keys.push((kid.to_string(), secret.as_bytes().to_vec()));
        }
        if keys.is_empty() {
            return Err("no preview keys".into());
        }
        Ok(Self { keys })
    }

    /// A random key that lives as long as the process.
    pub fn ephemeral() -> Self {
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        Self {
            keys: vec![("ephemeral".into(), secret.into_bytes())],
        }
    }

    /// A fixed key for development only.
    pub fn development() -> Self {
        Self {
            keys: vec![(
                "dev".into(),
                b"vitrine-development-preview-key-not-for-production".to_vec(),
            )],
        }
    }

    fn mac(secret: &[u8], payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(payload);
        mac
    }

    /// Signs claims with the newest key (the first listed); `claims.kid` is set to it.
    pub fn sign(&self, mut claims: Claims) -> String {
        let (kid, secret) = &self.keys[0];
        claims.kid = kid.clone();
        let payload = format!(
            "{VERSION}.{}.{PURPOSE}.{}.{}.{}.{}.{}",
            claims.kid,
            claims.shop_id,
            claims.page_id,
            claims.epoch,
            claims.issued_at,
            claims.expires_at
        );
        let tag = Self::mac(secret, payload.as_bytes())
            .finalize()
            .into_bytes();
        format!("{}.{}", B64.encode(payload), B64.encode(tag))
    }

    /// Checks signature (constant-time), version, purpose and times. `None` for any problem:
    /// callers answer every failure the same way.
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        if token.len() > 512 {
            return None;
        }
        let (payload_b64, tag_b64) = token.split_once('.')?;
        let payload = B64.decode(payload_b64).ok()?;
        let tag = B64.decode(tag_b64).ok()?;
        let text = std::str::from_utf8(&payload).ok()?;
        let fields: Vec<&str> = text.split('.').collect();
        let [version, kid, purpose, shop, page, epoch, iat, exp] = fields.as_slice() else {
            return None;
        };
        let (_, secret) = self.keys.iter().find(|(k, _)| k == kid)?;
        // The hmac crate compares in constant time.
        Self::mac(secret, &payload).verify_slice(&tag).ok()?;
        if *version != VERSION || *purpose != PURPOSE {
            return None;
        }
        let claims = Claims {
            kid: kid.to_string(),
            shop_id: shop.parse().ok()?,
            page_id: page.parse().ok()?,
            epoch: epoch.parse().ok()?,
            issued_at: iat.parse().ok()?,
            expires_at: exp.parse().ok()?,
        };
        let fresh =
            claims.issued_at <= now + CLOCK_SKEW_SECS && now <= claims.expires_at + CLOCK_SKEW_SECS;
        fresh.then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn claims() -> Claims {
        Claims {
            kid: String::new(),
            shop_id: 7,
            page_id: 42,
            epoch: 3,
            issued_at: NOW,
            expires_at: NOW + 3600,
        }
    }

    fn ring(spec: &str) -> Keyring {
        Keyring::parse(spec).unwrap()
    }

    const K1: &str = "k1:0123456789abcdef0123456789abcdef";
    const K2: &str = "k2:fedcba9876543210fedcba9876543210";

    #[test]
    fn a_valid_token_verifies() {
        let keys = ring(K1);
        let token = keys.sign(claims());
        let got = keys.verify(&token, NOW + 10).unwrap();
        assert_eq!(
            got,
            Claims {
                kid: "k1".into(),
                ..claims()
            }
        );
    }

    /// Re-signs a tampered payload with a wrong key would be needed to pass; changing any
    /// field of the signed payload must fail verification.
    #[test]
    fn every_signed_field_is_covered() {
        let keys = ring(K1);
        let token = keys.sign(claims());
        let (payload_b64, tag) = token.split_once('.').unwrap();
        let payload = String::from_utf8(B64.decode(payload_b64).unwrap()).unwrap();
        let fields: Vec<&str> = payload.split('.').collect();
        for i in 0..fields.len() {
            let mut changed = fields.clone();
            let replacement = if i == 1 {
                "k2".to_string()
            } else {
                format!("{}9", fields[i])
            };
            changed[i] = &replacement;
            let forged = format!("{}.{tag}", B64.encode(changed.join(".")));
            assert_eq!(
                ring(&format!("{K1},{K2}")).verify(&forged, NOW),
                None,
                "field {i} not covered"
            );
        }
    }

    #[test]
    fn malformed_expired_future_and_unknown_keys_fail() {
        let keys = ring(K1);
        let token = keys.sign(claims());
        assert_eq!(
            keys.verify(&token[..token.len() - 3], NOW),
            None,
            "truncated"
        );
        assert_eq!(keys.verify("%%%.!!!", NOW), None, "bad base64");
        assert_eq!(keys.verify("", NOW), None);
        assert_eq!(keys.verify(&format!("{token}.x"), NOW), None);
        assert_eq!(
            keys.verify(&token, NOW + 3600 + CLOCK_SKEW_SECS + 1),
            None,
            "expired"
        );
        assert!(
            keys.verify(&token, NOW + 3600 + CLOCK_SKEW_SECS - 1)
                .is_some(),
            "within skew"
        );
        let future = keys.sign(Claims {
            issued_at: NOW + 600,
            expires_at: NOW + 4000,
            ..claims()
        });
        assert_eq!(keys.verify(&future, NOW), None, "issued in the future");
        assert_eq!(ring(K2).verify(&token, NOW), None, "unknown key id");
    }

    #[test]
    fn rotation_keeps_old_links_while_their_key_is_listed() {
        let old = ring(K1);
        let token = old.sign(claims());
        let rotated = ring(&format!("{K2},{K1}"));
        assert!(rotated.verify(&token, NOW).is_some());
        assert_eq!(
            rotated.verify(&rotated.sign(claims()), NOW).unwrap().kid,
            "k2"
        );
        assert_eq!(ring(K2).verify(&token, NOW), None, "dropped key");
        assert!(Keyring::parse("k1:short").is_err());
        assert!(Keyring::parse("bad kid:0123456789abcdef0123456789abcdef").is_err());
    }
}
