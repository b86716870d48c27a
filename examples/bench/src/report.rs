//! The Markdown report: medians across rounds, the targets, the per-round numbers.

use std::fmt::Write as _;
use std::time::Duration;

use crate::load::{Load, Sample};
use crate::machine::Machine;
use crate::variant::Variant;

/// A logins p99 may be at most this many times the idle p99.
const LOGIN_P99_FACTOR: f64 = 2.0;

/// What happened to one variant over all rounds.
pub struct Outcome {
    /// Which variant.
    pub variant: Variant,
    /// How its route is protected.
    pub protection: String,
    /// One sample per round, or why it did not run.
    pub samples: Result<Vec<Sample>, String>,
    /// The session check alone, one call at a time, if timed.
    pub check_alone: Option<Duration>,
}

/// Everything the report is made of.
pub struct Results {
    /// Where and when.
    pub machine: Machine,
    /// How hard each variant was driven.
    pub load: Load,
    /// Rounds run.
    pub rounds: usize,
    /// Per variant, in run order.
    pub outcomes: Vec<Outcome>,
}

impl Results {
    fn samples(&self, variant: Variant) -> Option<&[Sample]> {
        self.outcomes
            .iter()
            .find(|outcome| outcome.variant == variant)
            .and_then(|outcome| outcome.samples.as_deref().ok())
    }

    /// The variant's throughput as a share of bare axum's in the same round, median.
    pub fn ratio(&self, variant: Variant) -> Option<f64> {
        let bare = self.samples(Variant::Bare)?;
        let ratios = self
            .samples(variant)?
            .iter()
            .zip(bare)
            .map(|(sample, bare)| sample.throughput() / bare.throughput())
            .collect();
        median(ratios)
    }

    /// Bare axum's server CPU per request over the variant's, same round, median: the
    /// throughput ratio the variant would reach with the server core to itself. It leaves out
    /// work done off the server thread (SQLite's worker threads, the database servers).
    pub fn cpu_ratio(&self, variant: Variant) -> Option<f64> {
        let bare = self.samples(Variant::Bare)?;
        let ratios = self
            .samples(variant)?
            .iter()
            .zip(bare)
            .filter_map(|(sample, bare)| {
                let cost = sample.server_cpu_per_request()?.as_secs_f64();
                Some(bare.server_cpu_per_request()?.as_secs_f64() / cost)
            })
            .collect();
        median(ratios)
    }

    /// The logins p99 over the idle memory p99 in the same round, median.
    fn login_p99_factor(&self) -> Option<f64> {
        let idle = self.samples(Variant::Memory)?;
        let busy = self.samples(Variant::MemoryWithLogins)?;
        let factors = busy
            .iter()
            .zip(idle)
            .map(|(busy, idle)| {
                busy.quantile(0.99).as_secs_f64() / idle.quantile(0.99).as_secs_f64()
            })
            .collect();
        median(factors)
    }

