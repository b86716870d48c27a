//! The main example app. Run it with `cargo run -p lucia-example`; configure it with
//! `LUCIA_ADDR`, `DATABASE_URL`, `LUCIA_ENV`, `LUCIA_ORIGIN`, `LUCIA_ACTIVE_PERIOD` and
//! `LUCIA_IDLE_PERIOD` (see the README).

use lucia_example::{AppConfig, build_auth, router};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal, so a log file or a pipe gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .init();
    if let Err(message) = run().await {
        tracing::error!("{message}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let config = AppConfig::from_env()?;
    let auth = build_auth(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", config.addr))?;
    let addr = listener.local_addr().map_err(|err| err.to_string())?;
    tracing::info!(
        "listening on http://{addr} with database {}",
        config.database_for_log()
    );
    axum::serve(listener, router(auth))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
        .await
        .map_err(|err| err.to_string())
}
