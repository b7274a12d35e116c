//! Runs the media benchmark on a folder of photos:
//!
//! ```text
//! cargo run --release -p media --example bench_media -- DIR            # the report
//! cargo run --release -p media --example bench_media -- DIR --write OUT # renditions, to look at
//! ```
//!
//! The product's entry point is `momentique bench media DIR`; this example is for working on the
//! pipeline without building the server. The quality comparison with sharp and the comparison
//! of WebP settings (`--webp SPEC`) are in `momentique bench media` (docs/MEDIA.md).

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let dir = args
        .next()
        .map_or_else(|| PathBuf::from("../shared/testdata/photos"), PathBuf::from);
    let mode = args.next();
    let mut out = std::io::stdout().lock();
    if mode.as_deref() == Some("--write".as_ref()) {
        let target = args
            .next()
            .map_or_else(|| PathBuf::from("renditions"), PathBuf::from);
        return write_renditions(&dir, &target, &mut out);
    }
    media::pipeline::bench::run_bench(&dir, &mut out)
}

/// Writes every rendition of every photo in `dir` to `target` as WebP, plus the largest as PNG
/// (which more viewers show), and prints the metadata found.
fn write_renditions(
    dir: &std::path::Path,
    target: &std::path::Path,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    std::fs::create_dir_all(target)?;
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path)?;
        let stem = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        match media::pipeline::process(&bytes, &media::pipeline::Limits::default()) {
            Ok(processed) => {
                writeln!(
                    out,
                    "{stem}: {:?} {:?}",
                    processed.meta, processed.placeholder
                )?;
                for r in &processed.renditions {
                    std::fs::write(target.join(format!("{stem}_{}.webp", r.max_edge)), &r.webp)?;
                }
                let largest = image::load_from_memory(&processed.renditions[0].webp)
                    .map_err(std::io::Error::other)?;
                largest
                    .save(target.join(format!("{stem}_1920.png")))
                    .map_err(std::io::Error::other)?;
            }
            Err(error) => writeln!(out, "{stem}: {error}")?,
        }
    }
    Ok(())
}
