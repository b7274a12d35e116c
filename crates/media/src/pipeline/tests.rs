//! Tests of the pipeline on images made here: JPEGs with spliced EXIF (orientation, GPS), PNGs,
//! WebPs, a HEIC made with `heif-enc`, broken files and a decompression bomb.

use std::time::{Duration, Instant};

use image::{ImageEncoder, Rgb, RgbImage, imageops};

use super::*;

// ---- Making images ----

const RED: [u8; 3] = [220, 30, 30];
const BLUE: [u8; 3] = [30, 30, 220];
const GREEN: [u8; 3] = [30, 190, 30];
const WHITE: [u8; 3] = [235, 235, 235];

/// Upright test picture: red | blue on top, green | white below.
fn quadrants(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb(match (x < width / 2, y < height / 2) {
            (true, true) => RED,
            (false, true) => BLUE,
            (true, false) => GREEN,
            (false, false) => WHITE,
        })
    })
}

/// What a camera stores for an upright `image` when it writes EXIF `orientation` (the inverse of
/// what a viewer applies), built from `image`'s own rotations rather than the code under test.
fn stored_for(upright: &RgbImage, orientation: u16) -> RgbImage {
    match orientation {
        1 => upright.clone(),
        2 => imageops::flip_horizontal(upright),
        3 => imageops::rotate180(upright),
        4 => imageops::flip_vertical(upright),
        5 => imageops::rotate90(&imageops::flip_vertical(upright)),
        6 => imageops::rotate270(upright),
        7 => imageops::rotate90(&imageops::flip_horizontal(upright)),
        8 => imageops::rotate90(upright),
        _ => unreachable!(),
    }
}

fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode JPEG");
    out
}

fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode PNG");
    out
}

/// Inserts a segment (marker, payload) right after SOI.
fn splice_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    let length = u16::try_from(payload.len() + 2).expect("segment fits");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn splice_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    splice_segment(jpeg, 0xE1, &payload)
}

fn splice_icc(jpeg: &[u8], icc: &[u8]) -> Vec<u8> {
    let mut payload = b"ICC_PROFILE\0".to_vec();
    payload.extend_from_slice(&[1, 1]); // chunk 1 of 1
    payload.extend_from_slice(icc);
    splice_segment(jpeg, 0xE2, &payload)
}

/// A TIFF entry value: (type, count, bytes).
enum Value<'a> {
    Short(u16),
    Long(u32),
    Ascii(&'a str),
    Rationals(&'a [(u32, u32)]),
}

/// Writes one little-endian IFD at `offset`: entries sorted by tag, then the out-of-line data.
fn ifd(offset: u32, entries: &[(u16, Value<'_>)]) -> Vec<u8> {
    let data_start = offset + 2 + 12 * entries.len() as u32 + 4;
    let mut head = (entries.len() as u16).to_le_bytes().to_vec();
    let mut data = Vec::new();
    for (tag, value) in entries {
        let (kind, count, bytes): (u16, u32, Vec<u8>) = match value {
            Value::Short(v) => (3, 1, v.to_le_bytes().to_vec()),
            Value::Long(v) => (4, 1, v.to_le_bytes().to_vec()),
            Value::Ascii(s) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                (2, b.len() as u32, b)
            }
            Value::Rationals(r) => (
                5,
                r.len() as u32,
                r.iter()
                    .flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()].concat())
                    .collect(),
            ),
        };
        head.extend_from_slice(&tag.to_le_bytes());
        head.extend_from_slice(&kind.to_le_bytes());
        head.extend_from_slice(&count.to_le_bytes());
        if bytes.len() <= 4 {
            let mut inline = bytes;
            inline.resize(4, 0);
            head.extend_from_slice(&inline);
        } else {
            head.extend_from_slice(&(data_start + data.len() as u32).to_le_bytes());
            data.extend_from_slice(&bytes);
            if data.len() % 2 == 1 {
                data.push(0);
            }
        }
    }
    head.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    head.extend_from_slice(&data);
    head
}

