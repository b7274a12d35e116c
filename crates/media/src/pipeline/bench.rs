//! The media benchmark behind `momentique bench media DIR`: every photo in a folder through
//! [`process`], with the time of each step, CPU time, sizes, throughput on one and two worker
//! threads, and peak memory. Its figures compare with `shared/bench/sharp` (sharp/libvips, WebP
//! quality 80, effort 4, one thread) on the same folder.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{HeifSupport, heif_support};
use super::{Limits, Processed, StageTimings, probe, process, sniff, webp};

/// Timed runs per photo (after one warm-up); the median is reported.
const RUNS: usize = 5;
/// Passes over the folder for the throughput figures.
const THROUGHPUT_ROUNDS: usize = 3;

struct Photo {
    name: String,
    bytes: Vec<u8>,
}

/// Processes every photo in `dir` and writes a report to `out`.
pub fn run_bench(dir: &Path, out: &mut impl Write) -> io::Result<()> {
    let photos = load_photos(dir, out)?;
    let limits = Limits::default();
    match heif_support() {
        HeifSupport::Available { version } => writeln!(out, "libheif {version}: HEIC enabled")?,
        HeifSupport::Missing { reason } => writeln!(out, "HEIC disabled: {reason}")?,
    }
    writeln!(
        out,
        "WebP {} (1920), {} (800, 150); {RUNS} runs per photo after a warm-up, medians; times in ms",
        webp::PIPELINE,
        webp::PIPELINE_SMALL
    )?;
    writeln!(
        out,
        "{:<34} {:>9} {:>8} {:>7} {:>6} {:>6} {:>7} {:>7} {:>6} {:>7} {:>7}  out KB (1920/800/150)",
        "photo",
        "size",
        "in KB",
        "decode",
        "orient",
        "color",
        "resize",
        "encode",
        "hash",
        "total",
        "cpu*"
    )?;

    let mut processed_photos = Vec::new();
    let mut sum = StageTimings::default();
    let (mut sum_cpu, mut sum_in, mut sum_out) = (Duration::ZERO, 0usize, [0usize; 3]);
    for photo in &photos {
        if let Err(error) = process(&photo.bytes, &limits) {
            writeln!(out, "{:<34} skipped: {error}", photo.name)?;
            continue;
        }
        let mut runs = Vec::with_capacity(RUNS);
        let cpu_before = process_cpu_time();
        let wall_before = Instant::now();
        for _ in 0..RUNS {
            runs.push(process(&photo.bytes, &limits).map_err(io::Error::other)?);
        }
        // Mean CPU time per run (the clock-tick resolution is too coarse for one run).
        let cpu = process_cpu_time()
            .zip(cpu_before)
            .map_or(wall_before.elapsed(), |(a, b)| a.saturating_sub(b))
            / RUNS as u32;
        let processed = &runs[0];
        let t = median_timings(&runs.iter().map(|p| &p.timings).collect::<Vec<_>>());
        let out_kb = rendition_sizes(processed);
        writeln!(
            out,
            "{:<34} {:>9} {:>8.0} {:>7.1} {:>6.1} {:>6.1} {:>7.1} {:>7.1} {:>6.1} {:>7.1} {:>7.1}  {}",
            truncate(&photo.name, 34),
            format!("{}x{}", processed.width, processed.height),
            photo.bytes.len() as f64 / 1024.0,
            ms(t.decode),
            ms(t.orient),
            ms(t.color),
            ms(t.resize),
            ms(t.encode),
            ms(t.placeholder),
            ms(t.total()),
            ms(cpu),
            out_kb
                .iter()
                .map(|b| format!("{:.1}", *b as f64 / 1024.0))
                .collect::<Vec<_>>()
                .join(" / "),
        )?;
        add(&mut sum, &t);
        sum_cpu += cpu;
        sum_in += photo.bytes.len();
        for (s, o) in sum_out.iter_mut().zip(out_kb) {
            *s += o;
        }
        processed_photos.push(photo);
    }

    let count = processed_photos.len();
    if count == 0 {
        writeln!(out, "no photo could be processed in {}", dir.display())?;
        return Ok(());
    }
    let n = count as u32;
    writeln!(
        out,
        "{:<34} {:>9} {:>8.0} {:>7.1} {:>6.1} {:>6.1} {:>7.1} {:>7.1} {:>6.1} {:>7.1} {:>7.1}  {}",
        format!("mean of {count}"),
        "",
        sum_in as f64 / 1024.0 / f64::from(n),
        ms(sum.decode / n),
        ms(sum.orient / n),
        ms(sum.color / n),
        ms(sum.resize / n),
        ms(sum.encode / n),
        ms(sum.placeholder / n),
        ms(sum.total() / n),
        ms(sum_cpu / n),
        sum_out
            .iter()
            .map(|b| format!("{:.1}", *b as f64 / 1024.0 / f64::from(n)))
            .collect::<Vec<_>>()
            .join(" / "),
    )?;

    for threads in [1, 2] {
        let rate = throughput(&processed_photos, threads, &limits);
        writeln!(
            out,
            "throughput, {threads} worker thread{}: {rate:.2} photos/s",
            if threads == 1 { "" } else { "s" }
        )?;
    }
    match peak_rss_kib() {
        Some(kib) => writeln!(out, "peak RSS (VmHWM): {:.1} MB", kib as f64 / 1024.0)?,
        None => writeln!(out, "peak RSS: unknown (no /proc/self/status)")?,
    }
    Ok(())
}

