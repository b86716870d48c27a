//! The load generator: a fixed number of keep-alive HTTP/1.1 connections (hyper 1 client),
//! each sending one request after another (closed loop) until a deadline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use lucia::SESSION_COOKIE_NAME;
use lucia::testing::Counts;
use tokio::net::TcpStream;

use crate::BoxError;
use crate::cpu::{CpuTimes, ThreadClock};
use crate::server::{PASSWORD, USERNAME};

/// How long and how hard to drive one variant.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Keep-alive connections, each with one request in flight.
    pub connections: usize,
    /// Driven but not measured, first.
    pub warmup: Duration,
    /// The measured window.
    pub measure: Duration,
}

/// What one measured window saw.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Requests answered with 200 in the window.
    pub requests: u64,
    /// Requests answered with anything else.
    pub errors: u64,
    /// The window's real length (until the last request came back).
    pub elapsed: Duration,
    /// Every request's latency, in nanoseconds, sorted.
    pub latencies: Vec<u64>,
    /// Adapter calls in the window, if the variant counts them.
    pub calls: Option<Calls>,
    /// Background logins completed in the window.
    pub logins: u64,
    /// The server thread's scheduler times in the window.
    pub server_cpu: Option<CpuTimes>,
    /// The load generator thread's scheduler times in the window.
    pub load_cpu: Option<CpuTimes>,
}

/// Adapter calls made during one window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calls {
    /// `get_session` / `get_session_and_user`.
    pub session_reads: u64,
    /// `renew_session`.
    pub renewals: u64,
    /// Everything.
    pub total: u64,
}

impl Calls {
    fn read(counts: &Counts) -> Self {
        Self {
            session_reads: counts.session_reads(),
            renewals: counts.renewals(),
            total: counts.total(),
        }
    }

    fn since(self, before: Self) -> Self {
        Self {
            session_reads: self.session_reads - before.session_reads,
            renewals: self.renewals - before.renewals,
            total: self.total - before.total,
        }
    }
}

impl Sample {
    /// Requests per second.
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The share of the window a thread was on a CPU.
    pub fn busy(&self, times: Option<CpuTimes>) -> Option<f64> {
        Some(times?.running.as_secs_f64() / self.elapsed.as_secs_f64())
    }

    /// The share of the window a thread waited for a CPU.
    pub fn waiting(&self, times: Option<CpuTimes>) -> Option<f64> {
        Some(times?.waiting?.as_secs_f64() / self.elapsed.as_secs_f64())
    }

    /// The server thread's CPU time per answered request.
    pub fn server_cpu_per_request(&self) -> Option<Duration> {
        let requests = u32::try_from(self.requests + self.errors).ok()?;
        self.server_cpu?.running.checked_div(requests)
    }

    /// The latency at quantile `q` (0..=1).
    pub fn quantile(&self, q: f64) -> Duration {
        let Some(last) = self.latencies.len().checked_sub(1) else {
            return Duration::ZERO;
        };
        let index = ((last as f64) * q).round() as usize;
        Duration::from_nanos(self.latencies[index.min(last)])
    }
}

