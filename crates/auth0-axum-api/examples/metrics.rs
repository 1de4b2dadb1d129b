//! Metrics for operators: every verification counted by outcome, scheme and error kind,
//! the verified-token cache, the issuer's key fetches and their latency, DPoP replays and
//! nonce challenges, served in Prometheus's text format at `GET /metrics` by the app itself.
//!
//! ```text
//! cargo run -p auth0-axum-api --features metrics --example metrics
//! ```
//!
//! Configuration (environment):
//! - `AUTH0_DOMAIN` or `AUTH0_ISSUER`, and `AUTH0_AUDIENCE`: the issuer and API identifier.
//!   With neither issuer variable, an embedded test issuer starts on 127.0.0.1 and a token
//!   and curl lines are printed.
//! - `PORT`: default 3000; the server binds 127.0.0.1.
//! - `RUST_LOG`: default `info,auth0_api=debug`, which shows refusals inside their
//!   `auth0.verify` span (`scheme`, `outcome`, `error`).
//!
//! Routes: `GET /protected` (any valid token), `GET /metrics`.
//!
//! In production, serve `/metrics` where only the scraper reaches it (a listener on an
//! internal address, or a network policy): refusal counts by kind tell a caller how far
//! their attempts got.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use auth0_api_testing::{Algorithm, TestIssuer};
use auth0_axum_api::{Auth0, Claims};
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Buckets for `auth0_key_fetch_duration_seconds`, from a fast local issuer to the fetch
/// timeout.
const FETCH_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,auth0_api=debug".into()),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Installs the Prometheus recorder (global, once per process) and returns its handle.
fn install_prometheus() -> Result<PrometheusHandle, BoxError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("auth0_key_fetch_duration_seconds".to_owned()),
            FETCH_BUCKETS,
        )?
        .install_recorder()?;
    // Help text and units for the `# HELP` / `# UNIT` lines.
    auth0_axum_api::auth0_api::describe_metrics();
    // Without the exporter's own HTTP listener, histogram samples are drained into their
    // buckets by upkeep (and by each render); run it so memory stays bounded between scrapes.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

async fn run() -> Result<(), BoxError> {
    let prometheus = install_prometheus()?;
    let port: u16 = match env("PORT") {
        Some(p) => p
            .parse()
            .map_err(|_| format!("PORT is not a port number: {p}"))?,
        None => 3000,
    };

    let mut test_issuer = None;
    let auth0 = match (env("AUTH0_DOMAIN"), env("AUTH0_ISSUER")) {
        (Some(domain), _) => Auth0::builder().domain(domain),
        (None, Some(issuer)) => Auth0::builder().issuer(issuer),
        (None, None) => {
            let issuer = TestIssuer::builder().key(Algorithm::ES256).start().await;
            let builder = Auth0::builder()
                .issuer(issuer.issuer())
                .audience(issuer.audience());
            test_issuer = Some(issuer);
            builder
        }
    };
    let auth0 = match env("AUTH0_AUDIENCE") {
        Some(audience) => auth0.audience(audience),
        None if test_issuer.is_some() => auth0,
        None => return Err("AUTH0_AUDIENCE is required with AUTH0_DOMAIN or AUTH0_ISSUER".into()),
    }
    .build()?;

    let app = Router::new()
        .route("/protected", get(protected))
        .route(
            "/metrics",
            get(move || {
                let body = prometheus.render();
                async move { ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response() }
            }),
        )
        .with_state(auth0);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("listening on {base}");
    if let Some(issuer) = &test_issuer {
        let token = issuer.token().sub("user-123").sign();
        println!();
        println!(
            "# 200, then auth0_verifications_total{{outcome=\"ok\",scheme=\"bearer\",error=\"none\"}}"
        );
        println!("curl -i -H 'Authorization: Bearer {token}' {base}/protected");
        println!("# 401, counted with error=\"malformed_token\"");
        println!("curl -i -H 'Authorization: Bearer not.a.token' {base}/protected");
        println!("# the metrics");
        println!("curl -s {base}/metrics");
        println!();
    }
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

async fn protected(claims: Claims) -> String {
    format!("Hello, {}\n", claims.sub().unwrap_or("?"))
}