/// EXIF of a phone photo taken in Rio de Janeiro (south and west: negative coordinates).
fn camera_exif(orientation: u16) -> Vec<u8> {
    let ifd0 = |exif_at: u32, gps_at: u32| {
        ifd(
            8,
            &[
                (0x010F, Value::Ascii("Momentique")),
                (0x0110, Value::Ascii("TestCam 3000")),
                (0x0112, Value::Short(orientation)),
                (0x8769, Value::Long(exif_at)),
                (0x8825, Value::Long(gps_at)),
            ],
        )
    };
    let exif_at = 8 + ifd0(0, 0).len() as u32;
    let exif = ifd(
        exif_at,
        &[
            (0x9003, Value::Ascii("2024:06:01 18:30:05")),
            (0x9011, Value::Ascii("-03:00")),
            (0xA434, Value::Ascii("TestLens 24mm f/1.8")),
        ],
    );
    let gps_at = exif_at + exif.len() as u32;
    let gps = ifd(
        gps_at,
        &[
            (0x0001, Value::Ascii("S")),
            (0x0002, Value::Rationals(&[(22, 1), (54, 1), (2448, 100)])),
            (0x0003, Value::Ascii("W")),
            (0x0004, Value::Rationals(&[(43, 1), (10, 1), (2244, 100)])),
        ],
    );
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&ifd0(exif_at, gps_at));
    tiff.extend_from_slice(&exif);
    tiff.extend_from_slice(&gps);
    tiff
}

// ---- Reading results ----

fn decode_webp(webp: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(webp, image::ImageFormat::WebP)
        .expect("rendition decodes")
        .into_rgb8()
}

