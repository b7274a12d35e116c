//! Giving freed heap memory back to the system. glibc's allocator keeps what a burst of
//! uploads freed (decode buffers of tens of MB, request buffers) mapped in its arenas; the
//! process's memory would then stay at the burst's peak for as long as it runs.
//! [`return_freed`] asks it to hand back every whole free page (`malloc_trim(0)`).
#![expect(unsafe_code, reason = "malloc_trim is glibc's C function")]

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    fn malloc_trim(pad: usize) -> std::ffi::c_int;
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
        // 64 MB in small blocks, freed: glibc keeps them until asked.
        let blocks: Vec<Vec<u8>> = (0..16_384).map(|i| vec![i as u8; 4096]).collect();
        drop(blocks);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        assert!(super::return_freed(), "glibc had free pages to return");
    }
}
