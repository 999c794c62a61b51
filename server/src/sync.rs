//! Locking shared state that every update leaves consistent.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m` even when a thread panicked while holding it. Only for state that no panic can
/// leave half-updated (every change is one step), so a panic elsewhere does not make it
/// unusable for everyone else.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
