//! CPU time of one thread, from `/proc`: tells whether the server core was saturated.

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

    /// User plus system time so far; `None` if `/proc` cannot tell.
    pub fn read(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(&self.stat).ok()?;
        // The thread name may hold spaces and parentheses; the fields follow the last `)`.
        let (_, fields) = stat.rsplit_once(')')?;
        let mut fields = fields.split_whitespace().skip(11);
        let user: u64 = fields.next()?.parse().ok()?;
        let system: u64 = fields.next()?.parse().ok()?;
        Some(Duration::from_millis(
            (user + system) * 1000 / TICKS_PER_SECOND,
        ))
    }
}
