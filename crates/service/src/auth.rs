//! Secrets: Argon2id password hashes and API keys (random, shown once, stored as SHA-256: a
//! 256-bit random key needs no slow hash, and lookups stay O(1)).
//!
//! Argon2 is slow and big on purpose (19 MiB and tens of milliseconds per hash), so hashing is
//! bounded: at most one hash per core runs at once, a short queue waits, and anyone beyond it
//! is told to come back (`ServiceError::Busy`, HTTP 503). Each running hash reuses one of a few
//! fixed working buffers instead of asking the allocator for 19 MiB every time; freed Argon2
//! buffers kept by malloc arenas were what made the server's memory grow without end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{Desk, Principal, Result, ServiceError};

/// How long a request waits in the queue for a hashing slot before it is answered "busy".
const QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Stored hashes needing more memory than this many blocks (KiB) are not verified.
const MAX_BLOCKS: usize = 4 * Params::DEFAULT_M_COST as usize;

/// Bounds password hashing: `concurrent` hashes at once, `queue` more waiting, one reusable
/// working buffer per running hash.
#[derive(Debug)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl Default for Hasher {
    /// One hash per core, and a queue of four per core.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Hasher::new(cores, cores * 4)
    }
}

/// Leaves the queue however the wait ends (also when the request is dropped).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hasher {
    pub fn new(concurrent: usize, queue: usize) -> Self {
        Hasher { slots: Arc::new(Semaphore::new(concurrent.max(1))), waiting: AtomicUsize::new(0), queue, buffers: Arc::default() }
    }

    /// Runs `work` on a blocking thread with a working buffer, once a slot is free.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static) -> Result<T> {
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(ServiceError::Busy);
                }
                let _queued = Queued(&self.waiting);
                match tokio::time::timeout(QUEUE_WAIT, self.slots.clone().acquire_owned()).await {
                    Ok(Ok(p)) => p,
                    _ => return Err(ServiceError::Busy),
                }
            }
        };
        let buffers = self.buffers.clone();
        // The permit moves into the blocking task: a dropped request does not free its slot
        // before the hash really ends.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut buf = buffers.lock().ok().and_then(|mut b| b.pop()).unwrap_or_default();
            let out = work(&mut buf);
            if let Ok(mut b) = buffers.lock() {
                b.push(buf);
            }
            out
        })
        .await
        .map_err(|_| ServiceError::Unsupported("password hashing was interrupted".into()))
    }

    /// Hashes a password with Argon2id (default parameters) into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String> {
        self.run(move |buf| hash_with(buf, password.as_bytes()))
            .await?
            .map_err(|e| ServiceError::Unsupported(format!("password cannot be hashed: {e}")))
    }

    /// Whether `password` matches the PHC string `hash` (a malformed hash matches nothing).
    pub async fn verify(&self, password: String, hash: String) -> Result<bool> {
        self.run(move |buf| verify_with(buf, password.as_bytes(), &hash)).await
    }
}

/// The buffer holding at least `blocks` blocks (grown once, then reused).
fn blocks(buf: &mut Vec<Block>, blocks: usize) -> &mut [Block] {
    if buf.len() < blocks {
        buf.resize(blocks, Block::default());
    }
    &mut buf[..blocks]
}

fn hash_with(buf: &mut Vec<Block>, password: &[u8]) -> std::result::Result<String, argon2::password_hash::Error> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut raw_salt = [0u8; 64];
    let raw_salt = salt.as_salt().decode_b64(&mut raw_salt)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon.hash_password_into_with_memory(password, raw_salt, &mut out, blocks(buf, params.block_count()))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out)?),
    };
    Ok(phc.to_string())
}

