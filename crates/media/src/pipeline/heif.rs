//! HEIC/HEIF (iPhone photos) through the system libheif, loaded at run time.
//!
//! Building needs no libheif headers and no cmake: the few C functions used are declared here and
//! looked up with `libloading` in `libheif.so.1` (Debian/Ubuntu package `libheif1`, which brings
//! the libde265 HEVC decoder). Without the library every HEIC upload fails with
//! [`MediaError::HeicUnavailable`] saying how to install it; other formats are unaffected.
//!
//! libheif applies the container's rotation and mirroring (irot/imir) while decoding, so the
//! pipeline must not apply the EXIF orientation again.
#![expect(unsafe_code, reason = "libheif is a C library loaded at run time")]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::io::{Read, Seek, SeekFrom};
use std::ptr;
use std::sync::OnceLock;

use libloading::Library;

use super::types::{Decoded, Limits, MediaError, Pixels, check_limits};

/// Whether HEIC photos can be decoded on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeifSupport {
    /// libheif was loaded; `version` is what `heif_get_version` reports (e.g. "1.15.1").
    Available { version: String },
    /// libheif could not be loaded: why, and how to install it.
    Missing { reason: String },
}

/// The library names tried, in order.
const LIBRARY_NAMES: [&str; 2] = ["libheif.so.1", "libheif.so"];

/// Probes for libheif once per process (the first call loads it).
pub fn heif_support() -> &'static HeifSupport {
    static SUPPORT: OnceLock<HeifSupport> = OnceLock::new();
    SUPPORT.get_or_init(|| match api() {
        Ok(api) => HeifSupport::Available {
            version: api.version(),
        },
        Err(reason) => HeifSupport::Missing {
            reason: reason.to_owned(),
        },
    })
}

fn api() -> Result<&'static Api, &'static str> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(|| Api::load(&LIBRARY_NAMES))
        .as_ref()
        .map_err(String::as_str)
}

fn unavailable() -> MediaError {
    match heif_support() {
        HeifSupport::Missing { reason } => MediaError::HeicUnavailable(reason.clone()),
        HeifSupport::Available { .. } => MediaError::HeicUnavailable("libheif not loaded".into()),
    }
}

/// Upright size of the primary image, from the container alone (no pixel is decoded).
pub(crate) fn probe(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let api = api().map_err(|_| unavailable())?;
    let context = Context::read(api, bytes)?;
    let handle = context.primary_image()?;
    Ok(handle.size())
}

/// [`probe`] of a whole file read through `source` (`len` bytes long), without holding it in
/// memory: libheif reads the boxes it needs (ftyp, meta) and skips over the image data, wherever
/// the boxes lie. It also checks that every item's data (iloc extents) lies inside the file, so
/// a file cut short fails here. The outer error is a failure to read `source` itself.
pub(crate) fn probe_reader<R: Read + Seek>(
    source: R,
    len: u64,
) -> std::io::Result<Result<(u32, u32), MediaError>> {
    let Ok(api) = api() else {
        return Ok(Err(unavailable()));
    };
    let mut reader = Box::new(Reader {
        table: HeifReaderTable {
            reader_api_version: 1,
            get_position: Reader::<R>::get_position,
            read: Reader::<R>::read,
            seek: Reader::<R>::seek,
            wait_for_file_size: Reader::<R>::wait_for_file_size,
        },
        source,
        position: 0,
        len,
        error: None,
    });
    let result = Context::read_from_reader(api, &mut reader)
        .and_then(|context| context.primary_image().map(|handle| handle.size()));
    match reader.error.take() {
        Some(error) => Err(error),
        None => Ok(result),
    }
}

/// A decoded HEIC: upright RGB(A) pixels, the colour profile and the EXIF block.
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let api = api().map_err(|_| unavailable())?;
    let context = Context::read(api, bytes)?;
    let handle = context.primary_image()?;
    let (width, height) = handle.size();
    check_limits(width, height, limits)?;
    let icc = handle.icc_profile();
    let exif = handle.exif();
    let pixels = handle.decode()?;
    Ok(Decoded {
        full_width: pixels.width,
        full_height: pixels.height,
        pixels,
        icc,
        exif,
    })
}

