//! Giving freed heap memory back to the system. glibc's allocator keeps what a burst of
//! uploads freed (decode buffers of tens of MB, request buffers) mapped in its arenas; the
//! process's memory would then stay at the burst's peak for as long as it runs.
//! [`return_freed`] asks it to hand back every whole free page (`malloc_trim(0)`), and
//! [`limit_arenas`] keeps it from making one arena per busy thread, whose free tops it does not
//! hand back (measured with `bench uploads`, README "Capacity").
#![expect(unsafe_code, reason = "malloc_trim is glibc's C function")]

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    fn malloc_trim(pad: usize) -> std::ffi::c_int;
    fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
}

/// glibc's `M_ARENA_MAX` (malloc.h).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const M_ARENA_MAX: std::ffi::c_int = -8;

/// At most `n` allocator arenas, unless the environment already says how many
/// (`MALLOC_ARENA_MAX`, which glibc reads itself). Call it first thing, before any thread.
pub fn limit_arenas(n: u8) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt takes two integers and only sets the allocator's own parameter;
        // called before any other thread exists.
        unsafe {
            mallopt(M_ARENA_MAX, std::ffi::c_int::from(n));
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = n;
}

/// Returns the allocator's free pages to the system; true when it gave some back. Takes a
/// few milliseconds with a large heap: call it off the async threads, now and then.
pub fn return_freed() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim takes no pointer and may be called at any time from any thread;
        // it only walks the allocator's own lists under its locks.
        unsafe { malloc_trim(0) != 0 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn freed_pages_go_back() {
        // 64 MB in 8 KB blocks, every other one freed: holes that the allocator's own trimming
        // (of the heap's top) never reaches, and that it keeps until asked.
        let mut blocks: Vec<Option<Vec<u8>>> =
            (0..8_192).map(|i| Some(vec![i as u8; 8192])).collect();
        for b in blocks.iter_mut().step_by(2) {
            *b = None;
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        assert!(super::return_freed(), "glibc had free pages to return");
        drop(blocks);
    }
}
