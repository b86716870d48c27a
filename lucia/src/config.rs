//! Configuration of an [`Auth`](crate::Auth) instance, built and checked by [`AuthBuilder`].

use std::fmt;
use std::sync::Arc;

use time::Duration;

use crate::adapter::Adapter;
use crate::auth::Auth;
use crate::clock::{Clock, SystemClock};
use crate::csrf::Origin;
use crate::password::{Argon2Hasher, HashingPriority, PasswordHasher, PasswordPolicy};
use crate::session::SessionToken;
use crate::user::UserAttributes;

/// The default session cookie name, as in Lucia.
pub const SESSION_COOKIE_NAME: &str = "auth_session";

/// A configuration value that browsers would drop or that makes no sense. The message names
/// the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: `{field}`: {message}")]
pub struct ConfigError {
    field: &'static str,
    message: String,
}

impl ConfigError {
    /// An error about `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The offending field's name.
    pub fn field(&self) -> &'static str {
        self.field
    }
}

/// Where the app runs. Production makes the session cookie `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Env {
    /// Local HTTP development: the session cookie is not `Secure` (a warning is logged once
    /// per process).
    #[default]
    Development,
    /// HTTPS: the session cookie is `Secure`.
    Production,
}

impl Env {
    /// The scheme a request is assumed to have come over when no origin is configured.
    pub fn scheme(self) -> &'static str {
        match self {
            Self::Development => "http",
            Self::Production => "https",
        }
    }
}

/// The `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Sent on top-level navigations from other sites (the default).
    #[default]
    Lax,
    /// Never sent on requests from other sites.
    Strict,
    /// Sent everywhere; only allowed with `Secure` (production).
    None,
}

/// Partial session-cookie settings: whatever is left `None` keeps its default, so setting
/// a domain never drops `Path` or `SameSite` (Lucia v1 replaced the whole object).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCookieOptions {
    /// Cookie name (default `auth_session`). A name starting with `__Secure-` needs
    /// production (`Secure`); one starting with `__Host-` also needs no `domain`.
    pub name: Option<String>,
    /// `SameSite` (default `Lax`).
    pub same_site: Option<SameSite>,
    /// `Domain` (default none: the cookie is host-only).
    pub domain: Option<String>,
    /// Prefix the name with `__Host-` (production only, no domain).
    pub host_prefix: bool,
}

/// The effective session-cookie settings, after merging with the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookieConfig {
    /// The full cookie name, prefix included.
    pub name: String,
    /// `SameSite`.
    pub same_site: SameSite,
    /// `Domain`, if any.
    pub domain: Option<String>,
    /// Always `/`.
    pub path: &'static str,
    /// `Secure` (production).
    pub secure: bool,
}

/// CSRF protection settings (used by request handling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfConfig {
    /// Whether unsafe methods must carry an acceptable `Origin` (default true).
    pub enabled: bool,
    /// The app's public origin. When unset, it is taken from the `Host` header with the
    /// scheme chosen by [`Env`].
    pub public_origin: Option<Origin>,
    /// Further origins allowed to send unsafe requests.
    pub allowed_origins: Vec<Origin>,
    /// A header set by a trusted proxy that carries the public host (`X-Forwarded-Host`).
    /// Used only when configured, only when no public origin is configured, and only on
    /// connections from one of `trusted_proxies`.
    pub forwarded_host_header: Option<http::HeaderName>,
    /// The peers (your proxies) whose `forwarded_host_header` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Accept `Sec-Fetch-Site: same-origin` when `Origin` is absent (default false).
    pub allow_sec_fetch_site: bool,
}

impl Default for CsrfConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            public_origin: None,
            allowed_origins: Vec::new(),
            forwarded_host_header: None,
            trusted_proxies: Vec::new(),
            allow_sec_fetch_site: false,
        }
    }
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetime {
    /// How long a new or renewed session is active (default 24 h).
    pub active_period: Duration,
    /// How long it stays idle after that, still valid and renewed on use (default 14 days).
    pub idle_period: Duration,
    /// The cap renewal never extends past, counted from creation (default 30 days;
    /// `None` turns it off).
    pub absolute_lifetime: Option<Duration>,
}

impl Default for SessionLifetime {
    fn default() -> Self {
        Self {
            active_period: Duration::hours(24),
            idle_period: Duration::days(14),
            absolute_lifetime: Some(Duration::days(30)),
        }
    }
}

