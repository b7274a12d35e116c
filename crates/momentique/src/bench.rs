//! `momentique bench`: measurements that print their figures (targets live here, not in
//! timed unit tests).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Start `serve` on a fresh SQLite database several times; print start-to-ready time
    /// (until /readyz answers 200) and the idle resident memory.
    Startup {
        /// How many starts to measure.
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// Seconds to let the server sit idle before reading its memory.
        #[arg(long, default_value_t = 2)]
        idle_secs: u64,
    },
    /// Process every photo in DIR through the real pipeline (decode, orient, colour, resize,
    /// WebP encode, placeholder); print ms per stage, sizes, photos/s with 1 and 2 workers and
    /// peak memory.
    Media {
        /// A folder of photos (JPEG, PNG, WebP, HEIC).
        dir: std::path::PathBuf,
        /// Also re-encode the pipeline's pixels with these libwebp settings and score them
        /// (comma-separated key=value, e.g. `m=4,q=80,sns=50`; repeatable).
        #[arg(long = "webp")]
        webp: Vec<String>,
        /// Only the quality comparison (skip the stage table, throughput and memory figures).
        #[arg(long)]
        quality_only: bool,
    },
    /// Stream a ZIP of generated files (GiB in total) the way a download does; print its size,
    /// throughput and the process's memory before and after (it must stay flat).
    Zip {
        /// Total size of the generated files, in GiB (above 4 the archive needs ZIP64).
        #[arg(long, default_value_t = 5)]
        gib: u64,
    },
    /// Fill an event with generated photo rows and time gallery pages near the start and deep
    /// in (keyset pagination: page 200 should cost about what page 1 does).
    Gallery {
        /// How many photos the event has.
        #[arg(long, default_value_t = 10_000)]
        photos: u32,
        /// A database URL (default: a fresh SQLite file in a temporary folder).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Fill an event with N photos, start `serve` on SQLite and PostgreSQL, and drive the guest
    /// gallery page and the gallery JSON over HTTP (page 1 and deep in, 2 and 16 connections);
    /// print requests/s, p50/p99, errors and the server's CPU per request.
    GalleryHttp(crate::bench_http::GalleryHttpArgs),
    /// Many guests (200) each upload one photo (4 MB) at the same moment to a real `serve`;
    /// print errors, time to all acknowledged and to all published, CPU per photo, and the
    /// server's peak memory and its memory a minute later.
    Uploads(crate::bench_uploads::UploadsArgs),
    /// N projector walls (WebSocket viewers, default 5,000) on one event while one photo a
    /// second is published for 30 s, on a real `serve` and on the socket.io baseline, with the
    /// same load client; print delivered/expected, p50/p99 latency, server CPU per delivered
    /// message, memory per connection and the ratios.
    Live(crate::bench_live::LiveArgs),
    /// A lucky draw over 100,000 entries with mixed weights: time the canonical list and hash,
    /// 10 picks and the verification (target 50 ms in all); then chi-square tests over
    /// 1,000,000 simulated picks (uniform and weighted): statistic, degrees of freedom, p-value.
    Draw(crate::bench_draw::DrawArgs),
    /// Process one photo in this process and print its peak memory (used by `bench media`).
    #[command(hide = true)]
    MediaOne { file: std::path::PathBuf },
}