/// The RIFF chunk names of a WebP file, checking the container on the way.
fn riff_chunks(webp: &[u8]) -> Vec<String> {
    assert_eq!(&webp[..4], b"RIFF");
    assert_eq!(&webp[8..12], b"WEBP");
    let riff_size = u32::from_le_bytes(webp[4..8].try_into().expect("4 bytes")) as usize;
    assert_eq!(riff_size + 8, webp.len(), "RIFF size covers the file");
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= webp.len() {
        let name = String::from_utf8_lossy(&webp[at..at + 4]).into_owned();
        let size = u32::from_le_bytes(webp[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        chunks.push(name);
        at += 8 + size + size % 2;
    }
    assert_eq!(at, webp.len(), "chunks end with the file");
    chunks
}

fn closest(pixel: &Rgb<u8>) -> [u8; 3] {
    let distance = |c: &[u8; 3]| -> i32 {
        (0..3)
            .map(|i| (i32::from(pixel[i]) - i32::from(c[i])).pow(2))
            .sum()
    };
    *[RED, BLUE, GREEN, WHITE]
        .iter()
        .min_by_key(|c| distance(c))
        .expect("four colours")
}

fn assert_upright(image: &RgbImage, context: &str) {
    let (w, h) = image.dimensions();
    let at = |fx: u32, fy: u32| closest(image.get_pixel(w * fx / 4, h * fy / 4));
    assert_eq!(at(1, 1), RED, "{context}: top left");
    assert_eq!(at(3, 1), BLUE, "{context}: top right");
    assert_eq!(at(1, 3), GREEN, "{context}: bottom left");
    assert_eq!(at(3, 3), WHITE, "{context}: bottom right");
}

fn sizes(processed: &Processed) -> Vec<(u32, u32)> {
    processed
        .renditions
        .iter()
        .map(|r| (r.width, r.height))
        .collect()
}

fn process_ok(bytes: &[u8]) -> Processed {
    process(bytes, &Limits::default()).expect("photo is processed")
}

// ---- The tests ----

#[test]
fn every_exif_orientation_comes_out_upright() {
    let upright = quadrants(160, 120);
    for orientation in 1..=8 {
        let stored = stored_for(&upright, orientation);
        let bytes = splice_exif(&jpeg(&stored), &camera_exif(orientation));

        let probed = probe(&bytes, &Limits::default()).expect("probe");
        assert_eq!(
            (probed.width, probed.height),
            (160, 120),
            "probe, orientation {orientation}"
        );

        let processed = process_ok(&bytes);
        assert_eq!(processed.meta.orientation, orientation);
        assert_eq!((processed.width, processed.height), (160, 120));
        for rendition in &processed.renditions {
            let image = decode_webp(&rendition.webp);
            assert_eq!(image.dimensions(), (rendition.width, rendition.height));
            assert_upright(
                &image,
                &format!(
                    "orientation {orientation}, rendition {}",
                    rendition.max_edge
                ),
            );
        }
    }
}

#[test]
fn exif_metadata_is_read_including_gps() {
    let bytes = splice_exif(&jpeg(&quadrants(64, 48)), &camera_exif(1));
    let meta = process_ok(&bytes).meta;
    assert_eq!(meta.camera_make.as_deref(), Some("Momentique"));
    assert_eq!(meta.camera_model.as_deref(), Some("TestCam 3000"));
    assert_eq!(meta.lens.as_deref(), Some("TestLens 24mm f/1.8"));
    assert_eq!(meta.taken_offset.as_deref(), Some("-03:00"));
    assert_eq!(
        meta.taken_at,
        chrono::NaiveDate::from_ymd_opt(2024, 6, 1).and_then(|d| d.and_hms_opt(18, 30, 5))
    );
    let (lat, lon) = meta.gps.expect("GPS position");
    assert!((lat - -22.9068).abs() < 1e-4, "latitude {lat}");
    assert!((lon - -43.1729).abs() < 1e-4, "longitude {lon}");
}

#[test]
fn photos_without_exif_have_empty_metadata() {
    let meta = process_ok(&png(&quadrants(64, 48))).meta;
    assert_eq!(
        meta,
        PhotoMeta {
            orientation: 1,
            ..PhotoMeta::default()
        }
    );
}

#[test]
fn renditions_carry_no_metadata() {
    let bytes = splice_exif(&jpeg(&quadrants(640, 480)), &camera_exif(6));
    let bytes = splice_icc(
        &bytes,
        &moxcms::ColorProfile::new_display_p3()
            .encode()
            .expect("ICC profile"),
    );
    let processed = process_ok(&bytes);
    assert!(processed.meta.gps.is_some(), "the original has GPS");
    for rendition in &processed.renditions {
        let chunks = riff_chunks(&rendition.webp);
        assert_eq!(chunks, ["VP8 "], "rendition {}", rendition.max_edge);
        let webp = &rendition.webp;
        for needle in [
            &b"Exif"[..],
            b"EXIF",
            b"XMP ",
            b"ICCP",
            b"TestCam",
            b"Momentique",
        ] {
            assert!(
                !webp.windows(needle.len()).any(|w| w == needle),
                "rendition {} contains {:?}",
                rendition.max_edge,
                String::from_utf8_lossy(needle)
            );
        }
    }
}

#[test]
fn rendition_sizes_cascade_and_never_upscale() {
    let landscape = process_ok(&png(&quadrants(2400, 1600)));
    assert_eq!(sizes(&landscape), [(1920, 1280), (800, 533), (150, 100)]);
    assert_eq!(
        landscape
            .renditions
            .iter()
            .map(|r| r.max_edge)
            .collect::<Vec<_>>(),
        RENDITION_SIZES
    );

    let portrait = process_ok(&jpeg(&quadrants(600, 1000)));
    assert_eq!((portrait.width, portrait.height), (600, 1000));
    assert_eq!(sizes(&portrait), [(600, 1000), (480, 800), (90, 150)]);

    let tiny = process_ok(&jpeg(&quadrants(120, 40)));
    assert_eq!(sizes(&tiny), [(120, 40), (120, 40), (120, 40)]);
    for rendition in &tiny.renditions {
        assert_upright(&decode_webp(&rendition.webp), "tiny");
    }
}

#[test]
fn jpeg_is_shrunk_on_load_but_not_below_the_largest_rendition() {
    let bytes = jpeg(&quadrants(4000, 3000));
    let decoded = decode::decode(&bytes, Kind::Jpeg, 1920, &Limits::default()).expect("decode");
    assert_eq!((decoded.full_width, decoded.full_height), (4000, 3000));
    assert_eq!((decoded.pixels.width, decoded.pixels.height), (2000, 1500));

    // 3000 px: ½ would give 1500 < 1920, so it decodes at full size.
    let bytes = jpeg(&quadrants(3000, 2000));
    let decoded = decode::decode(&bytes, Kind::Jpeg, 1920, &Limits::default()).expect("decode");
    assert_eq!((decoded.pixels.width, decoded.pixels.height), (3000, 2000));

    let processed = process_ok(&jpeg(&quadrants(4000, 3000)));
    assert_eq!(sizes(&processed), [(1920, 1440), (800, 600), (150, 113)]);
    assert_upright(&decode_webp(&processed.renditions[0].webp), "4000 px JPEG");
}

#[test]
fn png_and_webp_inputs_work_and_alpha_is_kept() {
    let processed = process_ok(&png(&quadrants(300, 200)));
    assert_eq!(processed.kind, Kind::Png);
    assert_upright(&decode_webp(&processed.renditions[0].webp), "PNG");

    let webp_input = processed.renditions[0].webp.clone();
    let again = process_ok(&webp_input);
    assert_eq!(again.kind, Kind::Webp);
    assert_eq!((again.width, again.height), (300, 200));
    assert_upright(&decode_webp(&again.renditions[0].webp), "WebP");

    let rgba = image::RgbaImage::from_fn(64, 64, |x, _| {
        image::Rgba([200, 40, 40, if x < 32 { 0 } else { 255 }])
    });
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(rgba.as_raw(), 64, 64, image::ExtendedColorType::Rgba8)
        .expect("encode PNG");
    let processed = process_ok(&bytes);
    let chunks = riff_chunks(&processed.renditions[0].webp);
    assert_eq!(chunks, ["VP8X", "ALPH", "VP8 "]);
    let decoded = image::load_from_memory(&processed.renditions[0].webp)
        .expect("decodes")
        .into_rgba8();
    assert_eq!(decoded.get_pixel(8, 32)[3], 0, "transparent half");
    assert_eq!(decoded.get_pixel(56, 32)[3], 255, "opaque half");
}

#[test]
fn display_p3_is_converted_to_srgb() {
    // A saturated P3 green is more saturated than sRGB can show: converted, its red and blue
    // drop towards 0; left unconverted it would stay as stored (washed out on screens).
    let colour = [40u8, 200, 60];
    let image = RgbImage::from_pixel(64, 64, Rgb(colour));
    let plain = jpeg(&image);
    let p3 = splice_icc(
        &plain,
        &moxcms::ColorProfile::new_display_p3()
            .encode()
            .expect("ICC profile"),
    );
    let centre =
        |bytes: &[u8]| *decode_webp(&process_ok(bytes).renditions[0].webp).get_pixel(32, 32);
    let without = centre(&plain);
    let with = centre(&p3);
    assert!(
        i32::from(with[0]) + 20 < i32::from(without[0])
            && i32::from(with[2]) + 20 < i32::from(without[2])
            && with[1] >= without[1],
        "green more saturated after P3 -> sRGB: {without:?} -> {with:?}"
    );

    // An sRGB profile changes nothing.
    let srgb = splice_icc(
        &plain,
        &moxcms::ColorProfile::new_srgb()
            .encode()
            .expect("ICC profile"),
    );
    assert_eq!(centre(&srgb), without);
}

#[test]
fn placeholder_is_a_thumbhash() {
    let processed = process_ok(&jpeg(&quadrants(400, 300)));
    use base64::Engine as _;
    let hash = base64::engine::general_purpose::STANDARD
        .decode(&processed.placeholder)
        .expect("base64");
    assert!((5..=40).contains(&hash.len()), "{} bytes", hash.len());
    let (w, h, rgba) = thumbhash::thumb_hash_to_rgba(&hash).expect("valid thumbhash");
    assert!(w > h, "landscape placeholder: {w}x{h}");
    // Top-left of the placeholder is reddish.
    assert!(rgba[0] > rgba[2], "{:?}", &rgba[..4]);
}

#[test]
fn sniff_knows_the_formats_and_nothing_else() {
    assert_eq!(sniff(&jpeg(&quadrants(8, 8))), Some(Kind::Jpeg));
    assert_eq!(sniff(&png(&quadrants(8, 8))), Some(Kind::Png));
    assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(Kind::Webp));
    let ftyp = |major: &[u8; 4], compatible: &[&[u8; 4]]| {
        let mut b = ((16 + 4 * compatible.len()) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0; 4]);
        compatible.iter().for_each(|c| b.extend_from_slice(&c[..]));
        b.extend_from_slice(b"\0\0\0\x08meta");
        b
    };
    assert_eq!(sniff(&ftyp(b"heic", &[b"mif1", b"heic"])), Some(Kind::Heic));
    assert_eq!(sniff(&ftyp(b"mif1", &[b"heic"])), Some(Kind::Heic));
    assert_eq!(sniff(&ftyp(b"msf1", &[b"hevc"])), Some(Kind::Heic));
    assert_eq!(sniff(&ftyp(b"avif", &[b"mif1", b"miaf"])), None);
    assert_eq!(sniff(&ftyp(b"mif1", &[b"avif"])), None);
    assert_eq!(sniff(&ftyp(b"isom", &[b"mp41"])), None);
    for other in [
        &b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"[..],
        b"<!DOCTYPE html><html></html>",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
        b"GIF89a",
        b"",
    ] {
        assert_eq!(sniff(other), None);
        assert!(matches!(
            process(other, &Limits::default()),
            Err(MediaError::Unsupported)
        ));
    }
    assert_eq!(Kind::Heic.mime(), "image/heic");
    assert_eq!(Kind::Jpeg.extension(), "jpg");
}