    /// Variants whose session reads per request are not exactly one, or that saw errors.
    pub fn call_count_failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for outcome in &self.outcomes {
            let Ok(samples) = &outcome.samples else {
                continue;
            };
            for (round, sample) in samples.iter().enumerate() {
                let round = round + 1;
                if sample.errors > 0 {
                    failures.push(format!(
                        "{}, round {round}: {} requests failed",
                        outcome.variant, sample.errors
                    ));
                }
                let Some(calls) = sample.calls else { continue };
                if calls.session_reads != sample.requests + sample.errors || calls.renewals != 0 {
                    failures.push(format!(
                        "{}, round {round}: {} session reads and {} renewals for {} requests",
                        outcome.variant,
                        calls.session_reads,
                        calls.renewals,
                        sample.requests + sample.errors
                    ));
                }
            }
        }
        failures
    }

    /// The whole report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        self.write_header(&mut out);
        self.write_summary(&mut out);
        self.write_targets(&mut out);
        self.write_check_alone(&mut out);
        self.write_rounds(&mut out);
        out
    }

    fn write_header(&self, out: &mut String) {
        let load = &self.load;
        let _ = writeln!(out, "## lucia load benchmark\n");
        let _ = writeln!(out, "- Machine: {}.", self.machine);
        let _ = writeln!(
            out,
            "- Load generator: in-process hyper 1 HTTP/1.1 client (`lucia-bench`), {} keep-alive \
             connections, one request in flight each (closed loop), every request with a valid \
             session cookie; {} rounds, variants interleaved; {:.1} s warm-up and {:.1} s measured \
             per variant per round.",
            load.connections,
            self.rounds,
            load.warmup.as_secs_f64(),
            load.measure.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "- Server: axum on a single-threaded tokio runtime on its own thread; the load \
             generator on another single-threaded runtime on another thread. PostgreSQL and \
             Redis run on the same machine and share its cores.\n"
        );
        let busy_before = self.machine.load_average.parse::<f64>().ok();
        if let Some(load) = busy_before
            && load >= self.machine.cpus as f64
        {
            let _ = writeln!(
                out,
                "**Noisy run**: the machine was busy before the benchmark started (load average \
                 {load:.1} on {} CPUs), so other work took CPU time from the server and the load \
                 generator (see \"server waited\" below). Throughput ratios from such a run are \
                 rough; server CPU per request is less sensitive to it.\n",
                self.machine.cpus
            );
        }
    }

    fn write_summary(&self, out: &mut String) {
        let _ = writeln!(out, "Medians across rounds:\n");
        let _ = writeln!(
            out,
            "| variant | req/s | p50 | p99 | vs bare axum | server CPU/request | \
             vs bare axum, by server CPU | adapter calls/request |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---|");
        for outcome in &self.outcomes {
            let samples = match &outcome.samples {
                Ok(samples) => samples,
                Err(reason) => {
                    let _ = writeln!(out, "| {} | {reason} | | | | | | |", outcome.variant);
                    continue;
                }
            };
            let throughput = median(samples.iter().map(Sample::throughput).collect());
            let p50 = median_latency(samples, 0.5);
            let p99 = median_latency(samples, 0.99);
            let ratio = self.ratio(outcome.variant);
            let cpu_ratio = self.cpu_ratio(outcome.variant);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                outcome.variant,
                throughput.map_or("–".into(), |t| format!("{t:.0}")),
                format_latency(p50),
                format_latency(p99),
                ratio.map_or("–".into(), percent),
                format_micros(median_cpu_per_request(samples)),
                cpu_ratio.map_or("–".into(), percent),
                calls_per_request(samples),
            );
        }
        let _ = writeln!(out);
    }

    fn write_targets(&self, out: &mut String) {
        let _ = writeln!(out, "Targets:\n");
        for variant in Variant::ALL {
            let Some(target) = variant.throughput_target() else {
                continue;
            };
            let verdict = match self.ratio(variant) {
                Some(ratio) if ratio >= target => format!("{} — PASS", percent(ratio)),
                Some(ratio) => format!("{} — MISS{}", percent(ratio), self.why_missed(variant)),
                None => "not run — MISS (no measurement)".into(),
            };
            let _ = writeln!(
                out,
                "- {variant} ≥ {} of bare axum: {verdict}",
                percent(target)
            );
        }
        let verdict = match self.login_p99_factor() {
            Some(factor) if factor < LOGIN_P99_FACTOR => format!("{factor:.2}× — PASS"),
            Some(factor) => format!("{factor:.2}× — MISS{}", self.why_logins_missed()),
            None => "not run — MISS (no measurement)".into(),
        };
        let _ = writeln!(
            out,
            "- protected GET p99 with background logins < {LOGIN_P99_FACTOR:.0}× its idle p99 \
             (same round): {verdict}\n"
        );
    }

    /// A one-line explanation from the session check timed alone.
    fn why_missed(&self, variant: Variant) -> String {
        let micros = |duration: Duration| duration.as_secs_f64() * 1e6;
        let cpu = |variant| self.samples(variant).and_then(median_cpu_per_request);
        let alone = self
            .outcomes
            .iter()
            .find(|outcome| outcome.variant == variant)
            .and_then(|outcome| outcome.check_alone);
        let (Some(alone), Some(bare), Some(own)) = (alone, cpu(Variant::Bare), cpu(variant)) else {
            return String::new();
        };
        let mut why = format!(
            ": server CPU per request is {:.1} µs against {:.1} µs for bare axum; the session \
             check alone takes {:.1} µs per call (one at a time)",
            micros(own),
            micros(bare),
            micros(alone)
        );
        match variant {
            Variant::Memory => {
                if let Some(in_handler) = cpu(Variant::MemoryInHandler) {
                    let _ = write!(
                        why,
                        ", the same check written in the handler {:.1} µs per request, so \
                         `AuthLayer` and `#[protected]` add about {:.1} µs on top of it",
                        micros(in_handler),
                        micros(own) - micros(in_handler)
                    );
                }
            }
            Variant::Sqlite => why.push_str(
                "; the session lookup runs on tokio's blocking pool, two thread hand-offs per \
                 request, and the query's CPU is not in the server column",
            ),
            Variant::Redis | Variant::Postgres => why.push_str(
                "; the store's server runs on the same two cores as the server and the load \
                 generator",
            ),
            Variant::Bare
            | Variant::MemoryInHandler
            | Variant::SqliteSqlx
            | Variant::SqliteInline
            | Variant::MemoryWithLogins => {}
        }
        why
    }

    /// Evidence for a logins miss: how long the server thread waited for a CPU.
    fn why_logins_missed(&self) -> String {
        let waited = |variant| {
            let samples = self.samples(variant)?;
            median(
                samples
                    .iter()
                    .filter_map(|s| s.waiting(s.server_cpu))
                    .collect(),
            )
        };
        let mut why = String::from(
            ": each Argon2id hash holds a core for tens of milliseconds, and on two cores that \
             core is taken from the server thread or the load generator",
        );
        if let (Some(idle), Some(busy)) =
            (waited(Variant::Memory), waited(Variant::MemoryWithLogins))
        {
            let _ = write!(
                why,
                " (the server thread waited for a CPU {} of the window with logins, {} without)",
                percent(busy),
                percent(idle)
            );
        }
        why
    }

    fn write_check_alone(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "The session check alone (`validate_session_user`, one call at a time on the \
             server runtime, after the rounds):\n"
        );
        let _ = writeln!(out, "| variant | µs per call |");
        let _ = writeln!(out, "|---|---:|");
        for outcome in &self.outcomes {
            if let Some(alone) = outcome.check_alone {
                let _ = writeln!(
                    out,
                    "| {} | {:.1} |",
                    outcome.variant,
                    alone.as_secs_f64() * 1e6
                );
            }
        }
        let _ = writeln!(out);
    }

    fn write_rounds(&self, out: &mut String) {
        let _ = writeln!(out, "Every round:\n");
        let _ = writeln!(
            out,
            "| round | variant | req/s | p50 | p99 | vs bare axum | server busy | server waited | \
             server CPU/request | load busy | errors | logins |"
        );
        let _ = writeln!(
            out,
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        let bare = self.samples(Variant::Bare);
        for round in 0..self.rounds {
            for outcome in &self.outcomes {
                let Some(sample) = outcome
                    .samples
                    .as_ref()
                    .ok()
                    .and_then(|samples| samples.get(round))
                else {
                    continue;
                };
                let ratio = bare
                    .and_then(|bare| bare.get(round))
                    .map_or("–".into(), |bare| {
                        percent(sample.throughput() / bare.throughput())
                    });
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.0} | {} | {} | {ratio} | {} | {} | {} | {} | {} | {} |",
                    round + 1,
                    outcome.variant,
                    sample.throughput(),
                    format_latency(Some(sample.quantile(0.5))),
                    format_latency(Some(sample.quantile(0.99))),
                    sample.busy(sample.server_cpu).map_or("–".into(), percent),
                    sample
                        .waiting(sample.server_cpu)
                        .map_or("–".into(), percent),
                    format_micros(sample.server_cpu_per_request()),
                    sample.busy(sample.load_cpu).map_or("–".into(), percent),
                    sample.errors,
                    sample.logins,
                );
            }
        }
        let _ = writeln!(
            out,
            "\nBusy: the share of the measured window the thread was on a CPU; waited: the share \
             it was ready to run but another thread had the CPU (`/proc/<tid>/schedstat`). \
             Server CPU/request: the server thread's CPU time over the requests it answered.\n"
        );
        for outcome in &self.outcomes {
            let _ = writeln!(out, "- {}: {}.", outcome.variant, outcome.protection);
        }
    }
}