// ---- The C API (libheif ≥ 1.13; Debian 12 ships 1.15) ----

#[repr(C)]
#[derive(Clone, Copy)]
struct HeifError {
    code: c_int,
    subcode: c_int,
    message: *const c_char,
}

/// The leading fields of `struct heif_color_profile_nclx` (libheif allocates and frees it).
#[repr(C)]
struct HeifNclx {
    _version: u8,
    color_primaries: c_int,
    _transfer_characteristics: c_int,
    _matrix_coefficients: c_int,
    _full_range_flag: u8,
}

enum HeifContext {}
enum HeifHandle {}
enum HeifImage {}

const COLORSPACE_RGB: c_int = 1;
const CHROMA_INTERLEAVED_RGB: c_int = 10;
const CHROMA_INTERLEAVED_RGBA: c_int = 11;
const CHANNEL_INTERLEAVED: c_int = 10;
const fn fourcc(code: &[u8; 4]) -> c_int {
    i32::from_be_bytes(*code)
}
const PROFILE_NCLX: c_int = fourcc(b"nclx");
const PROFILE_RICC: c_int = fourcc(b"rICC");
const PROFILE_PROF: c_int = fourcc(b"prof");
/// `heif_color_primaries_SMPTE_EG_432_1`: Display P3 primaries.
const PRIMARIES_DISPLAY_P3: c_int = 12;

/// `struct heif_reader` (API version 1): libheif pulls the file through these callbacks.
#[repr(C)]
struct HeifReaderTable {
    reader_api_version: c_int,
    get_position: unsafe extern "C" fn(*mut c_void) -> i64,
    read: unsafe extern "C" fn(*mut c_void, usize, *mut c_void) -> c_int,
    seek: unsafe extern "C" fn(i64, *mut c_void) -> c_int,
    wait_for_file_size: unsafe extern "C" fn(i64, *mut c_void) -> c_int,
}

/// `heif_reader_grow_status`: the file is at least this long, or never will be.
const GROW_SIZE_REACHED: c_int = 0;
const GROW_SIZE_BEYOND_EOF: c_int = 2;

/// The userdata behind a [`HeifReaderTable`]: a seekable source of known length. The first I/O
/// error is kept (libheif only hears "failed") so the caller can tell it from a bad file.
struct Reader<R> {
    table: HeifReaderTable,
    source: R,
    position: u64,
    len: u64,
    error: Option<std::io::Error>,
}

impl<R: Read + Seek> Reader<R> {
    /// # Safety
    /// `userdata` is the `Reader<R>` registered with the context, alive and not otherwise
    /// borrowed while libheif runs.
    unsafe fn this<'a>(userdata: *mut c_void) -> &'a mut Self {
        // SAFETY: as documented above.
        unsafe { &mut *userdata.cast::<Self>() }
    }

    unsafe extern "C" fn get_position(userdata: *mut c_void) -> i64 {
        // SAFETY: called by libheif with the userdata given to heif_context_read_from_reader.
        let this = unsafe { Self::this(userdata) };
        i64::try_from(this.position).unwrap_or(i64::MAX)
    }

    unsafe extern "C" fn read(data: *mut c_void, size: usize, userdata: *mut c_void) -> c_int {
        // SAFETY: as in get_position; libheif passes a buffer of `size` writable bytes.
        let (this, buffer) = unsafe {
            (
                Self::this(userdata),
                std::slice::from_raw_parts_mut(data.cast::<u8>(), size),
            )
        };
        match this.source.read_exact(buffer) {
            Ok(()) => {
                this.position += size as u64;
                0
            }
            Err(error) => {
                if error.kind() != std::io::ErrorKind::UnexpectedEof {
                    this.error.get_or_insert(error);
                }
                1
            }
        }
    }