/// Drives the server at `addr` with requests carrying `token` as the session cookie:
/// a warm-up, then the measured window. Connections stop between the two, so the adapter
/// calls counted in the window belong to its requests exactly.
///
/// # Errors
/// When a connection fails (a non-200 answer is counted, not an error).
pub async fn drive(
    addr: SocketAddr,
    token: &str,
    load: Load,
    counts: Option<&Counts>,
    with_logins: bool,
    server_clock: Option<&ThreadClock>,
) -> Result<Sample, BoxError> {
    let load_clock = ThreadClock::current();
    let cookie = HeaderValue::try_from(format!("{SESSION_COOKIE_NAME}={token}"))?;
    let logins = with_logins.then(|| BackgroundLogins::start(addr));
    let mut senders = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        senders.push(connect(addr).await?);
    }

    let warm = run_phase(senders, &cookie, load.warmup).await?;
    let calls_before = counts.map(Calls::read);
    let logins_before = logins.as_ref().map_or(0, BackgroundLogins::completed);
    let server_before = server_clock.and_then(ThreadClock::read);
    let load_before = load_clock.read();
    let start = Instant::now();
    let measured = run_phase(warm.senders, &cookie, load.measure).await?;
    let elapsed = start.elapsed();
    let since = |before: Option<CpuTimes>, after: Option<CpuTimes>| Some(after?.since(before?));
    let server_cpu = since(server_before, server_clock.and_then(ThreadClock::read));
    let load_cpu = since(load_before, load_clock.read());
    let calls = counts.map(Calls::read);
    let logins_done = logins.as_ref().map_or(0, BackgroundLogins::completed) - logins_before;
    if let Some(logins) = logins {
        logins.stop().await?;
    }

    let mut latencies = measured.latencies;
    latencies.sort_unstable();
    Ok(Sample {
        requests: latencies.len() as u64 - measured.errors,
        errors: measured.errors,
        elapsed,
        latencies,
        calls: calls
            .zip(calls_before)
            .map(|(after, before)| after.since(before)),
        logins: logins_done,
        server_cpu,
        load_cpu,
    })
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<String>, BoxError> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|err| format!("cannot connect to {addr}: {err}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            eprintln!("lucia-bench: client connection failed: {err}");
        }
    });
    Ok(sender)
}

struct Phase {
    senders: Vec<SendRequest<String>>,
    latencies: Vec<u64>,
    errors: u64,
}

/// Every connection sends requests until `length` has passed, then finishes its last one.
async fn run_phase(
    senders: Vec<SendRequest<String>>,
    cookie: &HeaderValue,
    length: Duration,
) -> Result<Phase, BoxError> {
    let deadline = Instant::now() + length;
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|sender| tokio::spawn(run_connection(sender, cookie.clone(), deadline)))
        .collect();
    let mut phase = Phase {
        senders: Vec::with_capacity(tasks.len()),
        latencies: Vec::new(),
        errors: 0,
    };
    for task in tasks {
        let (sender, latencies, errors) = task.await??;
        phase.senders.push(sender);
        phase.latencies.extend(latencies);
        phase.errors += errors;
    }
    Ok(phase)
}

type ConnectionRun = (SendRequest<String>, Vec<u64>, u64);

async fn run_connection(
    mut sender: SendRequest<String>,
    cookie: HeaderValue,
    deadline: Instant,
) -> Result<ConnectionRun, BoxError> {
    let mut latencies = Vec::with_capacity(16 * 1024);
    let mut errors = 0;
    while Instant::now() < deadline {
        let request = Request::get("/")
            .header(header::HOST, "127.0.0.1")
            .header(header::COOKIE, cookie.clone())
            .body(String::new())?;
        let start = Instant::now();
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        response.into_body().collect().await?;
        latencies.push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
        if status != StatusCode::OK {
            errors += 1;
        }
    }
    Ok((sender, latencies, errors))
}

/// One client that logs in again and again, one login at a time, until stopped.
struct BackgroundLogins {
    completed: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Result<(), BoxError>>,
}

impl BackgroundLogins {
    fn start(addr: SocketAddr) -> Self {
        let completed = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(log_in_repeatedly(
            addr,
            Arc::clone(&completed),
            Arc::clone(&stop),
        ));
        Self {
            completed,
            stop,
            task,
        }
    }

    fn completed(&self) -> u64 {
        self.completed.load(Ordering::SeqCst)
    }

    async fn stop(self) -> Result<(), BoxError> {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await?
    }
}

async fn log_in_repeatedly(
    addr: SocketAddr,
    completed: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<(), BoxError> {
    let mut sender = connect(addr).await?;
    while !stop.load(Ordering::SeqCst) {
        let request = Request::post(format!("/login/{USERNAME}"))
            .header(header::HOST, "127.0.0.1")
            .header(header::ORIGIN, format!("http://{addr}"))
            .body(PASSWORD.to_owned())?;
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        response.into_body().collect().await?;
        if status != StatusCode::OK {
            return Err(format!("background login answered {status}").into());
        }
        completed.fetch_add(1, Ordering::SeqCst);
    }
    Ok(())
}
