//! The server side: one thread, one single-threaded tokio runtime, every variant's router
//! listening on its own loopback port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::serve::ListenerExt;
use lucia::testing::{CountingAdapter, Counts};
use lucia::{Adapter, Auth, MemoryAdapter, NewKey};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::BoxError;
use crate::routes;
use crate::stores::{Skip, Stores};
use crate::variant::Variant;

/// The user the benchmark logs in as.
pub const USERNAME: &str = "bench";
/// Its password (long enough for the default policy).
pub const PASSWORD: &str = "correct horse battery staple";

/// The server thread's name (at most 15 bytes: `/proc` cuts longer ones).
pub const THREAD_NAME: &str = "bench-server";

/// How long setting up one variant may take before it is skipped.
const SETUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where to find the external stores.
#[derive(Debug, Clone)]
pub struct StoreUrls {
    /// `LUCIA_BENCH_POSTGRES_URL`.
    pub postgres: String,
    /// `LUCIA_BENCH_REDIS_URL`.
    pub redis: String,
}

/// A variant ready to be driven.
pub struct Target {
    /// Which variant.
    pub variant: Variant,
    /// Where it listens.
    pub addr: SocketAddr,
    /// A valid session token for its store.
    pub token: String,
    /// The auth instance, for timing the session check alone; `None` for bare axum.
    pub auth: Option<Auth<()>>,
    /// The adapter call counters; `None` for bare axum.
    pub counts: Option<Arc<Counts>>,
    /// How the route is protected, for the report.
    pub protection: &'static str,
}

/// The outcome of setting up one variant.
pub enum Prepared {
    /// Listening.
    Ready(Target),
    /// Not run, and why.
    Skipped(Variant, String),
}

/// The running server thread. Dropping it stops the runtime.
pub struct Server {
    handle: tokio::runtime::Handle,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts the server thread and sets up every variant on it.
    ///
    /// # Errors
    /// When the thread or its runtime cannot start. A variant whose store is unreachable is
    /// reported as [`Prepared::Skipped`], not as an error.
    pub fn start(variants: &[Variant], urls: StoreUrls) -> Result<(Self, Vec<Prepared>), BoxError> {
        let (prepared_tx, prepared_rx) = mpsc::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let variants = variants.to_vec();
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || serve(variants, urls, prepared_tx, shutdown_rx))
            .map_err(|err| format!("cannot start the server thread: {err}"))?;
        let (handle, prepared) = prepared_rx
            .recv()
            .map_err(|_| "the server thread stopped during setup")??;
        let server = Self {
            handle,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        };
        Ok((server, prepared))
    }

    /// Times `validate_session_user` alone on the server runtime, one call at a time, for
    /// about `length`; returns the mean per call.
    ///
    /// # Errors
    /// When a check fails.
    pub async fn time_session_check(
        &self,
        auth: Auth<()>,
        token: String,
        length: Duration,
    ) -> Result<Duration, BoxError> {
        let task = self.handle.spawn(async move {
            let start = Instant::now();
            let mut calls = 0_u32;
            while start.elapsed() < length {
                auth.validate_session_user(&token)
                    .await
                    .map_err(|err| format!("session check failed: {err}"))?;
                calls += 1;
            }
            Ok::<_, String>(start.elapsed() / calls.max(1))
        });
        Ok(task.await??)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type PreparedResult = Result<(tokio::runtime::Handle, Vec<Prepared>), BoxError>;

fn serve(
    variants: Vec<Variant>,
    urls: StoreUrls,
    prepared_tx: mpsc::Sender<PreparedResult>,
    shutdown: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = prepared_tx.send(Err(format!("cannot build the server runtime: {err}").into()));
            return;
        }
    };
    runtime.block_on(async move {
        let mut stores = Stores::default();
        let mut prepared = Vec::new();
        for variant in variants {
            prepared.push(prepare(variant, &urls, &mut stores).await);
        }
        let handle = tokio::runtime::Handle::current();
        if prepared_tx.send(Ok((handle, prepared))).is_err() {
            return;
        }
        let _ = shutdown.await;
        stores.clean_up().await;
    });
    // Hashing may still be running on its thread; do not wait for it forever.
    runtime.shutdown_timeout(Duration::from_secs(2));
}

async fn prepare(variant: Variant, urls: &StoreUrls, stores: &mut Stores) -> Prepared {
    match tokio::time::timeout(SETUP_TIMEOUT, set_up(variant, urls, stores)).await {
        Ok(Ok(target)) => Prepared::Ready(target),
        Ok(Err(skip)) => Prepared::Skipped(variant, skip.to_string()),
        Err(_) => Prepared::Skipped(variant, "skipped: unreachable (setup timed out)".into()),
    }
}