/// The checked configuration of an `Auth` instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// Development or production.
    pub env: Env,
    /// Session lifetimes.
    pub lifetime: SessionLifetime,
    /// Session cookie settings.
    pub cookie: SessionCookieConfig,
    /// CSRF settings.
    pub csrf: CsrfConfig,
    /// Password length rules.
    pub password_policy: PasswordPolicy,
}

/// Generates user ids for users created without one.
pub type UserIdGenerator = Arc<dyn Fn() -> String + Send + Sync>;

/// Generates session tokens (default: [`SessionToken::generate`], the OS CSPRNG).
pub type SessionTokenGenerator = Arc<dyn Fn() -> crate::Result<SessionToken> + Send + Sync>;

/// Builds an [`Auth`]. Start from [`Auth::builder`].
///
/// ```
/// use lucia::{Auth, Env, MemoryAdapter, SameSite, SessionCookieOptions};
///
/// let auth = Auth::<()>::builder(MemoryAdapter::new())
///     .env(Env::Production)
///     .session_cookie(SessionCookieOptions {
///         same_site: Some(SameSite::Strict),
///         host_prefix: true,
///         ..Default::default()
///     })
///     .allowed_origins(["https://admin.example.com"])
///     .build()
///     .unwrap();
/// assert_eq!(auth.config().cookie.name, "__Host-auth_session");
/// ```
pub struct AuthBuilder<U: UserAttributes> {
    pub(crate) adapter: Arc<dyn Adapter<U>>,
    env: Env,
    lifetime: SessionLifetime,
    cookie: SessionCookieOptions,
    csrf_enabled: bool,
    public_origin: Option<String>,
    allowed_origins: Vec<String>,
    forwarded_host_header: Option<String>,
    trusted_proxies: Vec<std::net::IpAddr>,
    allow_sec_fetch_site: bool,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) user_id_generator: Option<UserIdGenerator>,
    pub(crate) session_token_generator: SessionTokenGenerator,
    password_policy: PasswordPolicy,
    pub(crate) hashing_concurrency: usize,
    pub(crate) hashing_priority: HashingPriority,
}

impl<U: UserAttributes> fmt::Debug for AuthBuilder<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthBuilder")
            .field("env", &self.env)
            .field("lifetime", &self.lifetime)
            .field("cookie", &self.cookie)
            .finish_non_exhaustive()
    }
}

impl<U: UserAttributes> AuthBuilder<U> {
    pub(crate) fn new(adapter: Arc<dyn Adapter<U>>) -> Self {
        Self {
            adapter,
            env: Env::default(),
            lifetime: SessionLifetime::default(),
            cookie: SessionCookieOptions::default(),
            csrf_enabled: true,
            public_origin: None,
            allowed_origins: Vec::new(),
            forwarded_host_header: None,
            trusted_proxies: Vec::new(),
            allow_sec_fetch_site: false,
            hasher: Arc::new(Argon2Hasher::default()),
            clock: Arc::new(SystemClock),
            user_id_generator: None,
            session_token_generator: Arc::new(SessionToken::generate),
            password_policy: PasswordPolicy::default(),
            hashing_concurrency: std::thread::available_parallelism().map_or(2, usize::from),
            hashing_priority: HashingPriority::default(),
        }
    }

    /// Development (default) or production (`Secure` cookies).
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// The active period (default 24 h) and the idle period added on top (default 14 days).
    pub fn session_expires_in(mut self, active_period: Duration, idle_period: Duration) -> Self {
        self.lifetime.active_period = active_period;
        self.lifetime.idle_period = idle_period;
        self
    }

    /// The absolute lifetime cap from creation (default 30 days); `None` turns it off.
    pub fn absolute_lifetime(mut self, cap: Option<Duration>) -> Self {
        self.lifetime.absolute_lifetime = cap;
        self
    }

    /// Session-cookie settings, merged into the defaults field by field.
    pub fn session_cookie(mut self, options: SessionCookieOptions) -> Self {
        self.cookie = options;
        self
    }

    /// Turns the CSRF origin check on (default) or off.
    pub fn csrf_protection(mut self, enabled: bool) -> Self {
        self.csrf_enabled = enabled;
        self
    }

    /// The app's public origin (`https://app.example.com`), for the CSRF check. Recommended
    /// in production, and required behind a proxy unless a forwarded-host header is trusted.
    pub fn public_origin(mut self, origin: impl Into<String>) -> Self {
        self.public_origin = Some(origin.into());
        self
    }

