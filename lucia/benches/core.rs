//! Micro-benchmarks of the runtime core: `cargo bench -p lucia --features testing --bench core`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lucia::password::{Argon2Hasher, PasswordHasher};
use lucia::{Auth, MemoryAdapter, SessionToken};

fn tokens(c: &mut Criterion) {
    c.bench_function("token: generate", |b| {
        b.iter(|| black_box(SessionToken::generate()))
    });
    let token = SessionToken::generate().expect("random source");
    c.bench_function("token: parse + sha256 id", |b| {
        b.iter(|| black_box(SessionToken::parse(black_box(token.expose())).map(|t| t.id())))
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

criterion_group!(benches, tokens, validation, hashing);
criterion_main!(benches);
