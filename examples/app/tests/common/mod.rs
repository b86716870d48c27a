//! Starting the example app for a test: an ephemeral port on loopback, the app's own
//! configuration from a few variables, and a client that neither follows redirects nor keeps
//! cookies (each test says which cookie it sends).
#![allow(dead_code, clippy::unwrap_used)] // each test file uses a different subset

use lucia::Auth;
use lucia_example::{AppConfig, AppUser, build_auth, router};

/// A running app: its base URL (also its origin) and its `Auth`, for looking behind the HTTP.
pub struct Running {
    pub base: String,
    pub auth: Auth<AppUser>,
    pub server: tokio::task::JoinHandle<()>,
}

/// Serves the app over `database_url` with these further variables (`LUCIA_ENV`, ...).
pub async fn serve(database_url: &str, variables: &[(&str, &str)]) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let config = AppConfig::from_lookup(|name| match name {
        "DATABASE_URL" => Some(database_url.to_owned()),
        "LUCIA_ADDR" => Some(addr.clone()),
        _ => variables
            .iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| (*value).to_owned()),
    })
    .unwrap();
    let auth = build_auth(&config).await.unwrap();
    let app = router(auth.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Running {
        base: format!("http://{addr}"),
        auth,
        server,
    }
}

/// The SQLite URL of a fresh database file in `dir`.
pub fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display())
}

/// A client that never follows redirects and keeps no cookies.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