    unsafe extern "C" fn seek(position: i64, userdata: *mut c_void) -> c_int {
        // SAFETY: as in get_position.
        let this = unsafe { Self::this(userdata) };
        let Ok(position) = u64::try_from(position) else {
            return 1;
        };
        match this.source.seek(SeekFrom::Start(position)) {
            Ok(_) => {
                this.position = position;
                0
            }
            Err(error) => {
                this.error.get_or_insert(error);
                1
            }
        }
    }

    unsafe extern "C" fn wait_for_file_size(target: i64, userdata: *mut c_void) -> c_int {
        // SAFETY: as in get_position.
        let this = unsafe { Self::this(userdata) };
        match u64::try_from(target) {
            Ok(target) if target <= this.len => GROW_SIZE_REACHED,
            _ => GROW_SIZE_BEYOND_EOF,
        }
    }
}

/// The functions used, resolved once; `_library` keeps them valid.
struct Api {
    get_version: unsafe extern "C" fn() -> *const c_char,
    context_alloc: unsafe extern "C" fn() -> *mut HeifContext,
    context_free: unsafe extern "C" fn(*mut HeifContext),
    read_from_memory_without_copy:
        unsafe extern "C" fn(*mut HeifContext, *const c_void, usize, *const c_void) -> HeifError,
    read_from_reader: unsafe extern "C" fn(
        *mut HeifContext,
        *const HeifReaderTable,
        *mut c_void,
        *const c_void,
    ) -> HeifError,
    get_primary_image_handle:
        unsafe extern "C" fn(*mut HeifContext, *mut *mut HeifHandle) -> HeifError,
    handle_release: unsafe extern "C" fn(*const HeifHandle),
    handle_get_width: unsafe extern "C" fn(*const HeifHandle) -> c_int,
    handle_get_height: unsafe extern "C" fn(*const HeifHandle) -> c_int,
    handle_has_alpha_channel: unsafe extern "C" fn(*const HeifHandle) -> c_int,
    decode_image: unsafe extern "C" fn(
        *const HeifHandle,
        *mut *mut HeifImage,
        c_int,
        c_int,
        *const c_void,
    ) -> HeifError,
    image_get_width: unsafe extern "C" fn(*const HeifImage, c_int) -> c_int,
    image_get_height: unsafe extern "C" fn(*const HeifImage, c_int) -> c_int,
    image_get_plane_readonly:
        unsafe extern "C" fn(*const HeifImage, c_int, *mut c_int) -> *const u8,
    image_release: unsafe extern "C" fn(*const HeifImage),
    get_color_profile_type: unsafe extern "C" fn(*const HeifHandle) -> c_int,
    get_raw_color_profile_size: unsafe extern "C" fn(*const HeifHandle) -> usize,
    get_raw_color_profile: unsafe extern "C" fn(*const HeifHandle, *mut c_void) -> HeifError,
    get_nclx_color_profile:
        unsafe extern "C" fn(*const HeifHandle, *mut *mut HeifNclx) -> HeifError,
    nclx_color_profile_free: unsafe extern "C" fn(*mut HeifNclx),
    get_number_of_metadata_blocks: unsafe extern "C" fn(*const HeifHandle, *const c_char) -> c_int,
    get_list_of_metadata_block_ids:
        unsafe extern "C" fn(*const HeifHandle, *const c_char, *mut u32, c_int) -> c_int,
    get_metadata_size: unsafe extern "C" fn(*const HeifHandle, u32) -> usize,
    get_metadata: unsafe extern "C" fn(*const HeifHandle, u32, *mut c_void) -> HeifError,
    _library: Library,
}

impl Api {
    /// Loads the first library of `names` that opens and resolves every function.
    fn load(names: &[&str]) -> Result<Api, String> {
        let mut failures = Vec::new();
        for name in names {
            match Self::load_one(name) {
                Ok(api) => return Ok(api),
                Err(error) => failures.push(format!("{name}: {error}")),
            }
        }
        Err(format!(
            "the libheif library could not be loaded ({}); install the libheif1 package \
             (Debian/Ubuntu: apt install libheif1) and restart the server",
            failures.join("; ")
        ))
    }

