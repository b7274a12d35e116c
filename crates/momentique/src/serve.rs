//! Wiring: opening the outside services, then serving HTTP and/or running workers until a
//! shutdown signal, and stopping gracefully.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use jobs::{Worker, WorkerConfig};
use media::BlobStore;
use service::Services;
use service::secrets::SecretKey;
use store::{Backend, Db, DbOptions, Redis};
use tokio::sync::watch;
use tracing::{error, info, warn};
use web::{AppState, Metrics, WebConfig};

use crate::config::{Config, env_name, redact_url};

/// Why start-up failed: configuration (exit code 2) or anything else (exit code 1).
#[derive(Debug)]
pub enum StartError {
    Config(String),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for StartError {
    fn from(e: anyhow::Error) -> Self {
        StartError::Other(e)
    }
}

impl From<store::StoreError> for StartError {
    fn from(e: store::StoreError) -> Self {
        StartError::Other(e.into())
    }
}

fn setting_error(key: &str, why: impl std::fmt::Display) -> StartError {
    StartError::Config(format!("{} ({key}): {why}", env_name(key)))
}

/// Connects the database (migrating it), the media store and Redis.
pub async fn open_services(config: &Config) -> Result<Services, StartError> {
    let opts = DbOptions {
        max_connections: config.database_max_connections,
        ..DbOptions::default()
    };
    let backend =
        Backend::from_url(&config.database_url).map_err(|e| setting_error("database_url", e))?;
    let connect_error = |key: &str, url: &str, e: store::StoreError| {
        let why = format!("cannot open {}: {e}", redact_url(url));
        match backend {
            // A SQLite file we cannot create or open is a configuration problem (a path).
            Backend::Sqlite => setting_error(key, why),
            Backend::Postgres => StartError::Other(anyhow!("{} ({key}): {why}", env_name(key))),
        }
    };
    let db = if let Some(admin_url) = &config.database_admin_url {
        let owner = Db::connect(admin_url, &opts)
            .await
            .map_err(|e| connect_error("database_admin_url", admin_url, e))?;
        owner.migrate().await?;
        match store::url_user(&config.database_url) {
            Some(role) => owner.grant_runtime_role(&role).await?,
            None => warn!(
                "MOMENTIQUE_DATABASE_URL names no user; not granting table access to the runtime role"
            ),
        }
        owner.close().await;
        Db::connect(&config.database_url, &opts)
            .await
            .map_err(|e| connect_error("database_url", &config.database_url, e))?
    } else {
        let db = Db::connect(&config.database_url, &opts)
            .await
            .map_err(|e| connect_error("database_url", &config.database_url, e))?;
        db.migrate().await?;
        db
    };
    if db.bypasses_rls().await? {
        warn!(
            "\n\n  *** SECURITY WARNING ***\n  The database role in MOMENTIQUE_DATABASE_URL is a superuser or has BYPASSRLS:\n  \
             row-level security does NOT isolate tenants. Connect as a role without BYPASSRLS and\n  \
             set MOMENTIQUE_DATABASE_ADMIN_URL to the owner for migrations (see README, Production).\n"
        );
    }

    let secret = match &config.secret_key {
        Some(hex) => SecretKey::from_hex(hex).map_err(|e| setting_error("secret_key", e))?,
        None => SecretKey::load_or_create(std::path::Path::new(&config.secret_key_file))
            .map_err(|e| setting_error("secret_key_file", e))?,
    };
    let blobs = BlobStore::from_parts(&config.media_url, config.s3())
        .map_err(|e| setting_error("media_url", e))?;
    blobs.check().await.map_err(|e| {
        setting_error(
            "media_url",
            format!("cannot write to {}: {e}", blobs.describe()),
        )
    })?;

    let redis = match &config.redis_url {
        Some(url) => Some(
            Redis::connect(url, config.redis_prefix.clone())
                .await
                .map_err(|e| {
                    StartError::Other(anyhow!(
                        "{} (redis_url): cannot reach {}: {e}",
                        env_name("redis_url"),
                        redact_url(url)
                    ))
                })?,
        ),
        None => None,
    };
    let mailer = config.mailer().map_err(|e| StartError::Config(e.0))?;
    info!(
        database = backend.as_str(),
        storage = blobs.describe(),
        redis = redis.is_some(),
        mail = mailer.describe(),
        "services ready"
    );
    let uploads = service::photos::UploadSettings {
        tmp_dir: std::path::PathBuf::from(&config.upload_tmp_dir),
        max_bytes: config.upload_max_mb * 1024 * 1024,
        pixels: media::pipeline::Limits {
            max_pixels: config.max_megapixels * 1_000_000,
            max_side: config.max_side_px,
        },
        ..service::photos::UploadSettings::default()
    };
    prepare_upload_dir(&uploads.tmp_dir).map_err(|e| setting_error("upload_tmp_dir", e))?;
    match media::pipeline::heif_support() {
        media::pipeline::HeifSupport::Available { version } => {
            info!(libheif = %version, "photos: JPEG, PNG, WebP and HEIC");
        }
        media::pipeline::HeifSupport::Missing { reason } => {
            warn!("photos: JPEG, PNG and WebP; HEIC uploads are refused: {reason}");
        }
    }
    Ok(Services::new(db, blobs, redis)
        .with_secret(secret)
        .with_uploads(uploads)
        .with_plans(config.plans_config())
        .with_report_threshold(config.report_hide_threshold)
        .with_mailer(mailer)
        // Notification mails are sent by jobs, with no request to take a host from.
        .with_mail_base_url(
            config
                .public_url
                .as_deref()
                .unwrap_or(service::notifications::DEFAULT_BASE_URL),
        ))
}

/// Creates the upload folder and removes what a crash left there (a half-received upload was
/// never acknowledged, so nothing is lost).
fn prepare_upload_dir(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("upload-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

fn worker_config(config: &Config) -> WorkerConfig {
    WorkerConfig {
        concurrency: config.job_concurrency(),
        shutdown_grace: Duration::from_secs(config.shutdown_timeout_secs),
        ..WorkerConfig::default()
    }
}

fn start_worker(
    services: &Services,
    metrics: &Metrics,
    config: &Config,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let registry = service::registry(services);
    let worker = Worker::new(
        services.db.clone(),
        registry,
        worker_config(config),
        metrics.jobs.clone(),
    );
    tokio::spawn(worker.run(stop))
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// `momentique serve`.
pub async fn serve(config: Config, with_worker: bool) -> Result<(), StartError> {
    let started = Instant::now();
    let addr = config.bind_addr().map_err(|e| StartError::Config(e.0))?;
    let services = open_services(&config).await?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => format!("{addr} is already in use by another program"),
            std::io::ErrorKind::PermissionDenied => format!("not allowed to listen on {addr}"),
            _ => format!("cannot listen on {addr}: {e}"),
        };
        setting_error("bind", why)
    })?;
    let local = listener.local_addr().map_err(|e| anyhow!(e))?;
    let metrics = Arc::new(Metrics::new());
    let state = AppState {
        services: Arc::new(services.clone()),
        metrics: metrics.clone(),
        config: Arc::new(WebConfig {
            public_url: config.public_url.clone(),
            client_ip_header: config.client_ip_header.clone(),
            media_origin: config.media_origin(),
        }),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = with_worker.then(|| start_worker(&services, &metrics, &config, stop_rx.clone()));
    if with_worker
        && let Err(e) =
            service::maintenance::schedule_purge(&services.db, domain::time::now()).await
    {
        warn!(error = %e, "could not schedule the daily queue clean-up");
    }

    tokio::spawn(return_freed_memory(stop_rx.clone()));

    let mut stop_server = stop_rx.clone();
    let server = axum::serve(
        listener,
        web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stop_server.wait_for(|s| *s).await;
    })
    .into_future();
    let mut server = tokio::spawn(server);
    info!(
        http.addr = %local,
        worker = with_worker,
        startup_ms = started.elapsed().as_millis() as u64,
        "Momentique is ready at http://{local}"
    );

    tokio::select! {
        () = shutdown_signal() => {}
        res = &mut server => {
            return Err(StartError::Other(anyhow!("the HTTP server stopped unexpectedly: {res:?}")));
        }
    }
    let grace = Duration::from_secs(config.shutdown_timeout_secs);
    info!(
        grace_s = grace.as_secs(),
        "shutting down: no new connections; finishing requests and jobs"
    );
    let _ = stop_tx.send(true);
    // Live sockets close with "going away": their pages reconnect to another instance.
    services.live.shutdown();
    match tokio::time::timeout(grace, &mut server).await {
        Ok(_) => info!("all requests finished"),
        Err(_) => {
            warn!("requests still running after the grace period; closing them");
            server.abort();
        }
    }
    if let Some(worker) = worker
        && let Err(e) = worker.await
    {
        error!(error = %e, "the worker task failed");
    }
    services.db.close().await;
    info!("stopped");
    Ok(())
}

/// Every [`TRIM_EVERY`], hands the allocator's free pages back to the system, so that the
/// process comes back down after a burst of uploads (README, "Capacity").
async fn return_freed_memory(mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(TRIM_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let _ = tokio::task::spawn_blocking(media::memory::return_freed).await;
    }
}

/// How often [`return_freed_memory`] runs.
const TRIM_EVERY: Duration = Duration::from_secs(10);

/// `momentique worker`.
pub async fn worker(config: Config) -> Result<(), StartError> {
    let services = open_services(&config).await?;
    let metrics = Metrics::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(return_freed_memory(stop_rx.clone()));
    let handle = start_worker(&services, &metrics, &config, stop_rx);
    if let Err(e) = service::maintenance::schedule_purge(&services.db, domain::time::now()).await {
        warn!(error = %e, "could not schedule the daily queue clean-up");
    }
    shutdown_signal().await;
    info!("shutting down the worker");
    let _ = stop_tx.send(true);
    if let Err(e) = handle.await {
        error!(error = %e, "the worker task failed");
    }
    services.db.close().await;
    Ok(())
}

/// `momentique migrate`.
pub async fn migrate_only(config: Config) -> Result<(), StartError> {
    let services = open_services(&config).await?;
    services.db.close().await;
    info!("migrations applied");
    Ok(())
}
