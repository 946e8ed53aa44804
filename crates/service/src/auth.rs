//! Secrets: Argon2id password hashes and API keys (random, shown once, stored as SHA-256: a
//! 256-bit random key needs no slow hash, and lookups stay O(1)).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Desk, Principal, Result, ServiceError};

/// Hashes a password with Argon2id off the async threads (it is deliberately slow).
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| ServiceError::Unsupported("password hashing was interrupted".into()))?
    .map_err(|e| ServiceError::Unsupported(format!("password cannot be hashed: {e}")))
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A new API key: `tk_` + 64 hex characters, and the hash to store.
pub fn new_api_key() -> (String, String) {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let key = format!("tk_{}", hex::encode(raw));
    let hash = api_key_hash(&key);
    (key, hash)
}

fn api_key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl Desk {
    /// The integration behind a bearer key, or `None` for an unknown or revoked key.
    pub async fn api_key_principal(&self, key: &str) -> Result<Option<Principal>> {
        if !key.starts_with("tk_") || key.len() != 67 {
            return Ok(None);
        }
        Ok(self.api_key_cached(&api_key_hash(key)).await?.map(|(id, name)| Principal::ApiKey { id, name }))
    }

    /// The agent with their per-department access.
    pub async fn agent_principal(&self, id: tikal_core::AgentId) -> Result<Principal> {
        let agent = self.store.agent(id).await?.ok_or(ServiceError::NotFound("agent"))?;
        let access = self.store.agent_access(id).await?;
        Ok(Principal::Agent { id, name: agent.name.as_str().to_string(), access })
    }

    pub async fn create_api_key(&self, name: &str) -> Result<String> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(tikal_core::DomainError::invalid("name", "must be 1-100 characters").into());
        }
        let (key, hash) = new_api_key();
        self.store.create_api_key(name, &hash, tikal_store::now()).await?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_roundtrip() {
        let h = hash_password("correcto caballo".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correcto caballo".into(), h.clone()).await);
        assert!(!verify_password("incorrecto".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn api_keys_are_unique_and_hashed() {
        let (k1, h1) = new_api_key();
        let (k2, h2) = new_api_key();
        assert_ne!(k1, k2);
        assert_eq!(k1.len(), 67);
        assert_eq!(api_key_hash(&k1), h1);
        assert_ne!(h1, h2);
        assert!(!h1.contains(&k1[3..]));
    }
}