/// Deterministic noise (xorshift), so a failure reproduces.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

#[test]
fn broken_files_are_refused_without_panicking() {
    let limits = Limits::default();
    let picture = quadrants(200, 150);
    let jpeg = splice_exif(&jpeg(&picture), &camera_exif(6));
    let png = png(&picture);
    let webp = process_ok(&png).renditions[0].webp.clone();
    for (name, file) in [("JPEG", &jpeg), ("PNG", &png), ("WebP", &webp)] {
        let cuts = (0..file.len() - 1).step_by((file.len() / 60).max(1));
        for cut in cuts.chain([file.len() - 2, file.len() - 1]) {
            match process(&file[..cut], &limits) {
                Err(MediaError::Unsupported | MediaError::Corrupt(_)) => {}
                other => panic!("{name} cut at {cut} of {}: {other:?}", file.len()),
            }
        }
        // Garbage after a valid header.
        let mut garbled = file[..file.len().min(40)].to_vec();
        garbled.extend(noise(4000, 7));
        assert!(
            matches!(
                process(&garbled, &limits),
                Err(MediaError::Unsupported | MediaError::Corrupt(_))
            ),
            "{name} with garbage"
        );
    }
    for seed in 1..50 {
        assert!(matches!(
            process(&noise(2000, seed), &limits),
            Err(MediaError::Unsupported)
        ));
    }
    let mut fake_heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    fake_heic.extend(noise(500, 3));
    assert!(matches!(
        process(&fake_heic, &limits),
        Err(MediaError::Corrupt(_) | MediaError::HeicUnavailable(_))
    ));
}