fn calls_per_request(samples: &[Sample]) -> String {
    let (mut reads, mut other, mut requests, mut logins) = (0, 0, 0, 0);
    for sample in samples {
        let Some(calls) = sample.calls else {
            return "–".into();
        };
        reads += calls.session_reads;
        other += calls.total - calls.session_reads;
        requests += sample.requests + sample.errors;
        logins += sample.logins;
    }
    let per_request = reads as f64 / requests.max(1) as f64;
    if other == 0 {
        format!("{per_request:.2}")
    } else {
        format!("{per_request:.2} (+ {other} calls by {logins} logins)")
    }
}

fn median_cpu_per_request(samples: &[Sample]) -> Option<Duration> {
    let values = samples
        .iter()
        .filter_map(|s| Some(s.server_cpu_per_request()?.as_secs_f64()))
        .collect();
    median(values).map(Duration::from_secs_f64)
}

fn format_micros(duration: Option<Duration>) -> String {
    duration.map_or("–".into(), |duration| {
        format!("{:.1} µs", duration.as_secs_f64() * 1e6)
    })
}

fn median_latency(samples: &[Sample], q: f64) -> Option<Duration> {
    let values = samples
        .iter()
        .map(|s| s.quantile(q).as_secs_f64())
        .collect();
    median(values).map(Duration::from_secs_f64)
}

/// The median; the mean of the middle two for an even count.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        len if len % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2.0),
    }
}

fn percent(ratio: f64) -> String {
    format!("{:.1} %", ratio * 100.0)
}

fn format_latency(latency: Option<Duration>) -> String {
    latency.map_or("–".into(), |latency| {
        format!("{:.2} ms", latency.as_secs_f64() * 1e3)
    })
}
