//! Micro-benchmarks of the hot pieces of the runtime core: `cargo bench -p lucia --bench core`.
//!
//! Token generation and hashing, cookie parsing, the CSRF origin check, one validation on the
//! memory adapter and one Argon2id hash.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method, Uri};
use lucia::csrf::check_request;
use lucia::password::{Argon2Hasher, PasswordHasher};
use lucia::request::cookie_values;
use lucia::{Auth, CsrfConfig, Env, MemoryAdapter, SessionToken};

fn tokens(c: &mut Criterion) {
    c.bench_function("token: generate", |b| {
        b.iter(|| black_box(SessionToken::generate()))
    });
    let token = SessionToken::generate().expect("random source");
    c.bench_function("token: parse + sha256 id", |b| {
        b.iter(|| black_box(SessionToken::parse(black_box(token.expose())).map(|t| t.id())))
    });
}

fn cookies(c: &mut Criterion) {
    let token = SessionToken::generate().expect("random source");
    let line = format!(
        "theme=dark; _ga=GA1.2.3.4; auth_session={}; lang=en",
        token.expose()
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        "cookie",
        HeaderValue::from_str(&line).expect("cookie header"),
    );
    c.bench_function("cookie: find auth_session among 4 pairs", |b| {
        b.iter(|| black_box(cookie_values(black_box(&headers), "auth_session").len()))
    });
}

fn csrf(c: &mut Criterion) {
    let config = CsrfConfig::default();
    let uri = Uri::from_static("/settings");
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("app.example.com"));
    headers.insert(
        "origin",
        HeaderValue::from_static("https://app.example.com"),
    );
    c.bench_function("csrf: same-origin POST", |b| {
        b.iter(|| {
            let verdict = check_request(&config, Env::Production, &Method::POST, &uri, &headers);
            black_box(verdict.is_ok())
        })
    });
}

fn validation(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let auth = Auth::<()>::builder(MemoryAdapter::new())
        .build()
        .expect("config");
    let token = runtime.block_on(async {
        let user = auth.create_user(None, ()).await.expect("user");
        let session = auth.create_session(&user.id).await.expect("session");
        session
            .token()
            .map(|t| t.expose().to_owned())
            .expect("token")
    });
    c.bench_function("validate_session_user: memory adapter", |b| {
        b.iter(|| {
            runtime
                .block_on(auth.validate_session_user(black_box(&token)))
                .map(drop)
        })
    });
}

fn hashing(c: &mut Criterion) {
    let hasher = Argon2Hasher::default();
    let mut group = c.benchmark_group("password");
    group.sample_size(10);
    group.bench_function("argon2id hash (m=19456, t=2, p=1)", |b| {
        b.iter(|| black_box(hasher.hash(black_box("correct horse battery"))))
    });
    group.finish();
}

criterion_group!(benches, tokens, cookies, csrf, validation, hashing);
criterion_main!(benches);