async fn set_up(variant: Variant, urls: &StoreUrls, stores: &mut Stores) -> Result<Target, Skip> {
    match variant {
        Variant::Bare => listen(variant, routes::bare(), String::new(), None, None, "none")
            .await
            .map_err(Skip::failed),
        Variant::Memory | Variant::MemoryInHandler | Variant::MemoryWithLogins => {
            let (target, _) = protected(variant, MemoryAdapter::new()).await?;
            Ok(target)
        }
        Variant::Sqlite => {
            let adapter = stores.sqlite(true).await?;
            let (target, user_id) = protected(variant, adapter.clone()).await?;
            // Outside the counting wrapper: the counts of the measured window stay exact.
            Stores::check_native_reads(&adapter, &user_id).await?;
            Ok(target)
        }
        Variant::SqliteSqlx => {
            let (target, _) = protected(variant, stores.sqlite(false).await?).await?;
            Ok(target)
        }
        Variant::SqliteInline => {
            let adapter = stores.sqlite_inline().await?;
            let (target, user_id) = protected(variant, adapter.clone()).await?;
            Stores::check_inline(&adapter, &user_id).await?;
            Ok(target)
        }
        Variant::Postgres => {
            let (target, _) = protected(variant, stores.postgres(&urls.postgres).await?).await?;
            Ok(target)
        }
        Variant::Redis => {
            let sessions = stores.redis(&urls.redis).await?;
            let adapter = lucia::adapter::split(MemoryAdapter::new(), sessions);
            let (target, user_id) = protected(variant, adapter).await?;
            if let Some(auth) = &target.auth {
                stores.remove_sessions_at_end(auth.clone(), user_id);
            }
            Ok(target)
        }
    }
}

/// Wraps `adapter` in a counter, seeds a user with a session and serves the protected route.
/// Returns the target and the seeded user's id.
async fn protected(variant: Variant, adapter: impl Adapter<()>) -> Result<(Target, String), Skip> {
    let adapter = CountingAdapter::new(adapter);
    let counts = adapter.counts();
    let auth = Auth::<()>::builder(adapter)
        .build()
        .map_err(|err| Skip::failed(format!("bad auth config: {err}")))?;
    let (user_id, token) = seed(&auth).await.map_err(Skip::failed)?;
    counts.reset();
    let (router, protection) = match variant {
        Variant::MemoryInHandler => {
            let protection =
                "cookie read and `validate_session_user` called in the handler, no layer";
            (routes::in_handler(auth.clone()), protection)
        }
        Variant::Sqlite => {
            let protection = "`#[lucia::protected]` handler taking `Session`, `AuthLayer` on \
                 the router; lucia's `SqliteAdapter` answers `get_session_and_user` (the one \
                 request-path call) from its native read-only `rusqlite` connections on \
                 `spawn_blocking` (checked against sqlx at setup), everything else through \
                 sqlx. The query CPU runs on blocking-pool threads, so it is not in the server \
                 CPU/request column (nor is sqlx's worker-thread time for the sqlx-only \
                 variant)";
            (routes::protected(auth.clone()), protection)
        }
        Variant::SqliteSqlx => {
            let protection = "as SQLite (WAL), with `SqliteAdapter::with_native_reads(false)`: \
                 every query through sqlx, whose worker thread per connection means two \
                 thread hand-offs plus pool and row handling per query";
            (routes::protected(auth.clone()), protection)
        }
        Variant::SqliteInline => {
            let protection = "as SQLite (WAL), but a bench-only wrapper runs the native \
                 `rusqlite` lookup directly \
                 on the async server thread with one connection, blocking the executor for \
                 every query (not a way to serve; it shows what the thread hand-offs cost); \
                 its query CPU is in the server CPU/request column";
            (routes::protected(auth.clone()), protection)
        }
        _ => {
            let protection =
                "`#[lucia::protected]` handler taking `Session`, `AuthLayer` on the router";
            (routes::protected(auth.clone()), protection)
        }
    };
    let target = listen(variant, router, token, Some(auth), Some(counts), protection)
        .await
        .map_err(Skip::failed)?;
    Ok((target, user_id))
}

/// Creates the bench user with a password key and one session; returns the user's id and
/// the session token.
async fn seed(auth: &Auth<()>) -> Result<(String, String), BoxError> {
    let key = NewKey::with_password("username", USERNAME, PASSWORD);
    let user = auth
        .create_user(Some(key), ())
        .await
        .map_err(|err| format!("cannot create the bench user: {err}"))?;
    let session = auth
        .create_session(&user.id)
        .await
        .map_err(|err| format!("cannot create the bench session: {err}"))?;
    let token = session.token().ok_or("a new session has no token")?;
    Ok((user.id, token.expose().to_owned()))
}
async fn listen(
    variant: Variant,
    router: Router,
    token: String,
    auth: Option<Auth<()>>,
    counts: Option<Arc<Counts>>,
    protection: &'static str,
) -> Result<Target, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|err| format!("cannot bind a loopback port: {err}"))?;
    let addr = listener.local_addr()?;
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            eprintln!("lucia-bench: server for {variant} stopped: {err}");
        }
    });
    Ok(Target {
        variant,
        addr,
        token,
        auth,
        counts,
        protection,
    })
}
