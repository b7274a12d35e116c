//! The quality half of `momentique bench media`: every rendition's size and quality (luma SSIM
//! and DSSIM against the full decode, see `media::pipeline::quality`) next to sharp's renditions
//! of the same photos made in the same run (`shared/bench/sharp/run`, effort 4 and 2), with the
//! CPU time per photo of each, so that speed is never bought with quality.
//!
//! `--webp SPEC` (repeatable) also re-encodes the pipeline's pixels with other libwebp settings
//! and scores them the same way: how the pipeline's settings were chosen.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use media::pipeline::bench::{encode_all, prepare, process_timed};
use media::pipeline::quality::{Reference, Score};
use media::pipeline::webp::{PIPELINE, PIPELINE_SMALL, Settings};
use media::pipeline::{DECODE_MIN_EDGE, Limits, RENDITION_SIZES, sniff};

/// Timed runs per photo, ours and sharp's (sharp reports the median, we the mean).
const RUNS: u32 = 5;
/// The sharp efforts compared: its default, and the one using our former libwebp method.
const EFFORTS: [u32; 2] = [4, 2];

/// What sharp made of one photo at one effort.
struct SharpPhoto {
    cpu_ms: f64,
    /// One file per rendition size.
    renditions: Vec<Vec<u8>>,
}

struct SharpRun {
    effort: u32,
    version: String,
    photos: HashMap<String, SharpPhoto>,
}

/// Where `shared/bench/sharp/run` is: `MOMENTIQUE_SHARP_BASELINE`, else the first
/// `shared/bench/sharp/run` found above the current folder or the executable.
fn sharp_script() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOMENTIQUE_SHARP_BASELINE") {
        return Some(PathBuf::from(path));
    }
    let starts = [std::env::current_dir().ok(), std::env::current_exe().ok()];
    starts.into_iter().flatten().find_map(|start| {
        start
            .ancestors()
            .map(|dir| dir.join("shared/bench/sharp/run"))
            .find(|candidate| candidate.is_file())
    })
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs sharp over `dir` at `effort`, keeping its renditions; `Err` says why it could not.
fn run_sharp(script: &Path, dir: &Path, effort: u32) -> Result<SharpRun, String> {
    let out = tempfile::tempdir().map_err(|e| e.to_string())?;
    let output = Command::new(script)
        .arg(dir)
        .arg(RUNS.to_string())
        .env("EFFORT", effort.to_string())
        .env("OUT", out.path())
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut run = SharpRun {
        effort,
        version: String::new(),
        photos: HashMap::new(),
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(file), Some(cpu_ms)) = (value["file"].as_str(), value["cpu_ms"].as_f64()) else {
            continue;
        };
        if let Some(vips) = value["libvips"].as_str() {
            run.version = format!("libvips {vips}");
        }
        let mut renditions = Vec::new();
        for size in RENDITION_SIZES {
            let path = out.path().join(format!("{file}.{size}.webp"));
            renditions.push(std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
        }
        run.photos
            .insert(file.to_owned(), SharpPhoto { cpu_ms, renditions });
    }
    Ok(run)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// One `--webp` variant: the 1920 rendition's settings, the smaller ones', the JPEG decode size.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    large: Settings,
    small: Settings,
    decode_min_edge: u32,
}

/// Parses the `--webp` settings: libwebp keys (see `Settings::parse`) for the 1920 rendition,
/// `all=1` to use them for the smaller ones too (else the pipeline's), `dec=N` to decode JPEGs
/// to at least N px (else the pipeline's).
pub fn parse_settings(specs: &[String]) -> io::Result<Vec<Variant>> {
    specs
        .iter()
        .map(|spec| {
            let (mut all, mut decode_min_edge) = (false, DECODE_MIN_EDGE);
            let mut rest = Vec::new();
            for pair in spec.split(',') {
                match pair.trim().split_once('=') {
                    Some(("all", v)) => all = v == "1",
                    Some(("dec", v)) => {
                        decode_min_edge = v
                            .parse()
                            .map_err(|_| io::Error::other(format!("{pair:?}: not a number")))?;
                    }
                    _ => rest.push(pair),
                }
            }
            let large = Settings::parse(&rest.join(",")).map_err(io::Error::other)?;
            Ok(Variant {
                large,
                small: if all { large } else { PIPELINE_SMALL },
                decode_min_edge,
            })
        })
        .collect()
}

