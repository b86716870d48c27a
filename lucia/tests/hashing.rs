//! The hashing concurrency cap (issue 2 decision 4, PW-09): password hashing runs on the
//! blocking pool, never on the executor, and at most `hashing_concurrency` at a time even when
//! callers give up half-way.
#![allow(clippy::unwrap_used)] // test helpers may panic

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use lucia::password::{PasswordHasher, Verification};
use lucia::{Auth, MemoryAdapter, NewKey};
use tokio::sync::mpsc;

/// What the hasher saw: how many calls overlapped and on which threads they ran.
#[derive(Default)]
struct Probe {
    running: AtomicUsize,
    max_running: AtomicUsize,
    threads: Mutex<Vec<ThreadId>>,
}

/// A hasher that takes a while, like Argon2, and reports every call it enters.
struct SlowHasher {
    probe: Arc<Probe>,
    entered: mpsc::UnboundedSender<()>,
}

impl SlowHasher {
    fn work(&self, password: &str) -> String {
        let probe = &self.probe;
        let running = probe.running.fetch_add(1, Ordering::SeqCst) + 1;
        probe.max_running.fetch_max(running, Ordering::SeqCst);
        probe
            .threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        let _ = self.entered.send(());
        // Widens the window in which a second hash could overlap this one.
        std::thread::sleep(Duration::from_millis(50));
        probe.running.fetch_sub(1, Ordering::SeqCst);
        format!("slow:{password}")
    }
}

impl PasswordHasher for SlowHasher {
    fn hash(&self, password: &str) -> lucia::Result<String> {
        Ok(self.work(password))
    }
    fn verify(&self, password: &str, hash: &str) -> Verification {
        if self.work(password) == hash {
            Verification::Valid
        } else {
            Verification::Invalid
        }
    }
}

fn slow_auth(permits: usize) -> (Auth<()>, Arc<Probe>, mpsc::UnboundedReceiver<()>) {
    let probe = Arc::new(Probe::default());
    let (entered, entries) = mpsc::unbounded_channel();
    let hasher = SlowHasher {
        probe: Arc::clone(&probe),
        entered,
    };
    let auth = Auth::builder(MemoryAdapter::new())
        .password_hasher(hasher)
        .hashing_concurrency(permits)
        .build()
        .unwrap();
    (auth, probe, entries)
}

fn alice() -> NewKey {
    NewKey::with_password("username", "alice", "correct horse")
}

#[tokio::test]
async fn cancelled_logins_keep_their_hashing_permit_until_the_hash_ends() {
    let (auth, probe, mut entries) = slow_auth(1);
    auth.create_user(Some(alice()), ()).await.unwrap();
    entries.recv().await.unwrap();

    // A client that disconnects once its login is hashing: the handler future is dropped.
    let abandoned = tokio::spawn({
        let auth = auth.clone();
        async move { auth.use_key("username", "alice", Some("wrong")).await }
    });
    entries.recv().await.unwrap();
    abandoned.abort();
    assert!(abandoned.await.unwrap_err().is_cancelled());

    // The next logins must wait for the abandoned hash, not run beside it.
    let logins = (0..3).map(|_| {
        let auth = auth.clone();
        tokio::spawn(async move {
            auth.use_key("username", "alice", Some("correct horse"))
                .await
        })
    });
    for login in logins.collect::<Vec<_>>() {
        login.await.unwrap().unwrap();
    }
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 1);
    assert_eq!(probe.threads.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn hashing_never_runs_on_the_executor_thread() {
    // A current-thread runtime: the test's own thread is the only executor thread.
    let executor = std::thread::current().id();
    let (auth, probe, _entries) = slow_auth(2);

    auth.create_user(Some(alice()), ()).await.unwrap();
    auth.use_key("username", "alice", Some("correct horse"))
        .await
        .unwrap();
    let _ = auth.use_key("username", "bob", Some("unknown user")).await;
    auth.hash_new_password("another password").await.unwrap();

    let threads = probe.threads.lock().unwrap();
    assert!(threads.len() >= 4, "every call hashed: {}", threads.len());
    assert!(threads.iter().all(|thread| *thread != executor));
}
