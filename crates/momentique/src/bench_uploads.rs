//! `momentique bench uploads`: many guests each send one photo at the same moment through the
//! guest upload path of a real `serve` (SQLite and local files, the default setup); prints
//! errors, the time until every upload was acknowledged and until every photo was published,
//! the server's CPU per photo, and its memory at the peak and a while after.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use http_body_util::BodyExt as _;

use crate::bench_http::{
    BenchDb, Server, create_event, join_as_guest, load_line, open_services, secret_hex,
};

/// The options of `bench uploads`.
#[derive(Debug, clap::Args)]
pub struct UploadsArgs {
    /// How many guests upload at once (each joins, then sends one photo).
    #[arg(long, default_value_t = 200)]
    pub guests: u32,
    /// The photo every guest sends (each copy made distinct by a few trailing bytes).
    #[arg(
        long,
        default_value = "../shared/testdata/photos/derived_sony_12mp_o6.jpg"
    )]
    pub photo: PathBuf,
    /// Seconds to wait after the last photo is published before reading the memory again.
    #[arg(long, default_value_t = 60)]
    pub settle_secs: u64,
    /// The binary to start as the server (default: this one), to compare two builds.
    #[arg(long)]
    pub server_binary: Option<PathBuf>,
    /// Extra environment for the server, `KEY=VALUE` (e.g. MALLOC_ARENA_MAX=2); repeatable.
    #[arg(long = "server-env")]
    pub server_env: Vec<String>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub fn run(args: &UploadsArgs) -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(uploads(args))
}

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
async fn uploads(args: &UploadsArgs) -> Result<(), BoxError> {
    let photo = std::fs::read(&args.photo).map_err(|e| {
        format!(
            "cannot read the photo {} (--photo): {e}",
            args.photo.display()
        )
    })?;
    let db = BenchDb::sqlite()?;
    let secret = secret_hex()?;
    let services = open_services(&db, &secret).await?;
    let mut input = service::events::EventInput::new_event("UTC");
    let now = domain::time::now();
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    input.name = "Bench Uploads".into();
    input.starts_at = at(now - chrono::Duration::hours(1));
    input.ends_at = at(now + chrono::Duration::hours(24));
    let e = create_event(&services, input).await?;
    services.db.close().await;
    drop(services);

    let env: Vec<(String, String)> = args
        .server_env
        .iter()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::start(args.server_binary.as_deref(), &db, &secret, &env_refs)?;
    let base = server.base();
    let event = e.event.id;
    println!(
        "momentique bench uploads: {} guests × {} ({:.1} MB) at once; server env {:?}; {}",
        args.guests,
        args.photo.display(),
        photo.len() as f64 / 1e6,
        args.server_env,
        load_line()
    );
    let (idle_rss, _) = server.rss_mib();

    // Everyone joins first (through the join form), as guests at a party would have.
    let mut cookies = Vec::new();
    for _ in 0..args.guests {
        cookies.push(join_as_guest(&base, &e.join_token, event).await?);
    }
    let (joined_rss, _) = server.rss_mib();
    let cpu0 = server.cpu_secs();

    // Then every guest sends their photo at the same moment.
    let started = Instant::now();
    let photo = bytes::Bytes::from(photo);
    let mut tasks = Vec::new();
    for (i, cookie) in cookies.iter().enumerate() {
        // After the JPEG's end: distinct bytes (no duplicate detection), same picture. The
        // body is the shared photo and the trailer: the bench holds one copy, not 200.
        let trailer = bytes::Bytes::from(format!("bench-{i:08}"));
        let length = photo.len() + trailer.len();
        let frames: Vec<Result<http_body::Frame<bytes::Bytes>, std::convert::Infallible>> = vec![
            Ok(http_body::Frame::data(photo.clone())),
            Ok(http_body::Frame::data(trailer)),
        ];
        let url = format!("{base}/g/{event}/photos");
        let (cookie, origin) = (cookie.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http();
            let req = http::Request::post(url)
                .header(http::header::COOKIE, &cookie)
                .header(http::header::ORIGIN, &origin)
                .header(http::header::ACCEPT, "application/json")
                .header(http::header::CONTENT_TYPE, "image/jpeg")
                .header(http::header::CONTENT_LENGTH, length)
                .body(http_body_util::StreamBody::new(futures::stream::iter(
                    frames,
                )))?;
            let res = client.request(req).await?;
            let status = res.status();
            let body = res.into_body().collect().await?.to_bytes();
            let acked = started.elapsed();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let id = json
                .get("id")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            Ok::<_, BoxError>((status.as_u16(), id, acked, cookie))
        }));
    }
    let mut peak_rss = 0.0f64;
    let mut peak_threads = 0u64;
    let mut accepted = Vec::new();
    let mut errors = Vec::new();
    let mut all_acked = Duration::ZERO;
    for t in tasks {
        // Sample the memory while the uploads arrive.
        while !t.is_finished() {
            peak_rss = peak_rss.max(server.rss_mib().0);
            peak_threads = peak_threads.max(server.threads());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        match t.await? {
            Ok((status, Some(id), acked, cookie)) if (200..300).contains(&status) => {
                all_acked = all_acked.max(acked);
                accepted.push((id, cookie));
            }
            Ok((status, _, _, _)) => errors.push(format!("answered {status}")),
            Err(e) => errors.push(e.to_string()),
        }
    }
    // Then wait for every accepted photo to be published, asking as its guest would.
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let mut waiting = accepted.clone();
    let mut failed = 0u32;
    let deadline = Instant::now() + Duration::from_secs(1800);
    while !waiting.is_empty() && Instant::now() < deadline {
        let mut still = Vec::new();
        for (id, cookie) in waiting {
            let req = http::Request::get(format!("{base}/g/{event}/photos/{id}"))
                .header(http::header::COOKIE, &cookie)
                .header(http::header::ACCEPT, "application/json")
                .body(http_body_util::Full::default())?;
            let res = client.request(req).await?;
            let body = res.into_body().collect().await?.to_bytes();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            match json.get("status").and_then(serde_json::Value::as_str) {
                Some("published") => {}
                Some("failed") => failed += 1,
                _ => still.push((id, cookie)),
            }
        }
        waiting = still;
        peak_rss = peak_rss.max(server.rss_mib().0);
        peak_threads = peak_threads.max(server.threads());
        if !waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    let all_published = started.elapsed();
    let cpu = server.cpu_secs() - cpu0;
    let (rss_done, hwm) = server.rss_mib();
    peak_rss = peak_rss.max(hwm);
    println!(
        "errors: {} refused/failed uploads{}, {failed} failed in processing, {} never published",
        errors.len(),
        if errors.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                errors
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        },
        waiting.len()
    );
    println!(
        "all {} acknowledged after {:.1} s; all published after {:.1} s ({:.2} photos/s)",
        accepted.len(),
        all_acked.as_secs_f64(),
        all_published.as_secs_f64(),
        accepted.len() as f64 / all_published.as_secs_f64().max(1e-9)
    );
    println!(
        "server CPU {cpu:.1} s in all, {:.0} ms per photo",
        cpu * 1000.0 / accepted.len().max(1) as f64
    );
    tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
    let (rss_after, _) = server.rss_mib();
    println!(
        "RSS: idle {idle_rss:.0} MiB, after the joins {joined_rss:.0} MiB, peak {peak_rss:.0} MiB, when all were published {rss_done:.0} MiB, {} s later {rss_after:.0} MiB; threads: peak {peak_threads}, {} at the end",
        args.settle_secs,
        server.threads()
    );
    drop(server);
    Ok(())
}
