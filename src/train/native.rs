//! Running the async training code natively: a blocking executor and a driver with a stop flag.

use super::{Driver, Flow};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use pollster::block_on;

/// Keeps large freed buffers in the process instead of returning them to the OS.
///
/// burn allocates fresh tensors every step (weights, gradients: 6 MB each for the DogSet MLP).
/// glibc serves allocations above 128 KiB with `mmap` and unmaps them on free, so every step
/// page-faults its buffers in again: measured, that made W1 2.5x and W2 2.9x slower (the same
/// binary with these thresholds raised through `GLIBC_TUNABLES`).
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator thresholds; it is called before any threads start.
    unsafe {
        // 32 MiB is the largest mmap threshold glibc accepts on 64-bit targets.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// Drives a run in a native thread: never pauses, stops when `stop` is set (Ctrl-C in the CLI,
/// or after `stop_after` batches in tests).
#[derive(Clone, Debug)]
pub struct NativeDriver {
    start: Instant,
    pub stop: Arc<AtomicBool>,
    pub stop_after: Option<usize>,
    batches: usize,
}

impl NativeDriver {
    /// A driver that stops before batch `n + 1` (for tests of cancellation).
    pub fn stopping_after(n: usize) -> Self {
        Self { stop_after: Some(n), ..Self::default() }
    }
}

impl Default for NativeDriver {
    fn default() -> Self {
        Self { start: Instant::now(), stop: Arc::default(), stop_after: None, batches: 0 }
    }
}

impl Driver for NativeDriver {
    async fn checkpoint(&mut self) -> Flow {
        self.batches += 1;
        let over = self.stop_after.is_some_and(|n| self.batches > n);
        if over || self.stop.load(Ordering::Relaxed) { Flow::Stop } else { Flow::Continue }
    }

    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}