    fn load_one(name: &str) -> Result<Api, libloading::Error> {
        // SAFETY: libheif's initialisers only set up its own plugin registry. Each symbol is
        // declared with the signature of libheif 1.13–1.20's heif.h, and the function pointers
        // never outlive `_library`, which the returned `Api` owns.
        unsafe {
            let library = Library::new(name)?;
            let init =
                library.get::<unsafe extern "C" fn(*mut c_void) -> HeifError>(b"heif_init\0");
            if let Ok(init) = init {
                // Required since 1.13 to register the decoders; failure shows at decode time.
                let _ = init(ptr::null_mut());
            }
            macro_rules! symbol {
                ($name:literal) => {
                    *library.get(concat!($name, "\0").as_bytes())?
                };
            }
            Ok(Api {
                get_version: symbol!("heif_get_version"),
                context_alloc: symbol!("heif_context_alloc"),
                context_free: symbol!("heif_context_free"),
                read_from_memory_without_copy: symbol!(
                    "heif_context_read_from_memory_without_copy"
                ),
                read_from_reader: symbol!("heif_context_read_from_reader"),
                get_primary_image_handle: symbol!("heif_context_get_primary_image_handle"),
                handle_release: symbol!("heif_image_handle_release"),
                handle_get_width: symbol!("heif_image_handle_get_width"),
                handle_get_height: symbol!("heif_image_handle_get_height"),
                handle_has_alpha_channel: symbol!("heif_image_handle_has_alpha_channel"),
                decode_image: symbol!("heif_decode_image"),
                image_get_width: symbol!("heif_image_get_width"),
                image_get_height: symbol!("heif_image_get_height"),
                image_get_plane_readonly: symbol!("heif_image_get_plane_readonly"),
                image_release: symbol!("heif_image_release"),
                get_color_profile_type: symbol!("heif_image_handle_get_color_profile_type"),
                get_raw_color_profile_size: symbol!("heif_image_handle_get_raw_color_profile_size"),
                get_raw_color_profile: symbol!("heif_image_handle_get_raw_color_profile"),
                get_nclx_color_profile: symbol!("heif_image_handle_get_nclx_color_profile"),
                nclx_color_profile_free: symbol!("heif_nclx_color_profile_free"),
                get_number_of_metadata_blocks: symbol!(
                    "heif_image_handle_get_number_of_metadata_blocks"
                ),
                get_list_of_metadata_block_ids: symbol!(
                    "heif_image_handle_get_list_of_metadata_block_IDs"
                ),
                get_metadata_size: symbol!("heif_image_handle_get_metadata_size"),
                get_metadata: symbol!("heif_image_handle_get_metadata"),
                _library: library,
            })
        }
    }

    fn version(&self) -> String {
        // SAFETY: heif_get_version returns a static NUL-terminated string.
        unsafe {
            let version = (self.get_version)();
            if version.is_null() {
                return "unknown".into();
            }
            CStr::from_ptr(version).to_string_lossy().into_owned()
        }
    }
}

/// Ok, or the error's message (copied: it may live in the context).
fn check(error: HeifError) -> Result<(), MediaError> {
    if error.code == 0 {
        return Ok(());
    }
    let message = if error.message.is_null() {
        format!("libheif error {}", error.code)
    } else {
        // SAFETY: a non-null message is a NUL-terminated string valid until the next call on
        // the same context; it is copied right away.
        unsafe { CStr::from_ptr(error.message) }
            .to_string_lossy()
            .into_owned()
    };
    Err(MediaError::Corrupt(format!("HEIC: {message}")))
}

/// An owned `heif_context` reading from borrowed bytes or a borrowed [`Reader`].
struct Context<'a> {
    api: &'static Api,
    raw: *mut HeifContext,
    _bytes: std::marker::PhantomData<&'a [u8]>,
}

