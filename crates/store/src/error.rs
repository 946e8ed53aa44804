use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique or foreign-key constraint said no: the request conflicts with stored data.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The row changed since it was read (optimistic concurrency).
    #[error("the record was changed by someone else")]
    Stale,
    /// The job's lease ran out and another worker holds it now: this worker must not finish it.
    #[error("the job's lease was lost")]
    LeaseLost,
    /// A stored value outside its closed set: the data is damaged or from a newer version.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A part of the store cannot serve right now (the ticket writer is restarting).
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    #[error("database error: {0}")]
    Db(DbErr),
    #[error("attachment storage error: {0}")]
    Blob(#[from] object_store::Error),
    /// The link key file of the data directory cannot be read or created.
    #[error("link key file: {0}")]
    LinkKey(String),
    /// The secret key (configured, or the data directory's `secret.key`) cannot be had.
    #[error("secret key: {0}")]
    SecretKey(String),
    /// A stored secret was sealed under another key, or is damaged.
    #[error("cannot decrypt: the secret key changed")]
    Undecryptable,
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(m)) => StoreError::Conflict(m),
            Some(SqlErr::ForeignKeyConstraintViolation(m)) => StoreError::Conflict(m),
            _ => StoreError::Db(e),
        }
    }
}

impl From<tikal_core::error::UnknownValue> for StoreError {
    fn from(e: tikal_core::error::UnknownValue) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

impl From<tikal_core::DomainError> for StoreError {
    fn from(e: tikal_core::DomainError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
