//! The `sim` binary's allocator settings.
//!
//! mimalloc returns freed memory to the OS ("purges" it) 10 ms after it falls idle. A KV run
//! frees and reallocates megabytes of snapshots and histories many times a second, so each
//! purge is followed by a fresh page fault, and the kernel zeroes every fresh (huge) page:
//! profiled at a quarter of the KV suite's CPU (`clear_page_erms`), all of it system time.
//! A simulation process lives for one run or one sweep and its peak is what it needs, so it
//! keeps freed memory for reuse instead.

use std::os::raw::c_long;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (the same index in its v2 and v3
/// headers); libmimalloc-sys does not name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The purge delay that means "never purge".
const NEVER: c_long = -1;

/// Keep freed memory in the process for reuse: call first thing in `main`. The option is
/// read whenever mimalloc schedules a purge, so it takes effect even after the runtime's
/// first allocations.
pub fn keep_freed_memory() {
    // SAFETY: mi_option_set only stores an integer in mimalloc's option table.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, NEVER) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_is_the_option_set() {
        keep_freed_memory();
        // SAFETY: reads an integer from mimalloc's option table.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, NEVER);
    }
}