impl<'a> Context<'a> {
    fn alloc(api: &'static Api) -> Result<Self, MediaError> {
        // SAFETY: the context is freed in Drop.
        let raw = unsafe { (api.context_alloc)() };
        if raw.is_null() {
            return Err(MediaError::Corrupt("HEIC: out of memory".into()));
        }
        Ok(Context {
            api,
            raw,
            _bytes: std::marker::PhantomData,
        })
    }

    fn read(api: &'static Api, bytes: &'a [u8]) -> Result<Self, MediaError> {
        let context = Self::alloc(api)?;
        // SAFETY: the context reads `bytes` without copying, and the lifetime 'a keeps them
        // alive as long as the context and its handles.
        check(unsafe {
            (api.read_from_memory_without_copy)(
                context.raw,
                bytes.as_ptr().cast(),
                bytes.len(),
                ptr::null(),
            )
        })?;
        Ok(context)
    }

    fn read_from_reader<R: Read + Seek>(
        api: &'static Api,
        reader: &'a mut Reader<R>,
    ) -> Result<Self, MediaError> {
        let context = Self::alloc(api)?;
        let userdata: *mut Reader<R> = reader;
        // SAFETY: libheif keeps both pointers and calls back through them while the context
        // lives; the exclusive borrow 'a keeps the reader alive and untouched for that long.
        // The table is the reader's first field, and the callbacks are `Reader<R>`'s own.
        check(unsafe {
            (api.read_from_reader)(
                context.raw,
                ptr::addr_of!((*userdata).table),
                userdata.cast(),
                ptr::null(),
            )
        })?;
        Ok(context)
    }

    fn primary_image(&self) -> Result<Handle<'_>, MediaError> {
        let mut raw = ptr::null_mut();
        // SAFETY: the context is valid; the handle is released in Drop before the context.
        check(unsafe { (self.api.get_primary_image_handle)(self.raw, &mut raw) })?;
        if raw.is_null() {
            return Err(MediaError::Corrupt("HEIC: no primary image".into()));
        }
        Ok(Handle {
            api: self.api,
            raw,
            _context: std::marker::PhantomData,
        })
    }
}

impl Drop for Context<'_> {
    fn drop(&mut self) {
        // SAFETY: allocated by heif_context_alloc, freed once.
        unsafe { (self.api.context_free)(self.raw) }
    }
}

/// The primary image of a context.
struct Handle<'c> {
    api: &'static Api,
    raw: *mut HeifHandle,
    _context: std::marker::PhantomData<&'c ()>,
}

