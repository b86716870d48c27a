//! CPU time of one thread, from `/proc`: whether the server thread had its core, and what a
//! request cost it.

use std::path::PathBuf;
use std::time::Duration;

/// Linux reports thread times in clock ticks of 1/100 s on every common architecture.
const TICKS_PER_SECOND: u64 = 100;

/// Where to read one thread's CPU time.
#[derive(Debug, Clone)]
pub struct ThreadClock {
    stat: PathBuf,
}

impl ThreadClock {
    /// The calling thread.
    pub fn current() -> Self {
        Self {
            stat: PathBuf::from("/proc/thread-self/stat"),
        }
    }

    /// The thread of this process named `name` (as `/proc` shows it: at most 15 bytes).
    pub fn named(name: &str) -> Option<Self> {
        let tasks = std::fs::read_dir("/proc/self/task").ok()?;
        tasks.flatten().find_map(|task| {
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            (comm.trim_end() == name).then(|| Self {
                stat: task.path().join("stat"),
            })
        })
    }

    /// Time on a CPU and time waiting for one, so far; `None` if `/proc` cannot tell.
    pub fn read(&self) -> Option<CpuTimes> {
        self.read_schedstat().or_else(|| self.read_stat())
    }

    /// `schedstat`: nanoseconds on a CPU, nanoseconds runnable but waiting, time slices.
    fn read_schedstat(&self) -> Option<CpuTimes> {
        let schedstat = std::fs::read_to_string(self.stat.with_file_name("schedstat")).ok()?;
        let mut fields = schedstat.split_whitespace();
        let running: u64 = fields.next()?.parse().ok()?;
        let waiting: u64 = fields.next()?.parse().ok()?;
        // A kernel without scheduler statistics reports zeros.
        (running > 0).then(|| CpuTimes {
            running: Duration::from_nanos(running),
            waiting: Some(Duration::from_nanos(waiting)),
        })
    }

    /// `stat`: user and system time in clock ticks; no waiting time.
    fn read_stat(&self) -> Option<CpuTimes> {
        let stat = std::fs::read_to_string(&self.stat).ok()?;
        // The thread name may hold spaces and parentheses; the fields follow the last `)`.
        let (_, fields) = stat.rsplit_once(')')?;
        let mut fields = fields.split_whitespace().skip(11);
        let user: u64 = fields.next()?.parse().ok()?;
        let system: u64 = fields.next()?.parse().ok()?;
        Some(CpuTimes {
            running: Duration::from_millis((user + system) * 1000 / TICKS_PER_SECOND),
            waiting: None,
        })
    }
}

/// A thread's scheduler times.
#[derive(Debug, Clone, Copy)]
pub struct CpuTimes {
    /// On a CPU.
    pub running: Duration,
    /// Runnable but waiting for a CPU (another thread had it), if the kernel tells.
    pub waiting: Option<Duration>,
}

impl CpuTimes {
    /// The times from `before` to `self`.
    pub fn since(self, before: Self) -> Self {
        Self {
            running: self.running.saturating_sub(before.running),
            waiting: self
                .waiting
                .zip(before.waiting)
                .map(|(after, before)| after.saturating_sub(before)),
        }
    }
}