    /// Further origins allowed to send unsafe (non-GET) requests with the session cookie.
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_origins
            .extend(origins.into_iter().map(Into::into));
        self
    }

    /// Trusts a header set by your proxy for the public host (for example
    /// `X-Forwarded-Host`). Only configure it when the proxy always overwrites the header,
    /// and name the proxy with [`AuthBuilder::trusted_proxies`]: the header is read only on
    /// connections from those addresses, never from a client that reaches the app directly.
    pub fn trust_forwarded_host_header(mut self, header: impl Into<String>) -> Self {
        self.forwarded_host_header = Some(header.into());
        self
    }

    /// The addresses of your proxies, whose forwarded-host header is believed. The peer
    /// address of a request is the [`PeerAddr`](crate::request::PeerAddr) extension your
    /// server inserts (with axum, from `ConnectInfo<SocketAddr>`); without it the header is
    /// never read.
    pub fn trusted_proxies(mut self, proxies: impl IntoIterator<Item = std::net::IpAddr>) -> Self {
        self.trusted_proxies.extend(proxies);
        self
    }

    /// Accept `Sec-Fetch-Site: same-origin` on unsafe requests that carry no `Origin`.
    pub fn allow_sec_fetch_site(mut self, allow: bool) -> Self {
        self.allow_sec_fetch_site = allow;
        self
    }

    /// Replaces the password hasher (default: [`Argon2Hasher`]).
    pub fn password_hasher(mut self, hasher: impl PasswordHasher) -> Self {
        self.hasher = Arc::new(hasher);
        self
    }

    /// Replaces the password length policy.
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.password_policy = policy;
        self
    }

    /// How many password hashes may run at once, each on a thread of its own (default: the
    /// number of cores).
    pub fn hashing_concurrency(mut self, permits: usize) -> Self {
        self.hashing_concurrency = permits;
        self
    }

    /// The CPU priority of hashing threads (default [`HashingPriority::Background`]: below
    /// request handling, so a login flood does not slow every signed-in request).
    pub fn hashing_priority(mut self, priority: HashingPriority) -> Self {
        self.hashing_priority = priority;
        self
    }

    /// Replaces the clock (tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Generates ids for users created without one (default: 15 random characters).
    pub fn user_id_generator(
        mut self,
        generate: impl Fn() -> String + Send + Sync + 'static,
    ) -> Self {
        self.user_id_generator = Some(Arc::new(generate));
        self
    }

    /// Replaces the session token source (default: 200 bits from the OS CSPRNG through
    /// [`SessionToken::generate`]), for tests that need a predictable token, such as a forced
    /// id collision. Only with the `testing` feature, which applications should enable as a
    /// dev-dependency only: never call this outside tests.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn session_token_generator(
        mut self,
        generate: impl Fn() -> crate::Result<SessionToken> + Send + Sync + 'static,
    ) -> Self {
        self.session_token_generator = Arc::new(generate);
        self
    }

    /// Checks the configuration and builds the `Auth` instance.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first field that is invalid.
    pub fn build(self) -> Result<Auth<U>, ConfigError> {
        let config = Config {
            env: self.env,
            lifetime: check_lifetime(self.lifetime)?,
            cookie: merge_cookie(self.env, &self.cookie)?,
            csrf: self.csrf_config()?,
            password_policy: check_policy(self.password_policy)?,
        };
        if self.hashing_concurrency == 0 {
            return Err(ConfigError::new(
                "hashing_concurrency",
                "must be at least 1",
            ));
        }
        if config.env == Env::Development {
            // Once per process: apps and tests that build many instances would repeat it.
            static DEVELOPMENT_WARNING: std::sync::Once = std::sync::Once::new();
            DEVELOPMENT_WARNING.call_once(|| {
                tracing::warn!(
                    target: "lucia::config",
                    "development mode: the session cookie is sent without `Secure`"
                );
            });
        }
        Ok(Auth::from_parts(self, config))
    }

    fn csrf_config(&self) -> Result<CsrfConfig, ConfigError> {
        let public_origin = self
            .public_origin
            .as_deref()
            .map(|raw| Origin::parse_config("public_origin", raw))
            .transpose()?;
        let allowed_origins = self
            .allowed_origins
            .iter()
            .map(|raw| Origin::parse_config("allowed_origins", raw))
            .collect::<Result<_, _>>()?;
        let forwarded_host_header = self
            .forwarded_host_header
            .as_deref()
            .map(|raw| {
                http::HeaderName::try_from(raw).map_err(|_| {
                    ConfigError::new(
                        "forwarded_host_header",
                        format!("`{raw}` is not a header name"),
                    )
                })
            })
            .transpose()?;
        if forwarded_host_header.is_some() && self.trusted_proxies.is_empty() {
            // Believed from anyone, the header would let a direct client pick the origin.
            return Err(ConfigError::new(
                "forwarded_host_header",
                "needs `trusted_proxies`: the header is read only from those peers",
            ));
        }
        Ok(CsrfConfig {
            enabled: self.csrf_enabled,
            public_origin,
            allowed_origins,
            forwarded_host_header,
            trusted_proxies: self.trusted_proxies.clone(),
            allow_sec_fetch_site: self.allow_sec_fetch_site,
        })
    }
}

