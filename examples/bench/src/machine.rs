//! What the numbers were measured on.

use std::fmt;

/// The machine and the moment of the run.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs this process may use (what `nproc` prints).
    pub cpus: usize,
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// The 1-minute load average when the run started.
    pub load_average: String,
    /// The kernel release.
    pub kernel: String,
    /// When the run started, UTC.
    pub date: String,
    /// `release` or `debug`.
    pub profile: &'static str,
}

impl Machine {
    /// Reads the machine facts; what cannot be read is reported as `unknown`.
    pub fn read() -> Self {
        let cpuinfo = read_proc("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let load_average = read_proc("/proc/loadavg")
            .split_whitespace()
            .next()
            .unwrap_or("unknown")
            .to_owned();
        Self {
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model,
            load_average,
            kernel: read_proc("/proc/sys/kernel/osrelease").trim().to_owned(),
            date: utc_now(),
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} CPUs (`nproc`), {}, Linux {}; load average {} at start; {} UTC; {} build",
            self.cpus, self.cpu_model, self.kernel, self.load_average, self.date, self.profile
        )
    }
}

fn read_proc(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn utc_now() -> String {
    let now = lucia::time::OffsetDateTime::now_utc();
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}
