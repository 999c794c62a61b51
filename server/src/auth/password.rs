//! argon2id password hashes (PHC strings). Hashing runs off the async threads.

use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

/// Hashes a password with argon2id and a random salt.
pub async fn hash(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
}

/// Checks a password against a stored hash; a malformed hash never matches. With `None`
/// (no such user) the same work is done against a fixed hash, so timing does not tell
/// whether an account exists.
pub async fn verify(password: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0hNHVNBk2s0YchkvyflF7/jkcNMWzNIK0N4Ya1g8BoM";
    let exists = stored.is_some();
    let stored = stored.unwrap_or(DUMMY).to_string();
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    ok && exists
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = super::hash("correct horse").await.unwrap();
        let b = super::hash("correct horse").await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert!(super::verify("correct horse", Some(&a)).await);
        assert!(!super::verify("wrong horse", Some(&a)).await);
        assert!(!super::verify("correct horse", Some("not a hash")).await);
        assert!(!super::verify("anything", None).await);
    }
}
