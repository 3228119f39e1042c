//! Waiting in the worker without blocking its event loop (a turn between batches, so Pause
//! and Stop messages arrive, is `web::js::yield_now`, shared with the page).

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}
