//! The link key: a random secret in the data directory (`link.key`), never in the database.
//! A queued link mail holds a random nonce; the link's token is HMAC-SHA256(key, nonce), and the
//! database keeps only the SHA-256 of that token. So neither the outbox nor the token table, nor
//! both together, open anything without this file (ADR 006).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

const FILE: &str = "link.key";
const BLOCK: usize = 64;

#[derive(Clone)]
pub struct LinkKey {
    key: Arc<[u8; 32]>,
    id: String,
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl LinkKey {
    /// Reads `<data_dir>/link.key`, creating it (owner-only) on first start.
    pub fn open(data_dir: &Path) -> Result<LinkKey> {
        let path = data_dir.join(FILE);
        let err = |e: std::io::Error| StoreError::LinkKey(format!("{}: {e}", path.display()));
        std::fs::create_dir_all(data_dir).map_err(err)?;
        let mut fresh = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut fresh);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut f) => {
                f.write_all(hex::encode(fresh).as_bytes()).and_then(|()| f.sync_all()).map_err(err)?;
                tracing::info!(path = %path.display(), "created the link key");
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(err(e)),
        }
        let text = std::fs::read_to_string(&path).map_err(err)?;
        let bytes = hex::decode(text.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
        let key = bytes.ok_or_else(|| StoreError::LinkKey(format!("{}: not 64 hexadecimal digits", path.display())))?;
        Ok(LinkKey::from_bytes(key))
    }

    pub fn from_bytes(key: [u8; 32]) -> LinkKey {
        // A short fingerprint, stored with queued links, so a node with another key says so.
        let id = hex::encode(&Sha256::digest(hmac(&key, b"tikal link key id"))[..4]);
        LinkKey { key: Arc::new(key), id }
    }

    /// The key's fingerprint (not secret).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The token of the link queued with `nonce`: 64 hexadecimal digits.
    pub fn token(&self, nonce: &str) -> String {
        hex::encode(hmac(&self.key[..], nonce.as_bytes()))
    }
}

/// HMAC-SHA256 (RFC 2104) for a key of at most one block.
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    block[..key.len().min(BLOCK)].copy_from_slice(&key[..key.len().min(BLOCK)]);
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        let mac = hmac(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn the_key_file_is_created_once_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = LinkKey::open(dir.path()).expect("create");
        let b = LinkKey::open(dir.path()).expect("read");
        assert_eq!(a.token("n1"), b.token("n1"), "the same key after a restart");
        assert_ne!(a.token("n1"), a.token("n2"));
        assert_eq!(a.token("n1").len(), 64);
        assert_eq!(a.id(), b.id());
        let other = LinkKey::from_bytes([7; 32]);
        assert_ne!(other.token("n1"), a.token("n1"), "another key, another token");
        std::fs::write(dir.path().join(FILE), "not a key").expect("write");
        assert!(LinkKey::open(dir.path()).is_err(), "a damaged key file is an error, never replaced");
    }
}
