//! Rate-limit counters: fixed windows counted in Redis when it is configured (so every instance
//! shares them), in this process otherwise. Login and sign-up use them now; uploads and guest
//! routes will use the same [`RateLimiter::hit`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{Redis, Result};

/// A rule: at most `limit` hits per `window` for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// A stable name for the rule (`login.ip`), part of the counter's key.
    pub name: &'static str,
    pub limit: u32,
    pub window: Duration,
}

/// The answer to one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed {
        remaining: u32,
    },
    /// Over the limit: try again after this long.
    Limited {
        retry_after: Duration,
    },
}

/// Where counters live. Cheap to clone.
#[derive(Debug, Clone)]
pub enum RateLimiter {
    Memory(Arc<Mutex<MemoryCounters>>),
    Redis(Redis),
}

/// In-process counters: (rule, key) → (window number, hits).
#[derive(Debug, Default)]
pub struct MemoryCounters {
    counts: HashMap<(String, String), (i64, u32)>,
    hits_since_sweep: u32,
}

impl RateLimiter {
    /// Redis when there is one, else in-process.
    pub fn new(redis: Option<&Redis>) -> Self {
        match redis {
            Some(r) => RateLimiter::Redis(r.clone()),
            None => RateLimiter::Memory(Arc::default()),
        }
    }

    /// Counts one hit of `key` (an IP hash, an email…) against `rule` at `now`.
    pub async fn hit(&self, rule: Limit, key: &str, now: DateTime<Utc>) -> Result<Decision> {
        let window_ms = i64::try_from(rule.window.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let now_ms = now.timestamp_millis();
        let window_no = now_ms.div_euclid(window_ms);
        let window_end_ms = (window_no + 1) * window_ms;
        let retry_after = Duration::from_millis(u64::try_from(window_end_ms - now_ms).unwrap_or(0));
        let count = match self {
            RateLimiter::Memory(m) => {
                let mut m = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                m.hits_since_sweep += 1;
                if m.hits_since_sweep >= 10_000 {
                    // Forget finished windows now and then so memory stays bounded.
                    m.hits_since_sweep = 0;
                    m.counts.retain(|_, (w, _)| *w >= window_no - 1);
                }
                let entry = m
                    .counts
                    .entry((rule.name.to_owned(), key.to_owned()))
                    .or_insert((window_no, 0));
                if entry.0 != window_no {
                    *entry = (window_no, 0);
                }
                entry.1 = entry.1.saturating_add(1);
                entry.1
            }
            RateLimiter::Redis(r) => {
                let mut conn = r.connection();
                let k = r.key(&format!("ratelimit:{}:{key}:{window_no}", rule.name));
                let (count,): (u32,) = redis::pipe()
                    .atomic()
                    .incr(&k, 1)
                    .pexpire(&k, window_ms + 1000)
                    .ignore()
                    .query_async(&mut conn)
                    .await?;
                count
            }
        };
        Ok(if count > rule.limit {
            Decision::Limited {
                retry_after: retry_after.max(Duration::from_secs(1)),
            }
        } else {
            Decision::Allowed {
                remaining: rule.limit - count,
            }
        })
    }
}
