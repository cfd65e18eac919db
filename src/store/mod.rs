//! Storage on SQLite (the default) or PostgreSQL behind one contract.
//!
//! Both backends go through sqlx's `Any` driver with the same SQL text: `$N`
//! placeholders work on both, times are Unix seconds and dates ISO text, so
//! one contract test suite (tests/store_contract.rs) covers both.

mod cases;
mod drafts;
mod events;
mod outbox;
mod raw;
mod reminders;
mod retention;
mod similarity;
pub mod similarity_index;

use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};

pub use cases::*;
pub use drafts::*;
pub use events::*;
pub use outbox::*;
pub use raw::*;
pub use reminders::*;
pub use retention::*;
pub use similarity::*;

use crate::config::redact_url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

pub type Tx = Transaction<'static, Any>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Connects (creating a SQLite file and its directory if missing). Does
    /// not migrate: call [`Store::migrate`].
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let shown = redact_url(url);
        let (backend, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                bail!("database url {shown:?} names no file");
            }
            if path != ":memory:" {
                if let Some(dir) = std::path::Path::new(path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir).with_context(|| {
                            format!("cannot create the database directory {}", dir.display())
                        })?;
                    }
                }
            }
            // mode=rwc: create the file if it is missing.
            let url = if url.contains("mode=") {
                url.to_string()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            bail!("database url {shown:?} must start with sqlite:// or postgres://");
        };
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("invalid database url {shown:?}"))?;
        let pool_options = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the one writer; set it
                            // explicitly rather than trusting the file's history.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            Ok(())
                        })
                    })
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(8),
        };
        let pool = pool_options
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .with_context(|| format!("cannot connect to database {shown}"))?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies the migrations of this backend; returns how many were new.
    pub async fn migrate(&self) -> Result<usize> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let before = self.applied_migrations().await.unwrap_or(0);
        migrator
            .run(&self.pool)
            .await
            .context("applying database migrations")?;
        let after = self.applied_migrations().await?;
        Ok(after.saturating_sub(before))
    }

    async fn applied_migrations(&self) -> Result<usize> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// A write transaction. On SQLite it takes the write lock up front: a
    /// deferred transaction that reads and then writes fails at once with
    /// SQLITE_BUSY when another writer got in between.
    pub async fn begin(&self) -> Result<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        tx.context("beginning a database transaction")
    }

    /// Folds the SQLite write-ahead log back into the database file; a no-op
    /// on PostgreSQL.
    pub async fn checkpoint_wal(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await
                .context("checkpointing the SQLite WAL")?;
        }
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context("the database does not answer")?;
        Ok(())
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A named singleton lease: the right to poll a mailbox
    /// (`mailbox NAME`) or to run the morning jobs (`daily jobs`). On
    /// PostgreSQL, where several instances may share one database, it is a
    /// session advisory lock held on a connection of its own for as long as
    /// the lease lives: one instance at a time holds each name. `None`
    /// means another instance holds it. SQLite is one host's file, and the
    /// lease is always granted.
    pub async fn lease(&self, name: &str) -> Result<Option<Lease>> {
        if self.backend == Backend::Sqlite {
            return Ok(Some(Lease { conn: None }));
        }
        let key = lease_key(name);
        let mut conn = self.pool.acquire().await?;
        let granted: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .with_context(|| format!("taking the {name} lease"))?;
        // Out of the pool: returned to it, the connection (and the lock)
        // would live on. Dropped, it closes and the server frees the lock.
        Ok(granted.then(|| Lease {
            conn: Some(conn.detach()),
        }))
    }

    /// The lease an instance holds for as long as it runs, by which the
    /// others tell it is alive (see [`Store::release_dead_claims`]).
    pub async fn instance_lease(&self, instance: &str) -> Result<Option<Lease>> {
        self.lease(&instance_lease_name(instance)).await
    }

    /// Whether an instance still holds its instance lease (PostgreSQL).
    pub async fn is_running(&self, instance: &str) -> Result<bool> {
        let key = lease_key(&instance_lease_name(instance));
        let mut conn = self.pool.acquire().await?;
        let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await?;
        if free {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut *conn)
                .await?;
        }
        Ok(!free)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Held while this instance does a singleton's work; dropping it (or
/// losing its connection) releases it.
pub struct Lease {
    conn: Option<sqlx::AnyConnection>,
}

impl Lease {
    /// How long the holder may work before it must [`Lease::check`] again:
    /// a shared lease can be lost with its connection.
    pub fn recheck_within(&self) -> Option<std::time::Duration> {
        self.conn.as_ref().map(|_| LEASE_RECHECK)
    }

    /// Errs when the lease may have been lost: its session is the lock, so
    /// a connection that no longer answers has let it go, and another
    /// instance may hold it now. The holder then stops the singleton's work.
    pub async fn check(&mut self) -> Result<()> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        match tokio::time::timeout(LEASE_RECHECK, sqlx::query("SELECT 1").execute(&mut *conn)).await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                Err(anyhow::Error::new(e).context("the lease's database session is gone"))
            }
            Err(_) => Err(anyhow::anyhow!(
                "the lease's database session did not answer within {LEASE_RECHECK:?}"
            )),
        }
    }
}

/// How often a shared lease is re-checked, and how long a check may take.
const LEASE_RECHECK: std::time::Duration = std::time::Duration::from_secs(10);

fn instance_lease_name(instance: &str) -> String {
    format!("instance {instance}")
}

/// A stable 63-bit key for the advisory lock of a lease name.
fn lease_key(name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("foid {name}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(bytes) >> 1) as i64
}

/// Seconds since the Unix epoch, the storage form of every time.
pub fn to_secs(t: jiff::Timestamp) -> i64 {
    t.as_second()
}

pub fn from_secs(s: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(s).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}
