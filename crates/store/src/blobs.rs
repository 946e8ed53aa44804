//! Attachment blobs, content-addressed by SHA-256 (the same file uploaded twice is stored once),
//! behind `object_store` so the local directory can become an S3 bucket for several nodes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use sha2::{Digest, Sha256};

use crate::entity::attachment;
use crate::{Store, StoreError};

#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// Where uploads are written while they arrive (inside the store's directory, so a finished
    /// one is renamed into place).
    incoming: PathBuf,
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Blob(object_store::Error::Generic { store: "local", source: Box::new(e) })
}

/// The content id of a stored blob's location (`ab/cd/<sha256>`), if it is one.
fn blob_id(at: &ObjectPath) -> Option<String> {
    let parts: Vec<_> = at.parts().map(|p| p.as_ref().to_string()).collect();
    match parts.as_slice() {
        [a, b, sha] if location(sha).is_ok() && sha.get(..2) == Some(a.as_str()) && sha.get(2..4) == Some(b.as_str()) => Some(sha.clone()),
        _ => None,
    }
}

/// An upload written to a file in the blob store's `incoming_dir` while it arrived; the file is
/// removed when this is dropped (it has been copied into the store by then, or is not wanted).
#[derive(Debug)]
pub struct IncomingFile {
    path: tempfile::TempPath,
    sha256: String,
    size: u64,
}

/// Writes an upload to a file as its chunks arrive, hashing it on the way.
pub struct IncomingWriter {
    file: tokio::fs::File,
    path: tempfile::TempPath,
    hasher: Sha256,
    size: u64,
}

impl IncomingWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        use tokio::io::AsyncWriteExt;
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.file.write_all(chunk).await.map_err(io_error)
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn finish(mut self) -> Result<IncomingFile, StoreError> {
        use tokio::io::AsyncWriteExt;
        self.file.flush().await.map_err(io_error)?;
        Ok(IncomingFile { path: self.path, sha256: hex::encode(self.hasher.finalize()), size: self.size })
    }
}

impl IncomingFile {
    pub fn size(&self) -> u64 {
        self.size
    }
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
        let incoming = dir.join(".incoming");
        std::fs::create_dir_all(&incoming).map_err(io_error)?;
        Ok(BlobStore { inner: Arc::new(LocalFileSystem::new_with_prefix(dir)?), incoming })
    }

    /// The directory for uploads in progress (see `put_file`).
    pub fn incoming_dir(&self) -> &Path {
        &self.incoming
    }

    /// A new upload file in `incoming_dir`.
    pub fn incoming(&self) -> Result<IncomingWriter, StoreError> {
        let (file, path) = tempfile::Builder::new().prefix("upload-").tempfile_in(&self.incoming).map_err(io_error)?.into_parts();
        Ok(IncomingWriter { file: tokio::fs::File::from_std(file), path, hasher: Sha256::new(), size: 0 })
    }

    /// Stores a finished upload. On the local file system the file is renamed into place (no
    /// copy in memory); the same content stored before is kept as it is.
    pub async fn put_incoming(&self, upload: &IncomingFile) -> Result<StoredBlob, StoreError> {
        let path = location(&upload.sha256)?;
        if self.inner.head(&path).await.is_err() {
            let target = self.incoming.parent().map(|d| d.join(&upload.sha256[..2]).join(&upload.sha256[2..4]));
            match target {
                Some(dir) => {
                    tokio::fs::create_dir_all(&dir).await.map_err(io_error)?;
                    // A hard link keeps the temporary file's own clean-up on drop.
                    let to = dir.join(&upload.sha256);
                    if let Err(e) = tokio::fs::hard_link(&upload.path, &to).await
                        && e.kind() != std::io::ErrorKind::AlreadyExists
                    {
                        return Err(io_error(e));
                    }
                }
                None => return Err(io_error(std::io::Error::other("blob directory"))),
            }
        }
        Ok(StoredBlob { sha256: upload.sha256.clone(), size: upload.size })
    }

    /// The content ids of blobs last written before `before`.
    pub async fn older_than(&self, before: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let mut list = self.inner.list(None);
        let mut out = Vec::new();
        while let Some(meta) = list.next().await {
            let meta = meta?;
            if meta.last_modified < before
                && let Some(id) = blob_id(&meta.location)
            {
                out.push(id);
            }
        }
        Ok(out)
    }

    pub async fn delete(&self, sha256: &str) -> Result<(), StoreError> {
        match self.inner.delete(&location(sha256)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes upload files left in `incoming_dir` (by a crash) before `before`.
    pub async fn purge_incoming(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut removed = 0;
        let mut dir = tokio::fs::read_dir(&self.incoming).await.map_err(io_error)?;
        while let Some(entry) = dir.next_entry().await.map_err(io_error)? {
            let old = entry.metadata().await.ok().and_then(|m| m.modified().ok()).is_some_and(|t| DateTime::<Utc>::from(t) < before);
            if old && tokio::fs::remove_file(entry.path()).await.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
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

impl Store {
    /// Deletes blobs that no attachment or inbound message refers to and that were written before `before` (the
    /// grace period keeps the blob of an upload whose ticket is being saved right now). A blob
    /// is written before its row, so a failed or refused request can leave one behind.
    pub async fn purge_orphan_blobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut removed = self.blobs.purge_incoming(before).await?;
        for chunk in self.blobs.older_than(before).await?.chunks(500) {
            let mut used: std::collections::HashSet<String> = attachment::Entity::find()
                .select_only()
                .column(attachment::Column::Sha256)
                .filter(attachment::Column::Sha256.is_in(chunk.iter().cloned()))
                .into_tuple::<String>()
                .all(&self.write)
                .await?
                .into_iter()
                .collect();
            used.extend(self.inbound_blobs(chunk).await?);
            used.extend(self.kb_blobs(chunk).await?);
            for id in chunk.iter().filter(|id| !used.contains(*id)) {
                self.blobs.delete(id).await?;
                removed += 1;
            }
        }
        Ok(removed)
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

    #[tokio::test]
    async fn lists_blobs_by_age_and_deletes_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = BlobStore::open(dir.path()).expect("open");
        let a = store.put(Bytes::from_static(b"uno")).await.expect("put");
        std::fs::write(store.incoming_dir().join("partial"), b"x").expect("partial upload");
        let later = Utc::now() + chrono::Duration::seconds(5);
        assert_eq!(store.older_than(later).await.expect("list"), vec![a.sha256.clone()], "uploads in progress are not blobs");
        assert!(store.older_than(Utc::now() - chrono::Duration::hours(1)).await.expect("list").is_empty(), "a new blob is kept");
        store.delete(&a.sha256).await.expect("delete");
        store.delete(&a.sha256).await.expect("deleting twice is fine");
        assert!(matches!(store.get(&a.sha256).await, Err(StoreError::NotFound(_))));
        assert_eq!(store.purge_incoming(later).await.expect("purge"), 1);
        let mut w = store.incoming().expect("incoming");
        w.write(b"d").await.expect("write");
        w.write(b"os").await.expect("write");
        let file = w.finish().await.expect("finish");
        let b = store.put_incoming(&file).await.expect("put file");
        assert_eq!(b, StoredBlob { sha256: hex::encode(Sha256::digest(b"dos")), size: 3 });
        assert_eq!(store.put_incoming(&file).await.expect("again"), b, "stored once");
        drop(file);
        assert_eq!(store.get(&b.sha256).await.expect("get"), Bytes::from_static(b"dos"));
        assert_eq!(std::fs::read_dir(store.incoming_dir()).expect("dir").count(), 0, "the upload file is gone");
    }
}