pub fn run(what: BenchWhat) -> ExitCode {
    match what {
        BenchWhat::Uploads(args) => match crate::bench_uploads::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                #[expect(clippy::print_stderr, reason = "benchmark failure")]
                {
                    eprintln!("bench uploads failed: {e}");
                }
                ExitCode::FAILURE
            }
        },
        BenchWhat::Live(args) => match crate::bench_live::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                #[expect(clippy::print_stderr, reason = "benchmark failure")]
                {
                    eprintln!("bench live failed: {e}");
                }
                ExitCode::FAILURE
            }
        },
        BenchWhat::Draw(args) => match crate::bench_draw::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                #[expect(clippy::print_stderr, reason = "benchmark failure")]
                {
                    eprintln!("bench draw failed: {e}");
                }
                ExitCode::FAILURE
            }
        },
        BenchWhat::GalleryHttp(args) => match crate::bench_http::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                #[expect(clippy::print_stderr, reason = "benchmark failure")]
                {
                    eprintln!("bench gallery-http failed: {e}");
                }
                ExitCode::FAILURE
            }
        },
        BenchWhat::Gallery {
            photos,
            database_url,
        } => {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    #[expect(clippy::print_stderr, reason = "benchmark failure")]
                    {
                        eprintln!("bench gallery: {e}");
                    }
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(gallery_bench(photos, database_url)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    #[expect(clippy::print_stderr, reason = "benchmark failure")]
                    {
                        eprintln!("bench gallery failed: {e}");
                    }
                    ExitCode::FAILURE
                }
            }
        }
        BenchWhat::Zip { gib } => {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    #[expect(clippy::print_stderr, reason = "benchmark failure")]
                    {
                        eprintln!("bench zip: {e}");
                    }
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(zip_bench(gib)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    #[expect(clippy::print_stderr, reason = "benchmark failure")]
                    {
                        eprintln!("bench zip failed: {e}");
                    }
                    ExitCode::FAILURE
                }
            }
        }
        BenchWhat::MediaOne { file } => {
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                Err(e) => {
                    #[expect(clippy::print_stderr, reason = "benchmark failure")]
                    {
                        eprintln!("cannot read {}: {e}", file.display());
                    }
                    return ExitCode::FAILURE;
                }
            };
            let ok = media::pipeline::process(&bytes, &media::pipeline::Limits::default()).is_ok();
            drop(bytes);
            let peak = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmHWM:"))
                        .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
                })
                .unwrap_or_default();
            #[expect(clippy::print_stdout, reason = "the benchmark's output")]
            {
                println!("{peak} {ok}");
            }
            ExitCode::SUCCESS
        }
        BenchWhat::Media {
            dir,
            webp,
            quality_only,
        } => {
            let mut out = std::io::stdout().lock();
            let result = crate::bench_quality::parse_settings(&webp).and_then(|sweep| {
                if !quality_only {
                    media::pipeline::bench::run_bench(&dir, &mut out)?;
                    peak_per_photo(&dir, &mut out)?;
                }
                crate::bench_quality::run(&dir, &sweep, &mut out)
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    #[expect(clippy::print_stderr, reason = "benchmark failure")]
                    {
                        eprintln!("bench media failed: {e}");
                    }
                    ExitCode::FAILURE
                }
            }
        }
        BenchWhat::Startup { runs, idle_secs } => match startup(runs, idle_secs) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                #[expect(clippy::print_stderr, reason = "benchmark failure")]
                {
                    eprintln!("bench startup failed: {e}");
                }
                ExitCode::FAILURE
            }
        },
    }
}

/// Peak memory of a fresh process that processes just one photo, for each photo in `dir`:
/// the figure that decides how many photos a small server can process at once.
fn peak_per_photo(dir: &std::path::Path, out: &mut impl Write) -> std::io::Result<()> {
    let exe = std::env::current_exe()?;
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "jpg" | "jpeg" | "png" | "webp" | "heic" | "heif"
                )
            })
        })
        .collect();
    files.sort();
    writeln!(out, "\npeak RSS of one process handling one photo:")?;
    for f in files {
        let o = Command::new(&exe)
            .args(["bench", "media-one"])
            .arg(&f)
            .stderr(Stdio::null())
            .output()?;
        let text = String::from_utf8_lossy(&o.stdout);
        let mut parts = text.split_whitespace();
        let kib: f64 = parts.next().and_then(|k| k.parse().ok()).unwrap_or(0.0);
        let ok = parts.next() == Some("true");
        writeln!(
            out,
            "  {:<40} {:>7.1} MB{}",
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            kib / 1024.0,
            if ok { "" } else { "  (failed to process)" }
        )?;
    }
    Ok(())
}

