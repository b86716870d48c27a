//! Where hashing runs: a thread of its own per hash (at most `hashing_concurrency` at once,
//! which `Auth` enforces), at background CPU priority by default.
//!
//! An Argon2id hash holds a core for tens of milliseconds. At normal priority a login flood
//! takes those cores from the threads that answer requests, and every signed-in request waits
//! behind it for a scheduler slice at a time. A lower nice value does not help much on
//! current Linux schedulers, which let the running thread finish its slice; `SCHED_IDLE`
//! does: any normal thread that wakes up takes the core at once, and an idle core still
//! hashes at full speed. Starting a thread costs tens of microseconds against a hash's tens of
//! milliseconds, and never touches the application's own blocking pool or its threads.

use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// How much CPU priority password hashing gets against request handling.
///
/// The trade-off, measured on a 2-core machine: with logins hashing next to a saturating
/// load of signed-in requests, `Normal` left those requests' p99 latency at 2.4-4x its value
/// without logins, `Background` at 1.6x. The price is paid by logins when *other* work keeps
/// every core busy: a `SCHED_IDLE` thread then gets a fraction of a percent of a core, so a
/// hash of tens of milliseconds can take seconds, and logins queue behind the hashes already
/// running (at most `hashing_concurrency`). On a server that is not saturated both behave
/// the same. Choose `Normal` if logins must keep their speed while the machine is overloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HashingPriority {
    /// Below everything else: `SCHED_IDLE` on Linux and Android, which any normal thread
    /// preempts at once; the lowest priority the platform lets a thread take elsewhere on
    /// Unix, where supported (some BSDs refuse it, and the thread then stays at normal
    /// priority); normal priority on other systems. The default.
    #[default]
    Background,
    /// The priority of the thread that asked, as any other thread.
    Normal,
}

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

/// Moves the calling (hashing) thread to background priority. Failing leaves it at normal
/// priority, which is only slower for the other threads.
fn lower_priority(priority: HashingPriority) {
    if priority != HashingPriority::Background {
        return;
    }
    if let Err(err) = set_background_priority() {
        tracing::debug!(target: "lucia::password", error = ?err, "hashing thread keeps its priority");
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_background_priority() -> Result<(), thread_priority::Error> {
    use thread_priority::{NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy};
    thread_priority::set_thread_priority_and_policy(
        thread_priority::thread_native_id(),
        ThreadPriority::Min,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
    )
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
fn set_background_priority() -> Result<(), thread_priority::Error> {
    thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
}

#[cfg(not(unix))]
fn set_background_priority() -> Result<(), &'static str> {
    Ok(())
}

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
    async fn background_hashing_threads_yield_to_everything_and_the_caller_keeps_its_policy() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let before = thread_priority::thread_schedule_policy().expect("own policy");
        let inside = run(HashingPriority::Background, || {
            thread_priority::thread_schedule_policy().expect("thread policy")
        })
        .await
        .expect("a thread starts");
        let normal = run(HashingPriority::Normal, || {
            thread_priority::thread_schedule_policy().expect("thread policy")
        })
        .await
        .expect("a thread starts");
        let after = thread_priority::thread_schedule_policy().expect("own policy");
        assert_eq!(inside, idle);
        assert_ne!(normal, idle);
        assert_eq!(after, before, "the caller's thread keeps its policy");
    }

    #[tokio::test]
    async fn a_panicking_hash_is_an_error_not_a_hang() {
        let result = run(HashingPriority::Normal, || -> u8 { panic!("hasher bug") }).await;
        assert!(matches!(result, Err(Error::Hashing(_))));
    }
}
