//! The types every step of the pipeline shares: the formats, the limits, what a probe finds,
//! why a photo is refused, and pixels. A leaf module: it imports no other step, so the steps
//! (probe, decode, the libheif binding …) depend on it and never on each other through it.

/// What [`probe`](super::probe) and [`process`](super::process) refuse to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Width × height of the original.
    pub max_pixels: u64,
    /// Longest edge of the original.
    pub max_side: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
            max_side: 20_000,
        }
    }
}

/// The formats the pipeline accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Heic,
}

impl Kind {
    /// The MIME type of the original.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Heic => "image/heic",
        }
    }

    /// The usual file extension of the original, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Heic => "heic",
        }
    }
}

/// What the header says, read without decoding any pixel ([`probe`](super::probe)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub kind: Kind,
    /// Upright size: the EXIF orientation (JPEG) or the irot transform (HEIC) is applied.
    pub width: u32,
    pub height: u32,
}

/// Why a photo was refused. Each message is short and safe to show to the uploader.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("unsupported file type: upload a JPEG, PNG, WebP or HEIC photo")]
    Unsupported,
    #[error("HEIC photos cannot be read on this server: {0}")]
    HeicUnavailable(String),
    #[error(
        "photo too large: {width}x{height} pixels (limit {} pixels, {} px per side)",
        limits.max_pixels,
        limits.max_side
    )]
    TooLarge {
        width: u32,
        height: u32,
        limits: Limits,
    },
    #[error("the photo could not be read: {0}")]
    Corrupt(String),
}

impl MediaError {
    /// A stable, machine-readable code for API clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsupported => "media_unsupported",
            Self::HeicUnavailable(_) => "media_heic_unavailable",
            Self::TooLarge { .. } => "media_too_large",
            Self::Corrupt(_) => "media_corrupt",
        }
    }
}

/// Interleaved 8-bit pixels: RGB, or RGBA when the original has an alpha channel.
#[derive(Debug, Clone)]
pub(crate) struct Pixels {
    pub width: u32,
    pub height: u32,
    pub has_alpha: bool,
    pub data: Vec<u8>,
}

impl Pixels {
    pub fn channels(&self) -> usize {
        if self.has_alpha { 4 } else { 3 }
    }
}

/// A decoded photo, still in stored orientation.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// Possibly smaller than the original (shrink-on-load), never smaller than the largest
    /// rendition needs.
    pub pixels: Pixels,
    /// Size of the original, in stored orientation.
    pub full_width: u32,
    pub full_height: u32,
    /// Embedded ICC profile, if any.
    pub icc: Option<Vec<u8>>,
    /// Raw EXIF (TIFF structure) when the decoder extracted it.
    pub exif: Option<Vec<u8>>,
}

pub(crate) fn check_limits(width: u32, height: u32, limits: &Limits) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt(
            "the header gives an empty image".into(),
        ));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || width.max(height) > limits.max_side
    {
        return Err(MediaError::TooLarge {
            width,
            height,
            limits: *limits,
        });
    }
    Ok(())
}