fn check_lifetime(lifetime: SessionLifetime) -> Result<SessionLifetime, ConfigError> {
    if lifetime.active_period <= Duration::ZERO {
        return Err(ConfigError::new("active_period", "must be positive"));
    }
    if lifetime.idle_period < Duration::ZERO {
        return Err(ConfigError::new("idle_period", "must not be negative"));
    }
    if lifetime
        .absolute_lifetime
        .is_some_and(|cap| cap < lifetime.active_period)
    {
        return Err(ConfigError::new(
            "absolute_lifetime",
            "must be at least the active period",
        ));
    }
    Ok(lifetime)
}

fn check_policy(policy: PasswordPolicy) -> Result<PasswordPolicy, ConfigError> {
    if policy.min_chars == 0 {
        return Err(ConfigError::new(
            "password_policy.min_chars",
            "must be at least 1",
        ));
    }
    if policy.max_chars < policy.min_chars {
        return Err(ConfigError::new(
            "password_policy.max_chars",
            "must be at least `min_chars`",
        ));
    }
    if policy.max_bytes < policy.max_chars.min(64) {
        return Err(ConfigError::new(
            "password_policy.max_bytes",
            "must allow at least 64 bytes",
        ));
    }
    Ok(policy)
}

fn merge_cookie(
    env: Env,
    options: &SessionCookieOptions,
) -> Result<SessionCookieConfig, ConfigError> {
    let secure = env == Env::Production;
    let base = options
        .name
        .clone()
        .unwrap_or_else(|| SESSION_COOKIE_NAME.to_owned());
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if base.is_empty() || !base.chars().all(is_token_char) {
        return Err(ConfigError::new(
            "session_cookie.name",
            format!("`{base}` is not a cookie name"),
        ));
    }
    let same_site = options.same_site.unwrap_or_default();
    if same_site == SameSite::None && !secure {
        return Err(ConfigError::new(
            "session_cookie.same_site",
            "`SameSite=None` needs `Secure`, which only production sets",
        ));
    }
    let domain = options.domain.clone().filter(|domain| !domain.is_empty());
    if let Some(domain) = &domain {
        let valid = domain.len() <= 253
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid {
            return Err(ConfigError::new(
                "session_cookie.domain",
                format!("`{domain}` is not a domain"),
            ));
        }
    }
    let name = if options.host_prefix {
        if !secure {
            return Err(ConfigError::new(
                "session_cookie.host_prefix",
                "`__Host-` cookies need `Secure`, which only production sets",
            ));
        }
        if domain.is_some() {
            return Err(ConfigError::new(
                "session_cookie.host_prefix",
                "`__Host-` cookies must not have a `Domain`",
            ));
        }
        format!("__Host-{base}")
    } else {
        base
    };
    check_name_prefix(&name, secure, domain.is_some())?;
    Ok(SessionCookieConfig {
        name,
        same_site,
        domain,
        path: "/",
        secure,
    })
}

