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

/// A stopped clock (see `freeze_clock`): its instant in microseconds, and how many times it
/// was read since.
static FROZEN: std::sync::OnceLock<(i64, std::sync::atomic::AtomicI64)> = std::sync::OnceLock::new();

/// Stops this process's clock at `at`, for reproducible demo data and screenshots: `now()`
/// then returns `at` plus one microsecond per call, so every change still gets its own,
/// ordered time. Only the first call counts.
pub fn freeze_clock(at: DateTime<Utc>) {
    let _ = FROZEN.set((at.timestamp_micros(), std::sync::atomic::AtomicI64::new(0)));
}

/// Current time truncated to what the database keeps, so values read back compare equal.
pub fn now() -> DateTime<Utc> {
    if let Some((at, reads)) = FROZEN.get() {
        let us = at + reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = DateTime::from_timestamp_micros(us) {
            return t;
        }
    }
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// A case-insensitive "contains" pattern for `LIKE ... ESCAPE '\'` over a lowered column:
/// the text lowered with `%`, `_` and `\` escaped; `None` when there is nothing to look for.
pub fn contains_pattern(text: &str) -> Option<String> {
    let escaped: String =
        text.trim().to_lowercase().chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    (!escaped.is_empty()).then(|| format!("%{escaped}%"))
}

/// `lower(col) LIKE pattern ESCAPE '\'`, with a pattern from `contains_pattern`.
pub fn lower_like(col: impl sea_orm::sea_query::IntoColumnRef, pattern: &str) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(pattern.to_string()).escape('\\'))
}