/// A PNG that claims `width` × `height`: signature, IHDR, one tiny IDAT and IEND (CRCs unchecked
/// by the probe, so zeros).
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |name: &[u8; 4], data: &[u8]| {
        b.extend_from_slice(&(data.len() as u32).to_be_bytes());
        b.extend_from_slice(name);
        b.extend_from_slice(data);
        b.extend_from_slice(&[0; 4]);
    };
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    b
}

#[test]
fn decompression_bombs_are_refused_by_the_probe_quickly() {
    let bomb = png_header_only(30_000, 30_000);
    let limits = Limits::default();
    let started = Instant::now();
    let rounds = 1000;
    for _ in 0..rounds {
        match probe(&bomb, &limits) {
            Err(MediaError::TooLarge { width, height, .. }) => {
                assert_eq!((width, height), (30_000, 30_000));
            }
            other => panic!("bomb accepted: {other:?}"),
        }
    }
    let each = started.elapsed() / rounds;
    assert!(each < Duration::from_micros(100), "probe took {each:?}");
    assert!(matches!(
        process(&bomb, &limits),
        Err(MediaError::TooLarge { .. })
    ));

    // Under the pixel limit but over the side limit, and the limits are the caller's.
    let long = png_header_only(25_000, 100);
    assert!(matches!(
        probe(&long, &limits),
        Err(MediaError::TooLarge { .. })
    ));
    let small_limits = Limits {
        max_pixels: 10_000,
        max_side: 1_000,
    };
    let jpeg = jpeg(&quadrants(200, 100));
    assert!(matches!(
        process(&jpeg, &small_limits),
        Err(MediaError::TooLarge {
            width: 200,
            height: 100,
            ..
        })
    ));
    let ok = probe(&jpeg, &Limits::default()).expect("probe");
    assert_eq!(
        ok,
        Probe {
            kind: Kind::Jpeg,
            width: 200,
            height: 100
        }
    );
}