impl Handle<'_> {
    fn size(&self) -> (u32, u32) {
        // SAFETY: valid handle.
        let (w, h) = unsafe {
            (
                (self.api.handle_get_width)(self.raw),
                (self.api.handle_get_height)(self.raw),
            )
        };
        (u32::try_from(w).unwrap_or(0), u32::try_from(h).unwrap_or(0))
    }

    /// The ICC profile, or one made for Display P3 when the image signals it by CICP (nclx).
    fn icc_profile(&self) -> Option<Vec<u8>> {
        // SAFETY: valid handle; the buffer has the size libheif reported; the nclx struct is
        // freed with libheif's own function.
        unsafe {
            match (self.api.get_color_profile_type)(self.raw) {
                PROFILE_PROF | PROFILE_RICC => {
                    let size = (self.api.get_raw_color_profile_size)(self.raw);
                    if size == 0 {
                        return None;
                    }
                    let mut icc = vec![0u8; size];
                    check((self.api.get_raw_color_profile)(
                        self.raw,
                        icc.as_mut_ptr().cast(),
                    ))
                    .ok()?;
                    Some(icc)
                }
                PROFILE_NCLX => {
                    let mut nclx = ptr::null_mut();
                    check((self.api.get_nclx_color_profile)(self.raw, &mut nclx)).ok()?;
                    if nclx.is_null() {
                        return None;
                    }
                    let primaries = (*nclx).color_primaries;
                    (self.api.nclx_color_profile_free)(nclx);
                    (primaries == PRIMARIES_DISPLAY_P3)
                        .then(|| moxcms::ColorProfile::new_display_p3().encode().ok())
                        .flatten()
                }
                _ => None,
            }
        }
    }

    /// The first EXIF block, as a TIFF structure (libheif prefixes it with a 4-byte offset).
    fn exif(&self) -> Option<Vec<u8>> {
        let filter = c"Exif";
        // SAFETY: valid handle; the id buffer and the data buffer have the sizes libheif reported.
        unsafe {
            if (self.api.get_number_of_metadata_blocks)(self.raw, filter.as_ptr()) < 1 {
                return None;
            }
            let mut id = 0u32;
            if (self.api.get_list_of_metadata_block_ids)(self.raw, filter.as_ptr(), &mut id, 1) < 1
            {
                return None;
            }
            let size = (self.api.get_metadata_size)(self.raw, id);
            if size < 4 {
                return None;
            }
            let mut data = vec![0u8; size];
            check((self.api.get_metadata)(
                self.raw,
                id,
                data.as_mut_ptr().cast(),
            ))
            .ok()?;
            let offset = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
            data.get(4 + offset..).map(<[u8]>::to_vec)
        }
    }

    /// Decodes to interleaved 8-bit RGB(A), with irot/imir applied.
    fn decode(&self) -> Result<Pixels, MediaError> {
        // SAFETY: valid handle; the decoded image is released in Drop; the plane pointer is read
        // only within `stride * height` bytes while the image is alive.
        unsafe {
            let has_alpha = (self.api.handle_has_alpha_channel)(self.raw) != 0;
            let chroma = if has_alpha {
                CHROMA_INTERLEAVED_RGBA
            } else {
                CHROMA_INTERLEAVED_RGB
            };
            let mut raw = ptr::null_mut();
            check((self.api.decode_image)(
                self.raw,
                &mut raw,
                COLORSPACE_RGB,
                chroma,
                ptr::null(),
            ))?;
            if raw.is_null() {
                return Err(MediaError::Corrupt("HEIC: decoding gave no image".into()));
            }
            let image = Image { api: self.api, raw };
            let width = (self.api.image_get_width)(raw, CHANNEL_INTERLEAVED);
            let height = (self.api.image_get_height)(raw, CHANNEL_INTERLEAVED);
            let mut stride: c_int = 0;
            let plane = (self.api.image_get_plane_readonly)(raw, CHANNEL_INTERLEAVED, &mut stride);
            let (Ok(width), Ok(height), Ok(stride)) = (
                usize::try_from(width),
                usize::try_from(height),
                usize::try_from(stride),
            ) else {
                return Err(MediaError::Corrupt("HEIC: invalid decoded size".into()));
            };
            let channels = if has_alpha { 4 } else { 3 };
            let row = width * channels;
            if plane.is_null() || width == 0 || height == 0 || stride < row {
                return Err(MediaError::Corrupt("HEIC: invalid decoded image".into()));
            }
            let mut data = Vec::with_capacity(row * height);
            for y in 0..height {
                data.extend_from_slice(std::slice::from_raw_parts(plane.add(y * stride), row));
            }
            drop(image);
            Ok(Pixels {
                width: width as u32,
                height: height as u32,
                has_alpha,
                data,
            })
        }
    }
}

impl Drop for Handle<'_> {
    fn drop(&mut self) {
        // SAFETY: obtained from the context, released once.
        unsafe { (self.api.handle_release)(self.raw) }
    }
}

struct Image {
    api: &'static Api,
    raw: *mut HeifImage,
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: obtained from heif_decode_image, released once.
        unsafe { (self.api.image_release)(self.raw) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_says_how_to_install_it() {
        let Err(reason) = Api::load(&["libheif-that-does-not-exist.so.9"]) else {
            panic!("a library that does not exist was loaded");
        };
        assert!(reason.contains("apt install libheif1"), "{reason}");
        assert!(
            reason.contains("libheif-that-does-not-exist.so.9"),
            "{reason}"
        );
    }
}
