//! Photos: where one is in its life, from upload to the gallery.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseError;

/// A photo's state. `Processing` until its renditions exist; then `Published` or
/// `PendingReview` by the event's moderation setting; `Failed` when it cannot be decoded (the
/// original is kept, and the host sees why).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoStatus {
    Processing,
    Published,
    PendingReview,
    Failed,
}

impl PhotoStatus {
    pub const ALL: [PhotoStatus; 4] = [
        Self::Processing,
        Self::Published,
        Self::PendingReview,
        Self::Failed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Published => "published",
            Self::PendingReview => "pending_review",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for PhotoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PhotoStatus {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(ParseError::UnknownChoice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in PhotoStatus::ALL {
            assert_eq!(s.as_str().parse::<PhotoStatus>(), Ok(s));
        }
        assert!("deleted".parse::<PhotoStatus>().is_err());
    }
}
