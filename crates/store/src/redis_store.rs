//! The optional Redis connection: sessions, rate limits and cross-instance pub/sub use it when
//! `MOMENTIQUE_REDIS_URL` is set. One multiplexed connection that reconnects by itself.

use redis::aio::ConnectionManager;

use crate::Result;

/// A shared, self-healing Redis connection. Cheap to clone.
#[derive(Clone)]
pub struct Redis {
    conn: ConnectionManager,
    /// For the dedicated connections pub/sub needs.
    client: redis::Client,
    /// Prefix for every key, so several deployments (or tests) can share one server.
    prefix: String,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects (failing at once if the server does not answer).
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client.clone()).await?;
        Ok(Self {
            conn,
            client,
            prefix: prefix.into(),
        })
    }

    /// The full key for `name` under this deployment's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// The connection, for the modules that store their data here.
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// A connection of its own for subscribing to channels (the live feed's bus).
    pub async fn pubsub(&self) -> Result<redis::aio::PubSub> {
        Ok(self.client.get_async_pubsub().await?)
    }

    /// A round trip, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}
