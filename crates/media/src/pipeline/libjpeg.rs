//! JPEG decoding with the system's libjpeg (libjpeg-turbo, with SIMD),
//! through the C shim in `csrc/jpeg.c`, compiled by `build.rs` when the header is present.
#![expect(unsafe_code, reason = "libjpeg is a C library")]

use std::ffi::{c_char, c_int, c_uchar, c_uint, c_ulong};

use super::Pixels;

unsafe extern "C" {
    fn momentique_jpeg_decode(
        data: *const c_uchar,
        len: c_ulong,
        denom: c_int,
        out: *mut *mut c_uchar,
        width: *mut c_uint,
        height: *mut c_uint,
        message: *mut c_char,
        message_len: usize,
    ) -> c_int;
    fn momentique_jpeg_free(pixels: *mut c_uchar);
}

/// What libjpeg made of a file.
#[derive(Debug)]
pub(crate) enum Outcome {
    Decoded(Pixels),
    /// A colour space left to the other decoder (CMYK, YCCK).
    Unsupported,
    /// libjpeg's own message.
    Failed(String),
}

/// Decodes `bytes` to RGB, scaled by 1/`denom` (1, 2, 4 or 8).
pub(crate) fn decode(bytes: &[u8], denom: u32) -> Outcome {
    let (Ok(len), Ok(denom)) = (c_ulong::try_from(bytes.len()), c_int::try_from(denom)) else {
        return Outcome::Failed("file too large".into());
    };
    let mut out: *mut c_uchar = std::ptr::null_mut();
    let (mut width, mut height): (c_uint, c_uint) = (0, 0);
    let mut message = [0 as c_char; 200];
    // SAFETY: the shim reads `len` bytes of `bytes`, writes at most `message.len()` bytes of
    // message (NUL-terminated), and on success (0) leaves in `out` a malloc'd buffer of
    // width * height * 3 bytes, which is copied and then freed once with the shim's own free.
    unsafe {
        let status = momentique_jpeg_decode(
            bytes.as_ptr(),
            len,
            denom,
            &mut out,
            &mut width,
            &mut height,
            message.as_mut_ptr(),
            message.len(),
        );
        match status {
            0 if !out.is_null() => {
                let size = width as usize * height as usize * 3;
                let data = std::slice::from_raw_parts(out, size).to_vec();
                momentique_jpeg_free(out);
                Outcome::Decoded(Pixels {
                    width,
                    height,
                    has_alpha: false,
                    data,
                })
            }
            2 => Outcome::Unsupported,
            _ => Outcome::Failed(
                std::ffi::CStr::from_ptr(message.as_ptr())
                    .to_string_lossy()
                    .into_owned(),
            ),
        }
    }
}
