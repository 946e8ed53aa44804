//! The desk's secret key: it encrypts the passwords of e-mail accounts at rest
//! (ChaCha20-Poly1305, a random nonce per value), so a copy of the database alone opens no
//! mailbox. It comes from the configuration (`secret_key`, or `TIKAL_SECRET_KEY`: 32 bytes in
//! base64; every node of a cluster must have the same) or, when none is configured, from the
//! file `secret.key` in the data directory, created (owner-only) the first time it is needed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};

use crate::{Result, StoreError};

const FILE: &str = "secret.key";
/// Sealed values start with the scheme, so another one can follow without guessing.
const PREFIX: &str = "v1:";

/// 32 key bytes given in the configuration (never printed).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretKeyBytes(pub [u8; 32]);

impl std::fmt::Debug for SecretKeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKeyBytes(***)")
    }
}

impl SecretKeyBytes {
    /// The key as configured: 32 bytes in standard base64 (`openssl rand -base64 32`).
    pub fn parse_base64(text: &str) -> std::result::Result<SecretKeyBytes, String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| "the secret key is not base64".to_string())?;
        <[u8; 32]>::try_from(bytes).map(SecretKeyBytes).map_err(|b| format!("the secret key has {} bytes; it needs 32", b.len()))
    }
}

#[derive(Clone)]
pub struct SecretKey {
    dir: PathBuf,
    configured: Option<SecretKeyBytes>,
    /// The file's key, once read or created.
    loaded: Arc<Mutex<Option<[u8; 32]>>>,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey").field("configured", &self.configured.is_some()).finish_non_exhaustive()
    }
}

impl SecretKey {
    pub fn new(data_dir: &Path, configured: Option<SecretKeyBytes>) -> SecretKey {
        SecretKey { dir: data_dir.to_path_buf(), configured, loaded: Arc::default() }
    }

    fn key(&self) -> Result<[u8; 32]> {
        if let Some(k) = self.configured {
            return Ok(k.0);
        }
        let mut loaded = self.loaded.lock().map_err(|_| StoreError::SecretKey("the key lock was poisoned".into()))?;
        if let Some(k) = *loaded {
            return Ok(k);
        }
        let k = read_or_create(&self.dir)?;
        *loaded = Some(k);
        Ok(k)
    }

    /// The value encrypted under the key, as text for a column.
    pub fn seal(&self, plain: &str) -> Result<String> {
        let cipher = ChaCha20Poly1305::new(&self.key()?.into());
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher.encrypt(&nonce, plain.as_bytes()).map_err(|_| StoreError::SecretKey("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// The value `seal` made. Made under another key (or damaged): `StoreError::Undecryptable`.
    pub fn open(&self, sealed: &str) -> Result<String> {
        let raw = sealed.strip_prefix(PREFIX).and_then(|b| STANDARD.decode(b).ok()).filter(|b| b.len() > 12);
        let raw = raw.ok_or(StoreError::Undecryptable)?;
        let (nonce, body) = raw.split_at(12);
        let cipher = ChaCha20Poly1305::new(&self.key()?.into());
        let plain = cipher.decrypt(Nonce::from_slice(nonce), body).map_err(|_| StoreError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| StoreError::Undecryptable)
    }
}

fn read_or_create(dir: &Path) -> Result<[u8; 32]> {
    let path = dir.join(FILE);
    let err = |e: std::io::Error| StoreError::SecretKey(format!("{}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut f) => {
            let mut fresh = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut fresh);
            f.write_all(STANDARD.encode(fresh).as_bytes()).and_then(|()| f.sync_all()).map_err(err)?;
            tracing::info!(path = %path.display(), "created the secret key (several nodes: give each the same TIKAL_SECRET_KEY)");
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(err(e)),
    }
    let text = std::fs::read_to_string(&path).map_err(err)?;
    SecretKeyBytes::parse_base64(&text).map(|k| k.0).map_err(|why| StoreError::SecretKey(format!("{}: {why}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!dir.path().join(FILE).exists(), "nothing is created before it is needed");
        let a = SecretKey::new(dir.path(), None);
        let sealed = a.seal("contraseña").expect("seal");
        assert!(!sealed.contains("contraseña"));
        assert_ne!(sealed, a.seal("contraseña").expect("seal"), "a fresh nonce each time");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE)).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = SecretKey::new(dir.path(), None);
        assert_eq!(again.open(&sealed).expect("open"), "contraseña", "the file's key after a restart");
        let other = SecretKey::new(dir.path(), Some(SecretKeyBytes([9; 32])));
        assert!(matches!(other.open(&sealed), Err(StoreError::Undecryptable)));
        assert!(matches!(a.open("v1:AAAA"), Err(StoreError::Undecryptable)));
        assert!(matches!(a.open("plain"), Err(StoreError::Undecryptable)));
        let configured = SecretKeyBytes::parse_base64(&STANDARD.encode([9u8; 32])).expect("parse");
        assert_eq!(configured, SecretKeyBytes([9; 32]));
        assert!(SecretKeyBytes::parse_base64("c2hvcnQ=").is_err());
        assert!(!format!("{configured:?}").contains('9'));
    }
}