// ---- HEIC ----

/// True under CI, where a missing tool or library is a failure rather than a skip.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// Makes a HEIC with `heif-enc` (Debian `libheif-examples`) from a PNG of `image`.
fn heic_from(image: &RgbImage) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.png");
    let output = dir.path().join("out.heic");
    std::fs::write(&input, png(image)).expect("write PNG");
    let status = std::process::Command::new("heif-enc")
        .args(["-q", "90", "-o"])
        .arg(&output)
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => Some(std::fs::read(&output).expect("read HEIC")),
        Ok(status) => panic!("heif-enc failed: {status}"),
        Err(error) => {
            let why = format!(
                "heif-enc not runnable ({error}); install Debian's libheif-examples to test HEIC"
            );
            assert!(!in_ci(), "{why}");
            None
        }
    }
}

#[test]
fn heic_is_decoded_through_libheif() {
    if let HeifSupport::Missing { reason } = heif_support() {
        assert!(!in_ci(), "libheif is required under CI: {reason}");
        let bytes = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        match process(bytes, &Limits::default()) {
            Err(MediaError::HeicUnavailable(why)) => assert!(why.contains("libheif1"), "{why}"),
            other => panic!("expected HeicUnavailable: {other:?}"),
        }
        return;
    }
    let Some(bytes) = heic_from(&quadrants(320, 240)) else {
        return;
    };
    assert_eq!(sniff(&bytes), Some(Kind::Heic));
    let probed = probe(&bytes, &Limits::default()).expect("probe");
    assert_eq!((probed.width, probed.height), (320, 240));
    let processed = process_ok(&bytes);
    assert_eq!(processed.kind, Kind::Heic);
    assert_eq!(sizes(&processed), [(320, 240), (320, 240), (150, 113)]);
    for rendition in &processed.renditions {
        assert_upright(&decode_webp(&rendition.webp), "HEIC");
        assert_eq!(riff_chunks(&rendition.webp), ["VP8 "]);
    }
    let small = Limits {
        max_pixels: 1000,
        max_side: 100,
    };
    assert!(matches!(
        probe(&bytes, &small),
        Err(MediaError::TooLarge {
            width: 320,
            height: 240,
            ..
        })
    ));
}

/// A real camera HEIC, when one is given (`MOMENTIQUE_TEST_HEIC_SAMPLE=path`).
#[test]
fn a_real_heic_sample_when_given() {
    let Some(path) = std::env::var_os("MOMENTIQUE_TEST_HEIC_SAMPLE") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read the HEIC sample");
    let processed = process_ok(&bytes);
    assert_eq!(processed.kind, Kind::Heic);
    assert_eq!(
        processed.renditions[0]
            .width
            .max(processed.renditions[0].height),
        1920
    );
    for rendition in &processed.renditions {
        assert_eq!(riff_chunks(&rendition.webp), ["VP8 "]);
    }
}

// ---- Whole files: the structure check uploads go through ----

/// The real photos beside the repository (`shared/testdata/photos`; CI clones it there too).
const TESTDATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/photos"
);

fn real_heic() -> Vec<u8> {
    let path = format!("{TESTDATA}/real_iphone13pro_pug_12mp.heic");
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (shared/testdata must be beside the repository)"))
}

fn inspect(bytes: &[u8]) -> Result<Probe, MediaError> {
    inspect_file(std::io::Cursor::new(bytes), &Limits::default())
        .expect("reading memory cannot fail")
}