/// A photo decoded, resized, oriented and colour-converted by the pipeline, ready to be encoded
/// with other settings (for choosing them).
#[derive(Debug)]
pub struct Prepared(super::Rendered);

/// Runs the pipeline up to the encoder, decoding JPEGs to at least `decode_min_edge` (the
/// pipeline's is [`super::DECODE_MIN_EDGE`]).
pub fn prepare(bytes: &[u8], decode_min_edge: u32) -> Result<Prepared, super::MediaError> {
    let limits = Limits::default();
    let probed = probe(bytes, &limits)?;
    super::render_with(
        bytes,
        &probed,
        &limits,
        decode_min_edge,
        &mut StageTimings::default(),
    )
    .map(Prepared)
}

/// Encodes every rendition of `prepared` with `settings` (the largest) and `small` (the others),
/// `rounds` times; returns the files and the mean CPU time of one round (all renditions).
pub fn encode_all(
    prepared: &Prepared,
    settings: &webp::Settings,
    small: &webp::Settings,
    rounds: u32,
) -> Result<(Vec<Vec<u8>>, Duration), super::MediaError> {
    let started = Instant::now();
    let before = process_cpu_time();
    let mut encoded = Vec::new();
    for _ in 0..rounds.max(1) {
        encoded = prepared
            .0
            .images
            .iter()
            .enumerate()
            .map(|(i, image)| webp::encode_with(image, if i == 0 { settings } else { small }))
            .collect::<Result<Vec<_>, _>>()?;
    }
    let cpu = process_cpu_time()
        .zip(before)
        .map_or(started.elapsed(), |(a, b)| a.saturating_sub(b))
        / rounds.max(1);
    Ok((encoded, cpu))
}

/// Processes `bytes` once to warm up, then `runs` times; returns the last result and the mean
/// CPU time (user + system) of one run.
pub fn process_timed(bytes: &[u8], runs: u32) -> Result<(Processed, Duration), super::MediaError> {
    let limits = Limits::default();
    let mut processed = process(bytes, &limits)?;
    let started = Instant::now();
    let before = process_cpu_time();
    for _ in 0..runs.max(1) {
        processed = process(bytes, &limits)?;
    }
    let cpu = process_cpu_time()
        .zip(before)
        .map_or(started.elapsed(), |(a, b)| a.saturating_sub(b))
        / runs.max(1);
    Ok((processed, cpu))
}

fn load_photos(dir: &Path, out: &mut impl Write) -> io::Result<Vec<Photo>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let mut photos = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if sniff(&bytes).is_none() {
            writeln!(out, "{name}: not a photo, ignored")?;
            continue;
        }
        photos.push(Photo { name, bytes });
    }
    Ok(photos)
}

/// Photos per second with `threads` workers taking photos from a shared queue.
fn throughput(photos: &[&Photo], threads: usize, limits: &Limits) -> f64 {
    let jobs = photos.len() * THROUGHPUT_ROUNDS;
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= jobs {
                        break;
                    }
                    // Errors were reported above; here only the time counts.
                    let _ = process(&photos[job % photos.len()].bytes, limits);
                }
            });
        }
    });
    jobs as f64 / started.elapsed().as_secs_f64()
}

fn rendition_sizes(processed: &Processed) -> [usize; 3] {
    let mut sizes = [0; 3];
    for (size, rendition) in sizes.iter_mut().zip(&processed.renditions) {
        *size = rendition.webp.len();
    }
    sizes
}

/// Median of each stage separately.
fn median_timings(runs: &[&StageTimings]) -> StageTimings {
    let median = |stage: fn(&StageTimings) -> Duration| {
        let mut values: Vec<Duration> = runs.iter().map(|t| stage(t)).collect();
        values.sort();
        values[values.len() / 2]
    };
    StageTimings {
        decode: median(|t| t.decode),
        orient: median(|t| t.orient),
        color: median(|t| t.color),
        resize: median(|t| t.resize),
        encode: median(|t| t.encode),
        placeholder: median(|t| t.placeholder),
    }
}

fn add(sum: &mut StageTimings, t: &StageTimings) {
    sum.decode += t.decode;
    sum.orient += t.orient;
    sum.color += t.color;
    sum.resize += t.resize;
    sum.encode += t.encode;
    sum.placeholder += t.placeholder;
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn truncate(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        name.to_owned()
    } else {
        let mut short: String = name.chars().take(width - 1).collect();
        short.push('…');
        short
    }
}

/// CPU time of the whole process, user + system, including threads that have exited (libheif's
/// decoder threads): fields 14 and 15 of /proc/self/stat, in clock ticks (100 per second on
/// Linux), so only meaningful over several runs.
fn process_cpu_time() -> Option<Duration> {
    const TICKS_PER_SECOND: u64 = 100;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may contain spaces; the fields after it do not.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}

/// Peak resident memory of the process, in KiB (VmHWM).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