/// Browsers drop a cookie whose name claims a prefix its attributes break, so the app would
/// sign users in and never see the session again. The prefixes match ASCII case-insensitively
/// (RFC 6265bis 5.7); the path is always `/`.
fn check_name_prefix(name: &str, secure: bool, has_domain: bool) -> Result<(), ConfigError> {
    let starts_with = |prefix: &str| {
        name.get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    };
    let broken = if starts_with("__Host-") {
        if !secure {
            Some("`__Host-` cookies need `Secure`, which only production sets")
        } else if has_domain {
            Some("`__Host-` cookies must not have a `Domain`")
        } else {
            None
        }
    } else if starts_with("__Secure-") && !secure {
        Some("`__Secure-` cookies need `Secure`, which only production sets")
    } else {
        None
    };
    match broken {
        Some(message) => Err(ConfigError::new("session_cookie.name", message)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryAdapter;

    fn builder() -> AuthBuilder<()> {
        crate::Auth::builder(MemoryAdapter::new())
    }

    #[test]
    fn partial_cookie_settings_merge_into_defaults() {
        let auth = builder()
            .session_cookie(SessionCookieOptions {
                domain: Some("example.com".into()),
                ..Default::default()
            })
            .build()
            .unwrap();
        let cookie = &auth.config().cookie;
        assert_eq!(cookie.name, "auth_session");
        assert_eq!(cookie.same_site, SameSite::Lax);
        assert_eq!(cookie.path, "/");
        assert_eq!(cookie.domain.as_deref(), Some("example.com"));
        assert!(!cookie.secure);
    }

    #[test]
    fn combinations_browsers_drop_are_refused_with_the_field_named() {
        let host_with_domain = builder()
            .env(Env::Production)
            .session_cookie(SessionCookieOptions {
                host_prefix: true,
                domain: Some("example.com".into()),
                ..Default::default()
            })
            .build()
            .unwrap_err();
        assert_eq!(host_with_domain.field(), "session_cookie.host_prefix");

        let none_without_secure = builder()
            .session_cookie(SessionCookieOptions {
                same_site: Some(SameSite::None),
                ..Default::default()
            })
            .build()
            .unwrap_err();
        assert_eq!(none_without_secure.field(), "session_cookie.same_site");
        assert!(
            none_without_secure
                .to_string()
                .contains("session_cookie.same_site")
        );

        let bad_origin = builder()
            .allowed_origins(["https://a.test/"])
            .build()
            .unwrap_err();
        assert_eq!(bad_origin.field(), "allowed_origins");

        let bad_lifetime = builder()
            .session_expires_in(Duration::ZERO, Duration::days(1))
            .build()
            .unwrap_err();
        assert_eq!(bad_lifetime.field(), "active_period");
    }

    fn named(env: Env, name: &str, domain: Option<&str>) -> Result<Auth<()>, ConfigError> {
        builder()
            .env(env)
            .session_cookie(SessionCookieOptions {
                name: Some(name.into()),
                domain: domain.map(str::to_owned),
                ..Default::default()
            })
            .build()
    }

    #[test]
    fn prefixed_names_whose_rules_fail_are_refused_as_browsers_would_drop_them() {
        let refused = [
            (Env::Production, "__Host-sid", Some("example.com")),
            (Env::Production, "__host-sid", Some("example.com")),
            (Env::Development, "__Host-sid", None),
            (Env::Development, "__HOST-sid", None),
            (Env::Development, "__Secure-sid", None),
            (Env::Development, "__sEcUrE-sid", Some("example.com")),
        ];
        for (env, name, domain) in refused {
            let err = named(env, name, domain).unwrap_err();
            assert_eq!(err.field(), "session_cookie.name", "{name} {env:?}");
        }

        let accepted = [
            (Env::Production, "__Host-sid", None),
            (Env::Production, "__Secure-sid", Some("example.com")),
            (Env::Development, "__Hostile-sid", None),
            (Env::Development, "_Secure-sid", None),
        ];
        for (env, name, domain) in accepted {
            let auth = named(env, name, domain).unwrap();
            assert_eq!(auth.config().cookie.name, name);
        }
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_development_warning_is_logged_at_most_once_per_process() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            for _ in 0..3 {
                builder().build().unwrap();
            }
        });
        let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        // Another test in this process may have logged it already, so zero counts too.
        assert!(logs.matches("development mode").count() <= 1, "{logs}");
    }

    #[test]
    fn production_cookies_are_secure_and_may_use_the_host_prefix() {
        let auth = builder()
            .env(Env::Production)
            .session_cookie(SessionCookieOptions {
                host_prefix: true,
                ..Default::default()
            })
            .build()
            .unwrap();
        assert!(auth.config().cookie.secure);
        assert_eq!(auth.config().cookie.name, "__Host-auth_session");
    }
}
