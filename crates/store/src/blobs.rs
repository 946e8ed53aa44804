//! Attachment blobs, content-addressed by SHA-256 (the same file uploaded twice is stored once),
//! behind `object_store` so the local directory can become an S3 bucket for several nodes.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

use crate::StoreError;

#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
}

fn location(sha256: &str) -> Result<ObjectPath, StoreError> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::Corrupt(format!("blob id {sha256}")));
    }
    Ok(ObjectPath::from(format!("{}/{}/{}", &sha256[..2], &sha256[2..4], sha256)))
}

impl BlobStore {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Blob(object_store::Error::Generic { store: "local", source: Box::new(e) }))?;
        Ok(BlobStore { inner: Arc::new(LocalFileSystem::new_with_prefix(dir)?) })
    }

    /// Stores the bytes (atomically: written to a temporary file, then renamed).
    pub async fn put(&self, data: Bytes) -> Result<StoredBlob, StoreError> {
        let sha256 = hex::encode(Sha256::digest(&data));
        let size = data.len() as u64;
        let path = location(&sha256)?;
        if self.inner.head(&path).await.is_err() {
            self.inner.put(&path, PutPayload::from_bytes(data)).await?;
        }
        Ok(StoredBlob { sha256, size })
    }

    pub async fn get(&self, sha256: &str) -> Result<Bytes, StoreError> {
        let path = location(sha256)?;
        match self.inner.get(&path).await {
            Ok(r) => Ok(r.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(StoreError::NotFound("attachment data")),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn roundtrip_and_dedup() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = BlobStore::open(dir.path()).expect("open");
        let a = store.put(Bytes::from_static(b"hola")).await.expect("put");
        let b = store.put(Bytes::from_static(b"hola")).await.expect("put again");
        assert_eq!(a, b);
        assert_eq!(a.size, 4);
        assert_eq!(store.get(&a.sha256).await.expect("get"), Bytes::from_static(b"hola"));
        assert!(matches!(store.get(&"0".repeat(64)).await, Err(StoreError::NotFound(_))));
        assert!(store.get("../../etc/passwd").await.is_err());
    }
}
