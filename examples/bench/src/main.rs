//! The load benchmark: what lucia costs per request, against bare axum.
//!
//! Run it with `cargo run --release -p lucia-bench`. It serves the same tiny route in
//! several variants (bare axum, then a session check on each store), drives each with an
//! in-process HTTP/1.1 load generator over loopback, interleaved over three rounds, and
//! prints a Markdown report (also written to `target/lucia-bench.md`).
//!
//! - `--quick`: one round, 0.5 s per variant, for checking the harness in a debug build.
//! - `--rounds N`, `--seconds S`, `--connections N`: override the defaults (3, 2.5, 32).
//! - `--only memory,sqlite`: run only these variants (and bare axum, the reference); the
//!   names are `memory`, `in-handler`, `sqlite`, `sqlite-sqlx`, `postgres`, `redis`,
//!   `logins`, and `sqlite-inline` (experimental, never in the default run: it blocks the
//!   executor).
//! - `LUCIA_BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and
//!   `LUCIA_BENCH_REDIS_URL` (default `redis://127.0.0.1:6379`); a store that does not
//!   answer is skipped.
//!
//! The process exits non-zero when a variant made other than exactly one session read per
//! request, or a request failed. The throughput targets are reported, never enforced.

mod cpu;
mod load;
mod machine;
mod native_sqlite;
mod report;
mod routes;
mod server;
mod stores;
mod variant;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::cpu::ThreadClock;
use crate::load::Load;
use crate::machine::Machine;
use crate::report::{Outcome, Results};
use crate::server::{Prepared, Server, StoreUrls};
use crate::variant::Variant;

/// The error type of the harness: a message for the person running it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How the run is shaped.
#[derive(Debug, Clone)]
struct Options {
    variants: Vec<Variant>,
    rounds: usize,
    load: Load,
    check_alone: Duration,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("lucia-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, BoxError> {
    let options = parse_options(std::env::args().skip(1))?;
    let machine = Machine::read();
    let urls = StoreUrls {
        postgres: env_or(
            "LUCIA_BENCH_POSTGRES_URL",
            "postgres://postgres@127.0.0.1:5432/test",
        ),
        redis: env_or("LUCIA_BENCH_REDIS_URL", "redis://127.0.0.1:6379"),
    };
    eprintln!(
        "lucia-bench: setting up {} variants",
        options.variants.len()
    );
    let (server, prepared) = Server::start(&options.variants, urls)?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot build the load runtime: {err}"))?;
    let outcomes = runtime.block_on(measure(&server, prepared, &options))?;
    drop(server);

    let results = Results {
        machine,
        load: options.load,
        rounds: options.rounds,
        outcomes,
    };
    let markdown = results.to_markdown();
    println!("{markdown}");
    write_report(&markdown);

    let failures = results.call_count_failures();
    for failure in &failures {
        eprintln!("lucia-bench: FAILED: {failure}");
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs the rounds (every variant once per round, in order), then times each session
/// check alone.
async fn measure(
    server: &Server,
    prepared: Vec<Prepared>,
    options: &Options,
) -> Result<Vec<Outcome>, BoxError> {
    let mut outcomes: Vec<Outcome> = prepared.iter().map(outcome_of).collect();
    let server_clock = ThreadClock::named(server::THREAD_NAME);
    for round in 1..=options.rounds {
        for (target, outcome) in prepared.iter().zip(&mut outcomes) {
            let (Prepared::Ready(target), Ok(samples)) = (target, &mut outcome.samples) else {
                continue;
            };
            eprintln!(
                "lucia-bench: round {round}/{}: {}",
                options.rounds, target.variant
            );
            let sample = load::drive(
                target.addr,
                &target.token,
                options.load,
                target.counts.as_deref(),
                target.variant.has_logins(),
                server_clock.as_ref(),
            )
            .await
            .map_err(|err| format!("{}: {err}", target.variant))?;
            samples.push(sample);
        }
    }

    for (target, outcome) in prepared.iter().zip(&mut outcomes) {
        let Prepared::Ready(target) = target else {
            continue;
        };
        let Some(auth) = &target.auth else { continue };
        let alone = server
            .time_session_check(auth.clone(), target.token.clone(), options.check_alone)
            .await
            .map_err(|err| format!("{}: {err}", target.variant))?;
        outcome.check_alone = Some(alone);
    }
    Ok(outcomes)
}

fn outcome_of(prepared: &Prepared) -> Outcome {
    match prepared {
        Prepared::Ready(target) => Outcome {
            variant: target.variant,
            protection: target.protection.into(),
            samples: Ok(Vec::new()),
            check_alone: None,
        },
        Prepared::Skipped(variant, reason) => Outcome {
            variant: *variant,
            protection: reason.clone(),
            samples: Err(reason.clone()),
            check_alone: None,
        },
    }
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, BoxError> {
    let mut options = Options {
        variants: Variant::ALL.to_vec(),
        rounds: 3,
        load: Load {
            connections: 32,
            warmup: Duration::from_millis(500),
            measure: Duration::from_millis(2500),
        },
        check_alone: Duration::from_millis(300),
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{arg}` needs a value"));
        match arg.as_str() {
            "--quick" => {
                options.rounds = 1;
                options.load.warmup = Duration::from_millis(200);
                options.load.measure = Duration::from_millis(500);
                options.check_alone = Duration::from_millis(100);
            }
            "--rounds" => options.rounds = value()?.parse()?,
            "--seconds" => options.load.measure = Duration::try_from_secs_f64(value()?.parse()?)?,
            "--connections" => options.load.connections = value()?.parse()?,
            "--only" => options.variants = only(&value()?)?,
            _ => return Err(format!("unknown argument `{arg}` (see the crate docs)").into()),
        }
    }
    if options.rounds == 0 || options.load.connections == 0 {
        return Err("`--rounds` and `--connections` must be at least 1".into());
    }
    Ok(options)
}

/// The variants named in `keys` (comma-separated), with bare axum always first.
fn only(keys: &str) -> Result<Vec<Variant>, BoxError> {
    let mut variants = vec![Variant::Bare];
    for key in keys.split(',') {
        let variant = Variant::ALL
            .into_iter()
            .chain(Variant::ONLY_ON_REQUEST)
            .find(|variant| variant.key() == key)
            .ok_or_else(|| format!("unknown variant `{key}`"))?;
        if !variants.contains(&variant) {
            variants.push(variant);
        }
    }
    Ok(variants)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Writes the report to `target/lucia-bench.md`; a failure is reported, not fatal.
fn write_report(markdown: &str) {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")),
        PathBuf::from,
    );
    let path = target_dir.join("lucia-bench.md");
    match std::fs::write(&path, markdown) {
        Ok(()) => eprintln!("lucia-bench: report written to {}", path.display()),
        Err(err) => eprintln!("lucia-bench: cannot write {}: {err}", path.display()),
    }
}
