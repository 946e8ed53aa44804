//! Priorities 1 (very low) .. 5 (very high), derived from impact x urgency by a configurable
//! ITIL matrix.

use crate::error::{DomainError, Reason};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Priority {
    VeryLow = 1,
    Low = 2,
    Medium = 3,
    High = 4,
    VeryHigh = 5,
}

impl Priority {
    pub const ALL: [Priority; 5] = [Priority::VeryLow, Priority::Low, Priority::Medium, Priority::High, Priority::VeryHigh];

    pub fn level(self) -> u8 {
        self as u8
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::VeryLow => "very_low",
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::VeryHigh => "very_high",
        }
    }
}

impl TryFrom<u8> for Priority {
    type Error = DomainError;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Ok(match v {
            1 => Priority::VeryLow,
            2 => Priority::Low,
            3 => Priority::Medium,
            4 => Priority::High,
            5 => Priority::VeryHigh,
            _ => return Err(DomainError::invalid("priority", Reason::OutOfRange { min: 1, max: 5 })),
        })
    }
}

impl TryFrom<i64> for Priority {
    type Error = DomainError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        u8::try_from(v).map_err(|_| DomainError::invalid("priority", Reason::OutOfRange { min: 1, max: 5 })).and_then(Priority::try_from)
    }
}

impl From<Priority> for u8 {
    fn from(p: Priority) -> u8 {
        p.level()
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.level().fmt(f)
    }
}

macro_rules! three_level {
    ($name:ident, $field:literal) => {
        /// 1 (low) .. 3 (high).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "u8", into = "u8")]
        pub enum $name {
            Low = 1,
            Medium = 2,
            High = 3,
        }

        impl $name {
            pub fn level(self) -> u8 {
                self as u8
            }
        }

        impl TryFrom<u8> for $name {
            type Error = DomainError;
            fn try_from(v: u8) -> Result<Self, Self::Error> {
                Ok(match v {
                    1 => $name::Low,
                    2 => $name::Medium,
                    3 => $name::High,
                    _ => return Err(DomainError::invalid($field, Reason::OutOfRange { min: 1, max: 3 })),
                })
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                v.level()
            }
        }
    };
}

three_level!(Impact, "impact");
three_level!(Urgency, "urgency");

/// `cells[impact-1][urgency-1]` is the priority. The default is the usual ITIL matrix, where
/// priority = impact + urgency - 1: high impact and high urgency give 5 (very high), low and low
/// give 1 (very low).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<Vec<u8>>", into = "Vec<Vec<u8>>")]
pub struct PriorityMatrix {
    cells: [[Priority; 3]; 3],
}

impl Default for PriorityMatrix {
    fn default() -> Self {
        use Priority::*;
        PriorityMatrix { cells: [[VeryLow, Low, Medium], [Low, Medium, High], [Medium, High, VeryHigh]] }
    }
}

impl PriorityMatrix {
    pub fn priority(&self, impact: Impact, urgency: Urgency) -> Priority {
        self.cells[usize::from(impact.level() - 1)][usize::from(urgency.level() - 1)]
    }
}

impl TryFrom<Vec<Vec<u8>>> for PriorityMatrix {
    type Error = DomainError;
    /// Rows are impact low..high, columns urgency low..high.
    fn try_from(rows: Vec<Vec<u8>>) -> Result<Self, Self::Error> {
        let shape = || DomainError::invalid("priority_matrix", "must be 3 rows of 3 priorities (1-5)");
        if rows.len() != 3 || rows.iter().any(|r| r.len() != 3) {
            return Err(shape());
        }
        let mut cells = [[Priority::Medium; 3]; 3];
        for (i, row) in rows.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                cells[i][j] = Priority::try_from(*v).map_err(|_| shape())?;
            }
        }
        Ok(PriorityMatrix { cells })
    }
}

impl From<PriorityMatrix> for Vec<Vec<u8>> {
    fn from(m: PriorityMatrix) -> Self {
        m.cells.iter().map(|r| r.iter().map(|p| p.level()).collect()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matrix_is_itil() {
        let m = PriorityMatrix::default();
        for i in 1..=3u8 {
            for u in 1..=3u8 {
                let p = m.priority(Impact::try_from(i).expect("i"), Urgency::try_from(u).expect("u"));
                assert_eq!(p.level(), i + u - 1);
            }
        }
    }

    #[test]
    fn matrix_is_configurable_and_validated() {
        let m = PriorityMatrix::try_from(vec![vec![1, 1, 2], vec![2, 3, 4], vec![3, 4, 5]]).expect("valid");
        assert_eq!(m.priority(Impact::Low, Urgency::Medium), Priority::VeryLow);
        assert!(PriorityMatrix::try_from(vec![vec![1, 2, 3]]).is_err());
        assert!(PriorityMatrix::try_from(vec![vec![1, 2, 6], vec![1, 2, 3], vec![1, 2, 3]]).is_err());
        let back: Vec<Vec<u8>> = m.clone().into();
        assert_eq!(PriorityMatrix::try_from(back).expect("roundtrip"), m);
    }

    #[test]
    fn priority_bounds() {
        assert!(Priority::try_from(0u8).is_err());
        assert!(Priority::try_from(6u8).is_err());
        assert!(Priority::try_from(-1i64).is_err());
        assert_eq!(Priority::try_from(5u8).expect("5"), Priority::VeryHigh);
        assert!(Impact::try_from(4).is_err());
    }
}