/// One ISO BMFF box: size, type, payload (`large`: the size in a 64-bit largesize).
fn bmff_box(kind: &[u8; 4], payload: &[u8], large: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if large {
        out.extend(1u32.to_be_bytes());
        out.extend(kind);
        out.extend((payload.len() as u64 + 16).to_be_bytes());
    } else {
        out.extend((payload.len() as u32 + 8).to_be_bytes());
        out.extend(kind);
    }
    out.extend(payload);
    out
}

fn complete_heif(bytes: &[u8]) -> bool {
    is_complete(Kind::Heic, bytes, bytes.len() as u64).expect("reading memory cannot fail")
}

#[test]
fn a_real_iphone_heic_is_whole_and_a_cut_copy_is_not() {
    let bytes = real_heic();
    // Its layout: ftyp (36 bytes), meta (3,898), then mdat with a 64-bit largesize to the end.
    assert_eq!(&bytes[4..8], b"ftyp");
    assert_eq!(&bytes[40..44], b"meta");
    assert_eq!(
        (&bytes[3938..3942], &bytes[3934..3938]),
        (&b"mdat"[..], &1u32.to_be_bytes()[..])
    );
    assert!(complete_heif(&bytes));

    // Cut inside the image data, inside mdat's header, inside meta, inside ftyp: not whole.
    let cuts = [
        bytes.len() - 1,
        bytes.len() - 100_000,
        1 << 20,
        3934 + 12,
        3934 + 4,
        2000,
        20,
    ];
    for cut in cuts {
        assert!(!complete_heif(&bytes[..cut]), "cut at {cut}");
    }

    if let HeifSupport::Missing { reason } = heif_support() {
        assert!(!in_ci(), "libheif is required under CI: {reason}");
        assert!(matches!(
            inspect(&bytes),
            Err(MediaError::HeicUnavailable(_))
        ));
        return;
    }
    // What uploads refused: the first megabyte alone is not enough for libheif (the items'
    // data runs past it), so the container must be read from the whole file.
    assert!(matches!(
        probe(&bytes[..1 << 20], &Limits::default()),
        Err(MediaError::Corrupt(_))
    ));
    let probed = inspect(&bytes).expect("the real iPhone photo passes");
    assert_eq!(
        (probed.kind, probed.width, probed.height),
        (Kind::Heic, 4032, 3024)
    );
    for cut in cuts {
        let refused = inspect(&bytes[..cut]);
        assert!(
            matches!(refused, Err(MediaError::Corrupt(_))),
            "cut at {cut}: {refused:?}"
        );
    }
    // Cut exactly after meta, the boxes tile what is left; the items' data is missing.
    assert!(complete_heif(&bytes[..3934]));
    assert!(matches!(
        inspect(&bytes[..3934]),
        Err(MediaError::Corrupt(_))
    ));
    // The pixel limits apply before anything is decoded.
    let small = Limits {
        max_pixels: 1_000_000,
        max_side: 20_000,
    };
    assert!(matches!(
        inspect_file(std::io::Cursor::new(&bytes), &small).expect("memory"),
        Err(MediaError::TooLarge {
            width: 4032,
            height: 3024,
            ..
        })
    ));
}

