//! The app's configuration, read from environment variables (all optional).

use std::net::SocketAddr;

use lucia::Env;
use time::Duration;

/// Where the app listens, what it stores in, and how it sets up `lucia`.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// `LUCIA_ADDR`, default `127.0.0.1:3000`.
    pub addr: SocketAddr,
    /// `DATABASE_URL`, default the SQLite file `lucia-example.db` in the working directory.
    pub database_url: String,
    /// `LUCIA_ENV`: `development` (default) or `production` (Secure cookies).
    pub env: Env,
    /// `LUCIA_ORIGIN`: the public origin for the CSRF check, for example behind a proxy.
    pub origin: Option<String>,
    /// `LUCIA_ACTIVE_PERIOD` in seconds (default: the library's, 24 h).
    pub active_period: Option<Duration>,
    /// `LUCIA_IDLE_PERIOD` in seconds (default: the library's, 14 days).
    pub idle_period: Option<Duration>,
}

/// The default database: a SQLite file beside where the app runs, created on start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://lucia-example.db?mode=rwc";

impl AppConfig {
    /// Reads the configuration from the environment.
    ///
    /// # Errors
    /// A message naming the variable that does not parse.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (tests pass a map).
    ///
    /// # Errors
    /// A message naming the variable that does not parse.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let addr = match lookup("LUCIA_ADDR") {
            Some(raw) => raw
                .parse()
                .map_err(|_| format!("LUCIA_ADDR: `{raw}` is not host:port"))?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let env = match lookup("LUCIA_ENV").as_deref() {
            None | Some("development") => Env::Development,
            Some("production") => Env::Production,
            Some(other) => {
                return Err(format!(
                    "LUCIA_ENV: `{other}` is neither development nor production"
                ));
            }
        };
        Ok(Self {
            addr,
            database_url: lookup("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            env,
            origin: lookup("LUCIA_ORIGIN"),
            active_period: seconds(&lookup, "LUCIA_ACTIVE_PERIOD")?,
            idle_period: seconds(&lookup, "LUCIA_IDLE_PERIOD")?,
        })
    }

    /// The database URL without its password, for the start-up log line.
    pub fn database_for_log(&self) -> String {
        match self.database_url.split_once('@') {
            Some((scheme_and_user, host)) => {
                let scheme = scheme_and_user.split("://").next().unwrap_or("db");
                format!("{scheme}://…@{host}")
            }
            None => self.database_url.clone(),
        }
    }
}

fn seconds(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<Duration>, String> {
    lookup(name)
        .map(|raw| {
            raw.parse::<u32>()
                .ok()
                .filter(|&secs| secs > 0)
                .map(|secs| Duration::seconds(i64::from(secs)))
                .ok_or_else(|| format!("{name}: `{raw}` is not a positive number of seconds"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let config = AppConfig::from_lookup(|_| None).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.env, Env::Development);

        let config = AppConfig::from_lookup(|name| match name {
            "LUCIA_ENV" => Some("production".into()),
            "LUCIA_IDLE_PERIOD" => Some("60".into()),
            "DATABASE_URL" => Some("postgres://me:secret@db/app".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.env, Env::Production);
        assert_eq!(config.idle_period, Some(Duration::minutes(1)));
        assert!(!config.database_for_log().contains("secret"));
        assert!(
            AppConfig::from_lookup(|name| (name == "LUCIA_ACTIVE_PERIOD").then(|| "-1".into()))
                .is_err()
        );
    }
}
