//! The store's one error type. Constraint violations are told apart so the web layer can answer
//! 409/422 instead of 500.

/// What went wrong in the data layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names a backend we do not have.
    #[error("unsupported database URL scheme {0:?} (use sqlite:// or postgres://)")]
    UnsupportedScheme(String),
    /// A unique key already holds this value (e.g. an email already registered).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A row this one refers to does not exist (or is not visible to this tenant).
    #[error("a referenced row does not exist")]
    MissingReference,
    /// A tenant-scoped method was called on a transaction scoped to something else. A bug in the
    /// caller; refusing here keeps one tenant's data out of another's request.
    #[error("transaction scope does not match the tenant of the call")]
    ScopeMismatch,
    /// The database refused to change a locked lucky draw (its entries closed) or one of its
    /// append-only records (entries, picks, outcomes).
    #[error("the draw is locked: its entries have closed")]
    Locked,
    /// A value read back could not be understood (corrupt or foreign data).
    #[error("bad data in column {column}: {reason}")]
    Corrupt {
        column: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Sqlx(sqlx::Error),
}

/// The message of the draw lock triggers (migration 0018), on both backends.
const DRAW_LOCKED: &str = "draw_locked";
/// The SQLSTATE the PostgreSQL draw lock triggers raise.
const DRAW_LOCKED_SQLSTATE: &str = "P0D01";

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            // The draw triggers of migration 0018: RAISE(ABORT, 'draw_locked') on SQLite, the
            // same message with SQLSTATE P0D01 on PostgreSQL.
            if db.message() == DRAW_LOCKED || db.code().as_deref() == Some(DRAW_LOCKED_SQLSTATE) {
                return StoreError::Locked;
            }
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => return StoreError::Conflict("record"),
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return StoreError::MissingReference;
                }
                _ => {}
            }
        }
        StoreError::Sqlx(err)
    }
}

impl StoreError {
    /// Turns a generic unique violation into one that names what collided.
    pub fn conflict_on(self, what: &'static str) -> Self {
        match self {
            StoreError::Conflict(_) => StoreError::Conflict(what),
            other => other,
        }
    }
}