#[test]
fn heif_boxes_follow_the_iso_bmff_size_rules() {
    let ftyp = bmff_box(b"ftyp", b"heic\0\0\0\0mif1heic", false);
    let meta = bmff_box(b"meta", &[0u8; 40], false);
    let pixels = vec![7u8; 300];
    let file = |boxes: &[Vec<u8>]| boxes.concat();

    assert!(complete_heif(&file(&[
        ftyp.clone(),
        meta.clone(),
        bmff_box(b"mdat", &pixels, false)
    ])));
    // mdat first, meta last (other encoders' order), and a 64-bit largesize.
    assert!(complete_heif(&file(&[
        ftyp.clone(),
        bmff_box(b"mdat", &pixels, true),
        meta.clone()
    ])));
    // Size 0: the last box runs to the end of the file.
    let mut to_end = file(&[ftyp.clone(), meta.clone()]);
    to_end.extend(0u32.to_be_bytes());
    to_end.extend(b"mdat");
    to_end.extend(&pixels);
    assert!(complete_heif(&to_end));

    // No meta: nothing says what the image is.
    assert!(!complete_heif(&file(&[
        ftyp.clone(),
        bmff_box(b"mdat", &pixels, false)
    ])));
    // A box longer than the file, a size smaller than its own header, a largesize that would
    // overflow, trailing bytes that are no box: refused, never a panic.
    let whole = file(&[ftyp.clone(), meta.clone(), bmff_box(b"mdat", &pixels, true)]);
    assert!(!complete_heif(&whole[..whole.len() - 1]));
    let mut tiny = file(&[ftyp.clone(), meta.clone()]);
    tiny.extend(4u32.to_be_bytes());
    tiny.extend(b"free");
    assert!(!complete_heif(&tiny));
    let mut huge = file(&[ftyp.clone(), meta.clone()]);
    huge.extend(1u32.to_be_bytes());
    huge.extend(b"mdat");
    huge.extend(u64::MAX.to_be_bytes());
    huge.extend(&pixels);
    assert!(!complete_heif(&huge));
    let mut trailing = file(&[ftyp, meta]);
    trailing.extend(b"abc");
    assert!(!complete_heif(&trailing));
}

#[test]
fn every_testdata_photo_passes_the_upload_check() {
    let mut seen = 0;
    for entry in std::fs::read_dir(TESTDATA).expect("shared/testdata/photos beside the repository")
    {
        let path = entry.expect("entry").path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        if !matches!(ext, "jpg" | "heic") {
            continue;
        }
        if ext == "heic" && matches!(heif_support(), HeifSupport::Missing { .. }) {
            assert!(!in_ci(), "libheif is required under CI");
            continue;
        }
        let file = std::fs::File::open(&path).expect("open");
        let probed = inspect_file(file, &Limits::default())
            .expect("read")
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            probed.width >= 3000 && probed.height >= 3000,
            "{}: {probed:?}",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 5, "only {seen} photos in {TESTDATA}");
}

// ---- The system libjpeg ----

/// A picture with detail (gradients and a fine pattern), so that decoders can be compared.
#[cfg(system_libjpeg)]
fn detailed(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let fine = if (x / 3 + y / 3) % 2 == 0 { 40 } else { 0 };
        Rgb([
            (x * 255 / width) as u8,
            (y * 255 / height) as u8,
            (128 + fine) as u8,
        ])
    })
}

#[cfg(system_libjpeg)]
#[test]
fn libjpeg_decodes_like_jpeg_decoder_at_every_scale() {
    let bytes = jpeg(&detailed(800, 600));
    for (denom, size) in [(1u32, (800u32, 600u32)), (2, (400, 300)), (4, (200, 150))] {
        let libjpeg::Outcome::Decoded(ours) = libjpeg::decode(&bytes, denom) else {
            panic!("libjpeg failed at 1/{denom}");
        };
        assert_eq!((ours.width, ours.height), size, "1/{denom}");
        let mut other = jpeg_decoder::Decoder::new(&bytes[..]);
        other.read_info().expect("header");
        other.scale(size.0 as u16, size.1 as u16).expect("scale");
        let theirs = other.decode().expect("jpeg-decoder");
        assert_eq!(ours.data.len(), theirs.len(), "1/{denom}");
        let diff: u64 = ours
            .data
            .iter()
            .zip(&theirs)
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = diff as f64 / theirs.len() as f64;
        assert!(mean < 2.0, "1/{denom}: mean difference {mean}");
    }
}

#[cfg(system_libjpeg)]
#[test]
fn libjpeg_refuses_a_cut_header_and_survives_noise() {
    let bytes = jpeg(&detailed(64, 48));
    // A header cut short is an error; scan data replaced by noise may decode to garbage or fail
    // (libjpeg's error exit must come back as an error, never abort or unwind).
    let mut broken = bytes;
    let half = broken.len() / 2;
    let tail = noise(broken.len() - half, 7);
    broken[half..].copy_from_slice(&tail);
    assert!(!matches!(
        libjpeg::decode(&broken[..10], 1),
        libjpeg::Outcome::Decoded(_)
    ));
    let _ = libjpeg::decode(&broken, 1);
    let _ = process(&broken, &Limits::default());
}