/// Inserts `n` published photo rows into one event, then walks the gallery's keyset pages
/// (48 a page, as the page shows) and times page 1, page 100 and page 200, each several times.
async fn gallery_bench(n: u32, url: Option<String>) -> Result<(), Box<dyn std::error::Error>> {
    use domain::{
        EventId, EventSettings, EventSlug, EventStatus, EventZone, OrgName, PhotoId, PhotoStatus,
        TenantId,
    };
    use store::{Event, EventRepo, Photo, PhotoRepo, Scope, StoredRendition, Tenant, TenantRepo};
    let dir = tempfile::tempdir()?;
    let url = url.unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.path().display()));
    let db = store::Db::open(&url, None, &store::DbOptions::default()).await?;
    let now = domain::time::now();
    let tenant = TenantId::new();
    let event = EventId::new();
    let mut tx = db.begin(Scope::Tenant(tenant)).await?;
    tx.insert_tenant(&Tenant {
        id: tenant,
        name: OrgName::parse("Bench")?,
        created_at: now,
    })
    .await?;
    tx.insert_event(
        tenant,
        &Event {
            id: event,
            tenant_id: tenant,
            slug: EventSlug::parse("bench")?,
            name: "Bench".into(),
            venue: String::new(),
            description: String::new(),
            time_zone: EventZone::parse("UTC")?,
            starts_at: now,
            ends_at: now + chrono::Duration::hours(6),
            status: EventStatus::Live,
            settings: EventSettings::default(),
            join_nonce: "bench".into(),
            created_by: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    let started = Instant::now();
    for i in 0..n {
        let id = PhotoId::new();
        let key = format!("{tenant}/{event}/{id}");
        tx.insert_photo(
            tenant,
            &Photo {
                id,
                tenant_id: tenant,
                event_id: event,
                uploaded_by: None,
                guest_id: None,
                uploader_name: format!("Guest {}", i % 50),
                sha256: format!("{i:064x}"),
                kind: "jpeg".into(),
                original_key: format!("{key}/original.jpg"),
                original_bytes: 3_000_000,
                status: PhotoStatus::Published,
                failure: None,
                width: Some(4032),
                height: Some(3024),
                taken_at_local: None,
                taken_offset: None,
                camera_make: None,
                camera_model: None,
                lens: None,
                placeholder: Some("3OcRJYB4d3h/iIeHeEh3eIhw+j2w".into()),
                renditions: [1920u32, 800, 150]
                    .iter()
                    .map(|&e| StoredRendition {
                        max_edge: e,
                        width: e,
                        height: e * 3 / 4,
                        key: format!("{key}/{e}.webp"),
                        bytes: 100_000,
                    })
                    .collect(),
                storage_bytes: 3_300_000,
                // Spread over six hours, a few per second at peak, as at a party.
                created_at: now + chrono::Duration::milliseconds(i64::from(i) * 2_000),
                processed_at: Some(now),
                reaction_count: 0,
                on_wall_at: None,
                caption: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} with {n} photos in one event (inserted in {:.1} s)",
        db.backend().as_str(),
        started.elapsed().as_secs_f64()
    )?;
    // Walk to the pages to measure, remembering each page's cursor.
    let query = |after| store::GalleryQuery {
        after,
        limit: 48,
        ..store::GalleryQuery::default()
    };
    let mut cursors = vec![None];
    let mut before = None;
    loop {
        let mut tx = db.begin(Scope::Tenant(tenant)).await?;
        let (page, more) = tx.list_gallery(tenant, event, &query(before)).await?;
        tx.commit().await?;
        before = page.last().map(store::GalleryCursor::after);
        if !more {
            break;
        }
        cursors.push(before);
    }
    writeln!(out, "{} pages of 48", cursors.len())?;
    for page in [1usize, 100, 200] {
        let Some(cursor) = cursors.get(page - 1).copied() else {
            continue;
        };
        let mut times = Vec::new();
        for _ in 0..20 {
            let t0 = Instant::now();
            let mut tx = db.begin(Scope::Tenant(tenant)).await?;
            let (rows, _) = tx.list_gallery(tenant, event, &query(cursor)).await?;
            tx.commit().await?;
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(rows.len(), 48);
        }
        times.sort_by(f64::total_cmp);
        writeln!(
            out,
            "page {page:>3}: median {:.2} ms, p90 {:.2} ms",
            times[times.len() / 2],
            times[times.len() * 9 / 10]
        )?;
    }
    Ok(())
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Generates `gib` GiB of files in a temporary local store, streams them as a ZIP through the
/// same code as the download pages, reads it to the end and checks the archive's tail.
async fn zip_bench(gib: u64) -> Result<(), Box<dyn std::error::Error>> {
    use futures::StreamExt;
    const FILE: u64 = 256 * 1024 * 1024;
    let dir = tempfile::tempdir()?;
    let blobs = media::BlobStore::local(dir.path())?;
    let files = (gib * 1024 * 1024 * 1024).div_ceil(FILE);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "generating {files} files of {} MiB in {}",
        FILE >> 20,
        dir.path().display()
    )?;
    let mut items = Vec::new();
    for i in 0..files {
        // Distinct, cheap bytes: a counter pattern written once, then copied.
        let path = dir.path().join(format!("src-{i}"));
        {
            let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
            let chunk: Vec<u8> = (0..1024 * 1024)
                .map(|j: u64| ((j * 31 + i) % 251) as u8)
                .collect();
            for _ in 0..(FILE >> 20) {
                std::io::Write::write_all(&mut f, &chunk)?;
            }
        }
        let key = format!("bench/event/photo-{i}/original.jpg");
        blobs.put_file(&key, &path).await?;
        std::fs::remove_file(&path)?;
        items.push(web::zip::ZipItem {
            key,
            path: format!("Guest {}/photo-{i}.jpg", i % 7),
        });
    }
    let before = rss_mib();
    let started = Instant::now();
    let res = web::zip::zip_response(blobs, items, "bench.zip");
    let mut body = res.into_body().into_data_stream();
    let (mut total, mut peak) = (0u64, before);
    let mut tail: Vec<u8> = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        total += chunk.len() as u64;
        tail.extend_from_slice(&chunk);
        if tail.len() > 4096 {
            tail.drain(..tail.len() - 4096);
        }
        if total % (64 << 20) < chunk.len() as u64 {
            peak = peak.max(rss_mib());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let zip64 =
        tail.windows(4).any(|w| w == b"PK\x06\x06") && tail.windows(4).any(|w| w == b"PK\x06\x07");
    let eocd = tail.windows(4).any(|w| w == b"PK\x05\x06");
    writeln!(
        out,
        "zip: {:.2} GiB in {secs:.1} s ({:.0} MiB/s); RSS before {before:.1} MiB, peak while streaming {peak:.1} MiB (+{:.1}); end record {}, ZIP64 records {}",
        total as f64 / (1u64 << 30) as f64,
        total as f64 / (1u64 << 20) as f64 / secs,
        peak - before,
        if eocd { "present" } else { "MISSING" },
        if zip64 { "present" } else { "absent" },
    )?;
    if !eocd {
        return Err("the archive has no end record".into());
    }
    Ok(())
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn readyz_ok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 16];
    s.read(&mut buf)
        .is_ok_and(|n| buf[..n].starts_with(b"HTTP/1.1 200"))
}

/// Resident and peak memory of `pid` in KiB, from /proc.
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn startup(runs: u32, idle_secs: u64) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let (mut ready_ms, mut rss_mb, mut peak_mb) = (Vec::new(), Vec::new(), Vec::new());
    println!("momentique bench startup: {runs} runs, fresh SQLite database and media folder each");
    for run in 1..=runs.max(1) {
        let dir =
            std::env::temp_dir().join(format!("momentique-bench-{}-{run}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let port = free_port().map_err(|e| e.to_string())?;
        let started = Instant::now();
        let mut child = Command::new(&exe)
            .arg("serve")
            .env("MOMENTIQUE_BIND", format!("127.0.0.1:{port}"))
            .env(
                "MOMENTIQUE_DATABASE_URL",
                format!("sqlite://{}/m.db", dir.display()),
            )
            .env("MOMENTIQUE_MEDIA_URL", dir.join("media"))
            .env("MOMENTIQUE_LOG", "warn")
            .env_remove("MOMENTIQUE_REDIS_URL")
            .env_remove("MOMENTIQUE_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| e.to_string())?;
        let deadline = started + Duration::from_secs(30);
        while !readyz_ok(port) {
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("the server did not become ready within 30 s".into());
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("the server exited early: {status}"));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let ready = started.elapsed().as_secs_f64() * 1000.0;
        std::thread::sleep(Duration::from_secs(idle_secs));
        let (rss, peak) = memory_kib(child.id()).ok_or("cannot read /proc/PID/status")?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let stopped = Instant::now();
        let status = child.wait().map_err(|e| e.to_string())?;
        let stop_ms = stopped.elapsed().as_secs_f64() * 1000.0;
        let _ = std::fs::remove_dir_all(&dir);
        println!(
            "run {run}: ready in {ready:6.1} ms | idle RSS {:5.1} MB | peak RSS {:5.1} MB | stopped in {stop_ms:5.1} ms ({status})",
            rss as f64 / 1024.0,
            peak as f64 / 1024.0
        );
        ready_ms.push(ready);
        rss_mb.push(rss as f64 / 1024.0);
        peak_mb.push(peak as f64 / 1024.0);
    }
    let (ready, rss, peak) = (median(ready_ms), median(rss_mb), median(peak_mb));
    println!(
        "median: ready in {ready:.1} ms (target <= 300) | idle RSS {rss:.1} MB (target <= 30) | peak RSS {peak:.1} MB"
    );
    Ok(())
}
