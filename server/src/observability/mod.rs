//! PLACEHOLDER written by the lead so the lifecycle code compiles: these are the functions it
//! calls (names and signatures as agreed). The observability work replaces this whole file
//! with the real implementation (metrics + ErrorLog); keep these signatures.

use std::time::Duration;

/// `vitrine_shop_create_total{status}`.
pub fn shop_created(_status: &str) {}

/// `vitrine_launch_total{env,status}`.
pub fn launched(_env: &str, _status: &str) {}

/// `vitrine_job_queue_depth`.
pub fn set_job_queue_depth(_n: i64) {}

/// A span every event of one lifecycle job runs in.
pub fn operation_span(operation_id: &str, shop_id: Option<i64>) -> tracing::Span {
    tracing::info_span!("operation", operation_id, shop_id)
}

/// Server errors per shop (health badges).
#[derive(Default)]
pub struct ErrorLog;

impl ErrorLog {
    pub fn recent_server_errors(&self, _shop_id: i64, _window: Duration) -> u32 {
        0
    }
}