/// Scores every rendition of every photo in `dir`, ours and sharp's; then each of `sweep`.
pub fn run(dir: &Path, sweep: &[Variant], out: &mut impl Write) -> io::Result<()> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut photos = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path)?;
        if sniff(&bytes).is_some() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            photos.push((name, bytes));
        }
    }

    writeln!(
        out,
        "\nquality: luma SSIM (11x11 Gaussian, 1 = identical) and DSSIM (dssim-core, 0 = identical) \
         of each rendition against the full decode, upright, sRGB, Lanczos3 to the same size"
    )?;
    writeln!(out, "load average before: {}", load_average())?;
    let mut sharp_runs = Vec::new();
    match sharp_script() {
        None => writeln!(
            out,
            "sharp: not compared (no shared/bench/sharp/run above this folder; set MOMENTIQUE_SHARP_BASELINE)"
        )?,
        Some(_) if !have("node") || !have("npm") => {
            writeln!(out, "sharp: not compared (node or npm is not installed)")?;
        }
        Some(script) => {
            for effort in EFFORTS {
                match run_sharp(&script, dir, effort) {
                    Ok(run) => sharp_runs.push(run),
                    Err(e) => writeln!(out, "sharp effort {effort}: not compared: {e}")?,
                }
            }
        }
    }
    if let Some(run) = sharp_runs.first() {
        writeln!(
            out,
            "sharp ({}), quality 80, one thread, {RUNS} runs per photo, median CPU; ours: WebP {PIPELINE} (1920), {PIPELINE_SMALL} (800, 150), JPEG decoded to >= {DECODE_MIN_EDGE} px, mean CPU of {RUNS} runs",
            run.version
        )?;
    }

    let limits = Limits::default();
    let mut header = format!("{:<34} {:>5} {:>9} |", "photo", "px", "ours KB");
    header.push_str(&format!(" {:>7} {:>7}", "SSIM", "DSSIM"));
    for run in &sharp_runs {
        header.push_str(&format!(
            " | e{} {:>5} {:>7} {:>7} {:>6} {:>7}",
            run.effort, "KB", "SSIM", "DSSIM", "size", "dSSIM"
        ));
    }
    writeln!(out, "{header}")?;
    let mut cpu_lines = Vec::new();
    let mut prepared_photos = Vec::new();
    // All timing first, then all scoring: dssim-core's worker threads must not run (or spin)
    // while CPU time is counted.
    let mut timed = Vec::new();
    for (name, bytes) in &photos {
        match process_timed(bytes, RUNS) {
            Ok(result) => timed.push((name, bytes, result)),
            Err(e) => writeln!(out, "{name:<34} skipped: {e}")?,
        }
    }
    for (name, bytes, (processed, cpu)) in timed {
        let mut reference = match Reference::new(bytes, &limits) {
            Ok(reference) => reference,
            Err(e) => {
                writeln!(out, "{name:<34} no reference: {e}")?;
                continue;
            }
        };
        let mut ours = Vec::new();
        for rendition in &processed.renditions {
            ours.push(reference.score(&rendition.webp).map_err(io::Error::other)?);
        }
        let mut theirs: Vec<Option<Vec<Score>>> = Vec::new();
        for run in &sharp_runs {
            theirs.push(match run.photos.get(name) {
                Some(photo) => Some(
                    photo
                        .renditions
                        .iter()
                        .map(|webp| reference.score(webp))
                        .collect::<Result<_, _>>()
                        .map_err(io::Error::other)?,
                ),
                None => None,
            });
        }
        for (i, size) in RENDITION_SIZES.into_iter().enumerate() {
            let o = &ours[i];
            let mut line = format!(
                "{:<34} {size:>5} {:>9.1} | {:>7.4} {:>7.5}",
                if i == 0 { name.as_str() } else { "" },
                kb(o.bytes),
                o.ssim,
                o.dssim
            );
            for (run, scores) in sharp_runs.iter().zip(&theirs) {
                match scores {
                    Some(scores) => {
                        let s = &scores[i];
                        line.push_str(&format!(
                            " | e{} {:>5.1} {:>7.4} {:>7.5} {:>+5.1}% {:>+7.4}",
                            run.effort,
                            kb(s.bytes),
                            s.ssim,
                            s.dssim,
                            (o.bytes as f64 / s.bytes as f64 - 1.0) * 100.0,
                            o.ssim - s.ssim
                        ));
                    }
                    None => line.push_str(" | (sharp does not read this file)"),
                }
            }
            writeln!(out, "{line}")?;
        }
        let mut cpu_line = format!("{name:<34} ours {:>6.1} ms", ms(cpu));
        let mut sharp_cpu = Vec::new();
        for run in &sharp_runs {
            if let Some(photo) = run.photos.get(name) {
                cpu_line.push_str(&format!(
                    " | sharp e{} {:>6.1} ms, ours {:.2}x",
                    run.effort,
                    photo.cpu_ms,
                    ms(cpu) / photo.cpu_ms
                ));
                sharp_cpu.push(photo.cpu_ms);
            }
        }
        cpu_lines.push((cpu_line, ms(cpu), sharp_cpu));
        prepared_photos.push((name, bytes, reference, theirs.into_iter().next().flatten()));
    }
    writeln!(
        out,
        "\nCPU per photo (user + system, all three renditions):"
    )?;
    for (line, _, _) in &cpu_lines {
        writeln!(out, "{line}")?;
    }
    let compared: Vec<_> = cpu_lines
        .iter()
        .filter(|(_, _, sharp)| sharp.len() == sharp_runs.len() && !sharp.is_empty())
        .collect();
    if !compared.is_empty() {
        let ours: f64 = compared.iter().map(|(_, o, _)| o).sum();
        let mut total = format!(
            "{:<34} ours {:>6.1} ms",
            format!("mean of {}", compared.len()),
            ours / compared.len() as f64
        );
        for (i, run) in sharp_runs.iter().enumerate() {
            let theirs: f64 = compared.iter().map(|(_, _, s)| s[i]).sum();
            total.push_str(&format!(
                " | sharp e{} {:>6.1} ms, ours {:.2}x",
                run.effort,
                theirs / compared.len() as f64,
                ours / theirs
            ));
        }
        writeln!(out, "{total}")?;
    }

    if !sweep.is_empty() {
        writeln!(
            out,
            "\nother WebP settings on the pipeline's pixels: encode CPU (all renditions, mean of {RUNS}), \
             KB and luma SSIM per rendition (1920/800/150); size and dSSIM against sharp effort {}",
            EFFORTS[0]
        )?;
    }
    let mut encoded_runs = Vec::new();
    for variant in sweep {
        for (_, bytes, _, _) in &prepared_photos {
            let prepared = prepare(bytes, variant.decode_min_edge).map_err(io::Error::other)?;
            encoded_runs.push(
                encode_all(&prepared, &variant.large, &variant.small, RUNS)
                    .map_err(io::Error::other)?,
            );
        }
    }
    let mut encoded_runs = encoded_runs.into_iter();
    for variant in sweep {
        writeln!(
            out,
            "1920: {}; 800, 150: {}; JPEG decoded to >= {} px",
            variant.large, variant.small, variant.decode_min_edge
        )?;
        for (name, _, reference, sharp) in &mut prepared_photos {
            let Some((encoded, cpu)) = encoded_runs.next() else {
                break;
            };
            let mut line = format!("  {:<32} {:>6.1} ms", name.as_str(), ms(cpu));
            for (i, webp) in encoded.iter().enumerate() {
                let s = reference.score(webp).map_err(io::Error::other)?;
                line.push_str(&format!(" | {:>6.1} KB {:.4}", kb(s.bytes), s.ssim));
                if let Some(sharp) = sharp {
                    line.push_str(&format!(
                        " {:>+5.1}% {:>+7.4}",
                        (s.bytes as f64 / sharp[i].bytes as f64 - 1.0) * 100.0,
                        s.ssim - sharp[i].ssim
                    ));
                }
            }
            writeln!(out, "{line}")?;
        }
    }
    writeln!(out, "load average after: {}", load_average())?;
    Ok(())
}
