//! Where hashing runs: a thread of its own per hash (at most `hashing_concurrency` at once,
//! which `Auth` enforces), started at a lower CPU priority by default.
//!
//! An Argon2id hash holds a core for tens of milliseconds. At normal priority a login flood
//! takes those cores from the threads that answer requests, and every signed-in request waits
//! behind it. At background priority (nice +10 on Unix) the scheduler prefers request
//! handling whenever both want a core; an idle core still hashes at full speed. Starting a
//! thread costs tens of microseconds against a hash's tens of milliseconds, and never
//! touches the application's own blocking pool or its threads' priorities.

use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// How much CPU priority password hashing gets against request handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HashingPriority {
    /// Below request handling (nice +10 on Unix; elsewhere the same as `Normal`): a login
    /// flood slows logins, not every signed-in request. The default.
    #[default]
    Background,
    /// The same priority as the threads that spawned it.
    Normal,
}

/// The nice increment of a background hashing thread.
const BACKGROUND_NICE: i32 = 10;

/// Runs `work` on a new hashing thread and waits for it without blocking the executor.
///
/// # Errors
/// [`Error::Hashing`] when no thread can be started or the work panicked.
pub(crate) async fn run<T, F>(priority: HashingPriority, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (result_tx, result_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("lucia-hash".into())
        .spawn(move || {
            lower_priority(priority);
            // The caller may be gone (a dropped request); the hash finishes all the same.
            let _ = result_tx.send(work());
        })
        .map_err(|err| Error::Hashing(Box::new(err)))?;
    result_rx
        .await
        .map_err(|_| Error::Hashing("the hashing thread stopped without an answer".into()))
}

#[cfg(unix)]
fn lower_priority(priority: HashingPriority) {
    if priority == HashingPriority::Background {
        // On Linux the nice value belongs to the calling thread only. Failing leaves the
        // thread at normal priority, which is only slower for the other threads.
        if let Err(err) = rustix::process::nice(BACKGROUND_NICE) {
            tracing::debug!(target: "lucia::password", error = %err, "hashing thread keeps its priority");
        }
    }
}

#[cfg(not(unix))]
fn lower_priority(_priority: HashingPriority) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashing_runs_on_its_own_thread_and_returns_the_result() {
        let caller = std::thread::current().id();
        let (name, thread) = run(HashingPriority::Normal, || {
            let current = std::thread::current();
            (current.name().map(str::to_owned), current.id())
        })
        .await
        .expect("a thread starts");
        assert_eq!(name.as_deref(), Some("lucia-hash"));
        assert_ne!(thread, caller);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn background_hashing_threads_are_niced_and_the_caller_is_not() {
        let before = rustix::process::getpriority_process(None).expect("own priority");
        let inside = run(HashingPriority::Background, || {
            rustix::process::getpriority_process(None).expect("thread priority")
        })
        .await
        .expect("a thread starts");
        let after = rustix::process::getpriority_process(None).expect("own priority");
        assert_eq!(inside, (before + BACKGROUND_NICE).min(19));
        assert_eq!(after, before, "the caller's thread keeps its priority");
    }

    #[tokio::test]
    async fn a_panicking_hash_is_an_error_not_a_hang() {
        let result = run(HashingPriority::Normal, || -> u8 { panic!("hasher bug") }).await;
        assert!(matches!(result, Err(Error::Hashing(_))));
    }
}