fn verify_with(buf: &mut Vec<Block>, password: &[u8], hash: &str) -> bool {
    let mut check = || -> std::result::Result<bool, argon2::password_hash::Error> {
        let phc = PasswordHash::new(hash)?;
        let algorithm = Algorithm::try_from(phc.algorithm)?;
        let version = phc.version.map(Version::try_from).transpose()?.unwrap_or_default();
        let params = Params::try_from(&phc)?;
        let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
            return Ok(false);
        };
        if params.block_count() > MAX_BLOCKS {
            return Ok(false);
        }
        let mut raw_salt = [0u8; 64];
        let raw_salt = salt.decode_b64(&mut raw_salt)?;
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
            password,
            raw_salt,
            &mut out,
            blocks(buf, params.block_count()),
        )?;
        // `Output` compares in constant time.
        Ok(Output::new(&out)? == expected)
    };
    check().unwrap_or(false)
}

/// Hashes a password outside any server (the command line, demo data): no queue.
pub async fn hash_password(password: String) -> Result<String> {
    Hasher::new(1, 0).hash(password).await
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
    /// The integration behind a bearer key, or `None` for an unknown or revoked key. Looked up
    /// on every request (one indexed read): a revoked key stops working at once on every node.
    pub async fn api_key_principal(&self, key: &str) -> Result<Option<Principal>> {
        if !key.starts_with("tk_") || key.len() != 67 {
            return Ok(None);
        }
        let Some((id, name)) = self.store.api_key_by_hash(&api_key_hash(key)).await? else { return Ok(None) };
        // An agent's key acts as the agent, with the agent's rights (an inactive agent's opens nothing).
        match self.store.api_key_agent(id).await? {
            None => Ok(Some(Principal::ApiKey { id, name })),
            Some(agent) => match self.store.agent(agent).await? {
                Some(a) if a.active => self.agent_principal(agent).await.map(Some),
                _ => Ok(None),
            },
        }
    }

    /// The agent with their per-department access.
    pub async fn agent_principal(&self, id: tikal_core::AgentId) -> Result<Principal> {
        let agent = self.store.agent(id).await?.ok_or(ServiceError::NotFound("agent"))?;
        // A deactivated agent is nobody: their open sessions stop working at once.
        if !agent.active {
            return Err(ServiceError::Forbidden);
        }
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
        let hasher = Hasher::new(1, 1);
        let h = hasher.hash("correcto caballo".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(hasher.verify("correcto caballo".into(), h.clone()).await.expect("verify"));
        assert!(!hasher.verify("incorrecto".into(), h.clone()).await.expect("verify"));
        assert!(!hasher.verify("x".into(), "not a hash".into()).await.expect("verify"));
        assert_eq!(hasher.buffers.lock().expect("lock").len(), 1, "one working buffer, reused");
    }

    #[tokio::test]
    async fn hashes_of_the_argon2_crate_still_verify() {
        use argon2::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let old = Argon2::default().hash_password(b"una clave larga 123", &salt).expect("hash").to_string();
        let hasher = Hasher::new(1, 1);
        assert!(hasher.verify("una clave larga 123".into(), old.clone()).await.expect("verify"));
        assert!(!hasher.verify("otra clave larga 123".into(), old).await.expect("verify"));
        let ours = hasher.hash("una clave larga 123".into()).await.expect("hash");
        let parsed = PasswordHash::new(&ours).expect("phc");
        assert!(argon2::PasswordVerifier::verify_password(&Argon2::default(), b"una clave larga 123", &parsed).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_queue_callers_are_told_to_wait() {
        let hasher = Arc::new(Hasher::new(1, 2));
        let calls: Vec<_> = (0..12)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.hash("correcto caballo".into()).await })
            })
            .collect();
        let mut results = Vec::new();
        for c in calls {
            results.push(c.await);
        }
        let busy = results.iter().filter(|r| matches!(r, Ok(Err(ServiceError::Busy)))).count();
        let done = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
        assert!(done >= 3, "the running one and the queued ones finish: {done}");
        assert!(busy >= 1, "the rest are refused: {busy}");
        assert_eq!(busy + done, 12);
        assert!(hasher.buffers.lock().expect("lock").len() <= 1, "never more buffers than slots");
        assert_eq!(hasher.waiting.load(Ordering::SeqCst), 0, "the queue is empty again");
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
