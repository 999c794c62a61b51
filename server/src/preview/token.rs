//! Signed, expiring preview tokens (HMAC-SHA256 over version, key id, purpose, shop, page,
//! the page's preview epoch, issued-at and expiry), with a keyring for rotation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

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

    /// A random key that lives as long as the process (tests, commands that sign nothing).
    pub fn ephemeral() -> Self {
        Self {
            keys: vec![("ephemeral".into(), random_secret().into_bytes())],
        }
    }

    /// The key kept at `path` (one `kid:secret` line), generated there with owner-only
    /// permissions when the file does not exist yet. A development server without configured
    /// keys signs with it, so its links survive restarts and nobody else knows the key.
    pub fn load_or_generate(path: &Path) -> Result<(Self, KeySource), String> {
        let shown = path.display();
        match std::fs::read_to_string(path) {
            Ok(spec) => {
                restrict_to_owner(path)?;
                let keys = Self::parse(spec.trim()).map_err(|e| format!("{shown}: {e}"))?;
                return Ok((keys, KeySource::Stored(path.to_path_buf())));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read the preview key {shown}: {e}")),
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let spec = format!("local:{}", random_secret());
        // Written whole to a file of our own, then linked into place: a process starting at
        // the same moment sees either no key or a complete one, never a half-written file.
        let tmp = path.with_extension(format!("tmp-{}", random_secret()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&tmp)
            .and_then(|mut file| {
                file.write_all(format!("{spec}\n").as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| std::fs::hard_link(&tmp, path));
        let _ = std::fs::remove_file(&tmp);
        match written {
            Ok(()) => {
                let keys = Self::parse(&spec).map_err(|e| format!("{shown}: {e}"))?;
                Ok((keys, KeySource::Generated(path.to_path_buf())))
            }
            // Another process generated it first: use theirs.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Self::load_or_generate(path),
            Err(e) => Err(format!("cannot create the preview key {shown}: {e}")),
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

/// Where the keys a server signs with came from (`vitrine serve` says so when it starts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `VITRINE_PREVIEW_KEYS`.
    Configured,
    /// Generated on this start and kept at this path.
    Generated(PathBuf),
    /// Read from this path, generated on an earlier start.
    Stored(PathBuf),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Configured => write!(f, "signing key from VITRINE_PREVIEW_KEYS"),
            KeySource::Generated(path) => write!(f, "generated key in {}", path.display()),
            KeySource::Stored(path) => write!(f, "signing key from {}", path.display()),
        }
    }
}

/// 256 bits from a cryptographically secure generator (rand's thread generator, seeded by
/// the operating system), base64url: a preview secret.
fn random_secret() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

/// Makes a key file readable by its owner only, if it is not already.
fn restrict_to_owner(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("cannot read the preview key {}: {e}", path.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "preview key was readable by others; now 0600");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot restrict the preview key {}: {e}", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
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
    fn a_generated_key_is_private_kept_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("vitrine-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("data").join("preview-key");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

        let (first, source) = Keyring::load_or_generate(&path).unwrap();
        assert_eq!(source, KeySource::Generated(path.clone()));
        assert_eq!(mode(&path), 0o600);
        let token = first.sign(claims());
        let (again, source) = Keyring::load_or_generate(&path).unwrap();
        assert_eq!(source, KeySource::Stored(path.clone()));
        assert!(
            again.verify(&token, NOW).is_some(),
            "the stored key is reused"
        );

        // Another data directory, another key: nothing fixed signs links.
        let (other, _) = Keyring::load_or_generate(&dir.join("other/preview-key")).unwrap();
        assert_eq!(other.verify(&token, NOW), None);
        assert_eq!(Keyring::ephemeral().verify(&token, NOW), None);

        // A key file others could read is made private again.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        Keyring::load_or_generate(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        // A damaged key file is an error that names it, not a silent new key.
        std::fs::write(&path, "garbage").unwrap();
        let err = Keyring::load_or_generate(&path).unwrap_err();
        assert!(err.contains("preview-key"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
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
