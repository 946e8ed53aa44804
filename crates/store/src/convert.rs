//! Row <-> domain conversions. Times are stored as microseconds since the Unix epoch.

use chrono::{DateTime, Utc};

use crate::StoreError;

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn time(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| StoreError::Corrupt(format!("timestamp {us}")))
}

pub fn opt_time(us: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    us.map(time).transpose()
}

/// Current time truncated to what the database keeps, so values read back compare equal.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
