//! The runtime core's decisions, each pinned by the attack or fault it stops (issue 2).
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used)] // test helpers may panic

use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use lucia::adapter::{Adapter, SessionAdapter, UserAdapter};
use lucia::clock::{Clock, MockClock};
use lucia::key::{KeyId, KeyRecord};
use lucia::password::PasswordHasher;
use lucia::session::SessionRecord;
use lucia::testing::{
    CountingAdapter, CountingHasher, HashCounts, PlainHasher, TickingClock, lucia_v1_hash,
};
use lucia::{Auth, Error, MemoryAdapter, NewKey, SessionId, SessionToken, User};
use time::Duration;

fn counting_auth() -> (Auth<()>, Arc<HashCounts>) {
    let hasher = CountingHasher::new(PlainHasher);
    let counts = hasher.counts();
    let auth = Auth::builder(MemoryAdapter::new())
        .password_hasher(hasher)
        .build()
        .unwrap();
    (auth, counts)
}

fn username_key(name: &str, password: Option<&str>) -> NewKey {
    NewKey {
        provider_id: "username".into(),
        provider_user_id: name.into(),
        password: password.map(str::to_owned),
    }
}

// ---- decision 1: tokens -----------------------------------------------------------------

/// Chi-squared statistic of `counts` against a uniform distribution.
fn chi_squared(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|&n| (n as f64 - expected).powi(2) / expected)
        .sum()
}

fn symbol_counts(samples: usize) -> (Vec<u64>, Vec<Vec<u64>>, HashSet<String>) {
    const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz234567";
    let mut overall = vec![0_u64; 32];
    let mut per_position = vec![vec![0_u64; 32]; 40];
    let mut seen = HashSet::with_capacity(samples);
    for _ in 0..samples {
        let token = SessionToken::generate().unwrap();
        for (position, symbol) in token.expose().chars().enumerate() {
            let index = ALPHABET.find(symbol).expect("symbol outside the alphabet");
            overall[index] += 1;
            per_position[position][index] += 1;
        }
        seen.insert(token.expose().to_owned());
    }
    (overall, per_position, seen)
}

#[test]
fn tokens_use_every_symbol_uniformly_and_never_repeat() {
    // Case 30 (RUSTSEC-2024-0343): an encoder that silently drops symbols. 31 degrees of
    // freedom: 61.1 is the p = 0.001 critical value, 84.2 the p = 1e-6 one. A true uniform
    // source fails the first one time in a thousand, so one fresh sample is allowed; a
    // biased encoder fails both.
    let passes = || {
        let (overall, per_position, seen) = symbol_counts(200_000);
        assert_eq!(seen.len(), 200_000, "duplicate tokens");
        assert!(overall.iter().all(|&n| n > 0), "a symbol never occurs");
        let positions_ok = per_position.iter().all(|counts| chi_squared(counts) < 84.2);
        positions_ok && chi_squared(&overall) < 61.1
    };
    assert!(passes() || passes(), "token symbols are not uniform");
}

#[tokio::test]
async fn the_store_sees_only_the_sha256_of_the_token() {
    let adapter = Arc::new(MemoryAdapter::<()>::new());
    let auth = Auth::builder_shared(adapter.clone()).build().unwrap();
    let user = auth.create_user(None, ()).await.unwrap();
    let session = auth.create_session(&user.id).await.unwrap();
    let token = session.token().unwrap().expose().to_owned();

    let stored = adapter.get_sessions_by_user(&user.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].id.as_str(), token);
    assert!(!stored[0].id.as_str().contains(&token));
    assert_eq!(stored[0].id, SessionToken::parse(&token).unwrap().id());
    // A stored id is not a token: presenting it as a cookie opens nothing.
    assert!(matches!(
        auth.validate_session(stored[0].id.as_str()).await,
        Err(Error::InvalidSessionId)
    ));
}

// ---- decision 2: renewal in place ------------------------------------------------------

fn clocked_auth(clock: Arc<MockClock>) -> (Auth<()>, Arc<MemoryAdapter<()>>) {
    let adapter = Arc::new(MemoryAdapter::new());
    let auth = Auth::builder_shared(adapter.clone())
        .clock(clock)
        .session_expires_in(Duration::hours(1), Duration::hours(2))
        .absolute_lifetime(Some(Duration::hours(5)))
        .build()
        .unwrap();
    (auth, adapter)
}

#[tokio::test]
async fn idle_sessions_are_renewed_in_place_and_capped_by_the_absolute_lifetime() {
    let clock = Arc::new(MockClock::starting_now());
    let (auth, adapter) = clocked_auth(clock.clone());
    let user = auth.create_user(None, ()).await.unwrap();
    let created = auth.create_session(&user.id).await.unwrap();
    let token = created.token().unwrap().expose().to_owned();

    let active = auth.validate_session(&token).await.unwrap();
    assert!(!active.fresh, "an active session needs no new cookie");

    clock.advance(Duration::minutes(90));
    let renewed = auth.validate_session(&token).await.unwrap();
    assert!(renewed.fresh);
    assert_eq!(renewed.id, created.id, "renewal keeps the same session");
    assert_eq!(renewed.active_expires, clock.now() + Duration::hours(1));
    assert_eq!(
        adapter.get_sessions_by_user(&user.id).await.unwrap().len(),
        1
    );

    // Keep renewing: the cap at created + 5 h holds.
    for _ in 0..6 {
        clock.advance(Duration::minutes(61));
        if let Ok(session) = auth.validate_session(&token).await {
            assert!(session.idle_expires <= created.created_at + Duration::hours(5));
        }
    }
    clock.set(created.created_at + Duration::hours(5));
    assert!(matches!(
        auth.validate_session(&token).await,
        Err(Error::InvalidSessionId)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_validations_of_one_idle_session_converge_on_one_renewal() {
    // Every validation reads the idle session before any renews, and each asks for other
    // expiries (the clock ticks on every reading): an unconditional renewal fails here.
    const REQUESTS: usize = 32;
    let clock = Arc::new(TickingClock::starting_now());
    let adapter = Arc::new(CountingAdapter::holding_session_reads(
        MemoryAdapter::<()>::new(),
        REQUESTS,
    ));
    let counts = adapter.counts();
    let auth = Auth::builder_shared(adapter.clone())
        .clock(clock.clone())
        .session_expires_in(Duration::hours(1), Duration::hours(2))
        .build()
        .unwrap();
    let user = auth.create_user(None, ()).await.unwrap();
    let token = auth
        .create_session(&user.id)
        .await
        .unwrap()
        .token()
        .unwrap()
        .expose()
        .to_owned();
    clock.advance(Duration::minutes(90));

    let tasks: Vec<_> = (0..REQUESTS)
        .map(|_| {
            let auth = auth.clone();
            let token = token.clone();
            tokio::spawn(async move { auth.validate_session(&token).await })
        })
        .collect();
    let mut expiries = HashSet::new();
    for task in tasks {
        let session = task.await.unwrap().expect("no validation may fail");
        assert!(session.fresh);
        expiries.insert((session.active_expires, session.idle_expires));
    }
    assert_eq!(counts.renewals(), REQUESTS as u64);
    assert_eq!(
        counts.effective_renewals(),
        1,
        "exactly one renewal takes effect"
    );
    assert_eq!(expiries.len(), 1, "every caller sees the one renewal");
    let stored = adapter.get_sessions_by_user(&user.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    let (active, idle) = expiries.into_iter().next().unwrap();
    assert_eq!(stored[0].active_expires, lucia::clock::to_millis(active));
    assert_eq!(stored[0].idle_expires, lucia::clock::to_millis(idle));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_invalidated_during_renewal_stays_dead() {
    const VALIDATORS: usize = 3;
    let clock = Arc::new(MockClock::starting_now());
    let (auth, adapter) = clocked_auth(clock.clone());
    let user = auth.create_user(None, ()).await.unwrap();
    for _round in 0..200 {
        let session = auth.create_session(&user.id).await.unwrap();
        let token = session.token().unwrap().expose().to_owned();
        clock.advance(Duration::minutes(90)); // idle: every validation renews
        let start = Arc::new(tokio::sync::Barrier::new(VALIDATORS + 1));
        let logged_out = Arc::new(AtomicBool::new(false));

        let logout = tokio::spawn({
            let (auth, id) = (auth.clone(), session.id.clone());
            let (start, logged_out) = (start.clone(), logged_out.clone());
            async move {
                start.wait().await;
                auth.invalidate_session(&id).await.unwrap();
                logged_out.store(true, Ordering::SeqCst);
            }
        });
        let validators: Vec<_> = (0..VALIDATORS)
            .map(|_| {
                let (auth, token) = (auth.clone(), token.clone());
                let (start, logged_out) = (start.clone(), logged_out.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    loop {
                        let after_logout = logged_out.load(Ordering::SeqCst);
                        match auth.validate_session(&token).await {
                            Ok(_) => assert!(!after_logout, "alive after its logout returned"),
                            Err(Error::InvalidSessionId) if after_logout => break,
                            Err(Error::InvalidSessionId) => {}
                            Err(err) => panic!("store failure: {err}"),
                        }
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        logout.await.unwrap();
        for validator in validators {
            validator.await.unwrap();
        }

        assert!(matches!(
            auth.get_session(&session.id).await,
            Err(Error::InvalidSessionId)
        ));
        assert!(
            adapter
                .get_sessions_by_user(&user.id)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

// ---- decision 3: a store failure is an error, not "logged out" -------------------------

/// Every call fails as a database that went away would.
struct DownAdapter;

fn down() -> Error {
    Error::adapter(std::io::Error::new(
        std::io::ErrorKind::ConnectionRefused,
        "connection refused",
    ))
}

#[async_trait]
impl UserAdapter<()> for DownAdapter {
    async fn get_user(&self, _: &str) -> lucia::Result<Option<User<()>>> {
        Err(down())
    }
    async fn insert_user(&self, _: &User<()>, _: Option<&KeyRecord>) -> lucia::Result<()> {
        Err(down())
    }
    async fn update_user(&self, _: &User<()>) -> lucia::Result<()> {
        Err(down())
    }
    async fn delete_user(&self, _: &str) -> lucia::Result<()> {
        Err(down())
    }
    async fn get_key(&self, _: &KeyId) -> lucia::Result<Option<KeyRecord>> {
        Err(down())
    }
    async fn get_keys_by_user(&self, _: &str) -> lucia::Result<Vec<KeyRecord>> {
        Err(down())
    }
    async fn insert_key(&self, _: &KeyRecord) -> lucia::Result<()> {
        Err(down())
    }
    async fn update_key_password(
        &self,
        _: &KeyId,
        _: Option<&str>,
    ) -> lucia::Result<Option<KeyRecord>> {
        Err(down())
    }
    async fn delete_non_primary_key(&self, _: &KeyId) -> lucia::Result<()> {
        Err(down())
    }
    async fn delete_keys_by_user(&self, _: &str) -> lucia::Result<()> {
        Err(down())
    }
}

#[async_trait]
impl SessionAdapter for DownAdapter {
    async fn get_session(&self, _: &SessionId) -> lucia::Result<Option<SessionRecord>> {
        Err(down())
    }
    async fn get_sessions_by_user(&self, _: &str) -> lucia::Result<Vec<SessionRecord>> {
        Err(down())
    }
    async fn insert_session(&self, _: &SessionRecord) -> lucia::Result<()> {
        Err(down())
    }
    async fn renew_session(
        &self,
        _: &SessionId,
        _: i64,
        _: i64,
        _: i64,
    ) -> lucia::Result<Option<SessionRecord>> {
        Err(down())
    }
    async fn delete_session(&self, _: &SessionId) -> lucia::Result<()> {
        Err(down())
    }
    async fn delete_sessions_by_user(&self, _: &str, _: Option<&SessionId>) -> lucia::Result<()> {
        Err(down())
    }
    async fn delete_dead_sessions(&self, _: i64) -> lucia::Result<u64> {
        Err(down())
    }
}

#[async_trait]
impl Adapter<()> for DownAdapter {
    async fn get_session_and_user(
        &self,
        _: &SessionId,
    ) -> lucia::Result<Option<(SessionRecord, User<()>)>> {
        Err(down())
    }
}

#[tokio::test]
async fn a_database_fault_is_never_mistaken_for_no_session() {
    let auth = Auth::<()>::builder(DownAdapter)
        .password_hasher(PlainHasher)
        .build()
        .unwrap();
    let token = SessionToken::generate().unwrap();
    for result in [
        auth.validate_session(token.expose()).await.map(drop),
        auth.validate_session_user(token.expose()).await.map(drop),
        auth.use_key("username", "alice", Some("password1"))
            .await
            .map(drop),
    ] {
        let err = result.unwrap_err();
        assert!(err.is_infrastructure(), "{err:?}");
        assert!(
            !err.to_string().contains("connection refused"),
            "driver text leaks: {err}"
        );
    }
    // A malformed token is refused before the store is ever asked.
    assert!(matches!(
        auth.validate_session("garbage").await,
        Err(Error::InvalidSessionId)
    ));
}

// ---- decisions 4 and 5: passwords and keys ----------------------------------------------

#[tokio::test]
async fn every_login_failure_spends_exactly_one_verification() {
    // Case 12 and A6: unknown user, wrong password, password-less key and empty password
    // must be indistinguishable by work done.
    let (auth, counts) = counting_auth();
    auth.create_user(Some(username_key("user1", Some("right-password"))), ())
        .await
        .unwrap();
    auth.create_user(Some(username_key("oauth-only", None)), ())
        .await
        .unwrap();
    // Warm the dummy hash so it does not count against the first failure.
    let _ = auth.use_key("username", "nobody", Some("x")).await;

    for (name, password, expected) in [
        ("nobody-7f3a", Some("x"), "invalid key id"),
        ("user1", Some("wrong"), "invalid password"),
        ("oauth-only", Some("x"), "invalid password"),
        ("user1", Some(""), "invalid password"),
        ("user1", None, "invalid password"),
        ("nobody-7f3a", None, "invalid key id"),
    ] {
        counts.reset();
        let err = auth.use_key("username", name, password).await.unwrap_err();
        assert_eq!(err.to_string(), expected, "{name} {password:?}");
        assert_eq!(counts.verifications(), 1, "{name} {password:?}");
        assert_eq!(counts.hashes(), 0, "{name} {password:?}");
    }
}

#[tokio::test]
async fn passwordless_keys_and_empty_passwords_never_authenticate() {
    // Case 10 (Lucia PR #1105).
    let (auth, _) = counting_auth();
    auth.create_user(
        Some(NewKey::without_password("email", "user1@example.com")),
        (),
    )
    .await
    .unwrap();
    assert!(matches!(
        auth.use_key("email", "user1@example.com", Some("anything"))
            .await,
        Err(Error::InvalidPassword)
    ));
    assert!(
        auth.use_key("email", "user1@example.com", None)
            .await
            .is_ok()
    );

    let empty = auth
        .create_user(Some(username_key("user2", Some(""))), ())
        .await;
    assert!(matches!(empty, Err(Error::PasswordPolicy(_))), "{empty:?}");
    assert!(
        matches!(
            auth.get_key("username", "user2").await,
            Err(Error::InvalidKeyId)
        ),
        "no key left behind"
    );

    auth.create_user(Some(username_key("user3", Some("pw-123456"))), ())
        .await
        .unwrap();
    assert!(matches!(
        auth.use_key("username", "user3", None).await,
        Err(Error::InvalidPassword)
    ));
    assert!(
        auth.use_key("username", "user3", Some("pw-123456"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn huge_passwords_are_refused_before_any_hashing() {
    // Case 13 (Django CVE-2013-1443).
    let (auth, counts) = counting_auth();
    auth.create_user(Some(username_key("user1", Some("right-password"))), ())
        .await
        .unwrap();
    counts.reset();
    for length in [5_000, 1_000_000] {
        let huge = "a".repeat(length);
        assert!(matches!(
            auth.use_key("username", "user1", Some(&huge)).await,
            Err(Error::InvalidPassword)
        ));
        assert!(matches!(
            auth.create_user(Some(username_key("user9", Some(&huge))), ())
                .await,
            Err(Error::PasswordPolicy(_))
        ));
    }
    assert_eq!((counts.hashes(), counts.verifications()), (0, 0));
}

#[tokio::test]
async fn compatibility_forms_of_a_password_verify_with_the_real_hasher() {
    // Case 11 (Lucia PR #848): NFKC on both sides.
    let auth = Auth::<()>::builder(MemoryAdapter::new()).build().unwrap();
    let password = "ﬁle-ＰＡＳＳ-e\u{301}-9";
    auth.create_user(Some(username_key("user4", Some(password))), ())
        .await
        .unwrap();
    assert!(
        auth.use_key("username", "user4", Some(password))
            .await
            .is_ok()
    );
    assert!(
        auth.use_key("username", "user4", Some("file-PASS-\u{e9}-9"))
            .await
            .is_ok()
    );
    assert!(
        auth.use_key("username", "user4", Some("file-PASS-e-9"))
            .await
            .is_err()
    );
}

#[test]
fn any_unicode_password_hashes_then_verifies() {
    // A small property test: awkward code points, NUL, combining marks, astral planes.
    let hasher = lucia::password::Argon2Hasher::default();
    let mut seed = 0x2545_f491_u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for _ in 0..6 {
        let password: String = (0..12)
            .filter_map(|_| char::from_u32(next() % 0x2_0000))
            .chain(['\0', 'ﬁ', '\u{301}'])
            .collect();
        let normalized = lucia::password::normalize(&password);
        let hash = hasher.hash(&normalized).unwrap();
        assert!(
            hasher
                .verify(&lucia::password::normalize(&password), &hash)
                .is_valid(),
            "{password:?}"
        );
    }
}

#[tokio::test]
async fn lucia_v1_scrypt_hashes_verify_and_are_upgraded_to_argon2id() {
    let adapter = Arc::new(MemoryAdapter::<()>::new());
    let auth = Auth::builder_shared(adapter.clone()).build().unwrap();
    let user = auth.create_user(None, ()).await.unwrap();
    let id = KeyId::new("username", "legacy").unwrap();
    let legacy = lucia_v1_hash(
        &lucia::password::normalize("ﬁle-pass-1"),
        "abcdefghijklmnop",
    );
    let key = KeyRecord {
        id: id.clone(),
        user_id: user.id.clone(),
        primary: false,
        hashed_password: Some(legacy),
    };
    adapter.insert_key(&key).await.unwrap();

    assert!(matches!(
        auth.use_key("username", "legacy", Some("wrong-pass")).await,
        Err(Error::InvalidPassword)
    ));
    assert!(
        adapter
            .get_key(&id)
            .await
            .unwrap()
            .unwrap()
            .hashed_password
            .unwrap()
            .starts_with("s2:")
    );

    auth.use_key("username", "legacy", Some("ﬁle-pass-1"))
        .await
        .unwrap();
    let upgraded = adapter
        .get_key(&id)
        .await
        .unwrap()
        .unwrap()
        .hashed_password
        .unwrap();
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );
    auth.use_key("username", "legacy", Some("ﬁle-pass-1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn bcrypt_is_outdated_and_malformed_hashes_are_invalid() {
    // Case 14 (b): corrupt stored hashes never panic.
    let adapter = Arc::new(MemoryAdapter::<()>::new());
    let auth = Auth::builder_shared(adapter.clone()).build().unwrap();
    let user = auth.create_user(None, ()).await.unwrap();
    let bcrypt_non_ascii = format!("$2b$10$é{}", "x".repeat(51));
    let cases = [
        (
            "bcrypt",
            "$2a$10$abcdefghijklmnopqrstuuHv0Jb0sJ6F9sZ3p0QnnDJ0u5Yk1eS3e".to_owned(),
            Error::OutdatedPassword,
        ),
        ("bcrypt-utf8", bcrypt_non_ascii, Error::OutdatedPassword),
        ("scrypt-short", "s2:zz".to_owned(), Error::InvalidPassword),
        (
            "argon-cut",
            "$argon2id$v=19$m=1".to_owned(),
            Error::InvalidPassword,
        ),
        ("empty", String::new(), Error::InvalidPassword),
    ];
    for (name, stored, expected) in cases {
        let key = KeyRecord {
            id: KeyId::new("username", name).unwrap(),
            user_id: user.id.clone(),
            primary: false,
            hashed_password: Some(stored),
        };
        adapter.insert_key(&key).await.unwrap();
        let err = auth
            .use_key("username", name, Some("password1"))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), expected.to_string(), "{name}");
    }
}

#[tokio::test]
async fn creating_a_user_with_a_taken_key_leaves_no_user_behind() {
    let adapter = Arc::new(MemoryAdapter::<()>::new());
    let auth = Auth::builder_shared(adapter.clone())
        .password_hasher(PlainHasher)
        .build()
        .unwrap();
    auth.create_user_with_id(
        "first".into(),
        Some(username_key("alice", Some("password1"))),
        (),
    )
    .await
    .unwrap();
    let second = auth
        .create_user_with_id(
            "second".into(),
            Some(username_key("alice", Some("password2"))),
            (),
        )
        .await;
    assert!(matches!(second, Err(Error::DuplicateKeyId)));
    assert!(matches!(
        auth.get_user("second").await,
        Err(Error::InvalidUserId)
    ));
    assert!(
        auth.create_user(Some(username_key("a:b", None)), ())
            .await
            .is_ok()
    );
    assert!(matches!(
        auth.create_key("first", NewKey::without_password("bad:provider", "x"))
            .await,
        Err(Error::InvalidKeyId)
    ));
}

#[tokio::test]
async fn primary_keys_only_go_with_their_user() {
    let (auth, _) = counting_auth();
    let user = auth
        .create_user(Some(username_key("alice", Some("password1"))), ())
        .await
        .unwrap();
    auth.create_key(&user.id, NewKey::without_password("github", "42"))
        .await
        .unwrap();
    auth.delete_key("username", "alice").await.unwrap();
    auth.delete_key("github", "42").await.unwrap();
    let keys = auth.get_all_user_keys(&user.id).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].primary);
    let session = auth.create_session(&user.id).await.unwrap();
    auth.delete_user(&user.id).await.unwrap();
    assert!(matches!(
        auth.get_key("username", "alice").await,
        Err(Error::InvalidKeyId)
    ));
    assert!(matches!(
        auth.get_session(&session.id).await,
        Err(Error::InvalidSessionId)
    ));
}

#[tokio::test]
async fn key_passwords_can_be_changed_and_removed() {
    let (auth, _) = counting_auth();
    auth.create_user(Some(username_key("alice", Some("password1"))), ())
        .await
        .unwrap();
    auth.update_key_password("username", "alice", Some("password2"))
        .await
        .unwrap();
    assert!(
        auth.use_key("username", "alice", Some("password1"))
            .await
            .is_err()
    );
    assert!(
        auth.use_key("username", "alice", Some("password2"))
            .await
            .is_ok()
    );
    let key = auth
        .update_key_password("username", "alice", None)
        .await
        .unwrap();
    assert!(!key.password_defined);
    assert!(matches!(
        auth.update_key_password("username", "nobody", None).await,
        Err(Error::InvalidKeyId)
    ));
}

#[tokio::test]
async fn listing_and_invalidating_sessions() {
    let (auth, _) = counting_auth();
    let user = auth.create_user(None, ()).await.unwrap();
    let keep = auth.create_session(&user.id).await.unwrap();
    for _ in 0..3 {
        auth.create_session(&user.id).await.unwrap();
    }
    assert_eq!(auth.get_all_user_sessions(&user.id).await.unwrap().len(), 4);
    auth.invalidate_other_user_sessions(&user.id, &keep.id)
        .await
        .unwrap();
    let left = auth.get_all_user_sessions(&user.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, keep.id);
    assert!(left[0].token().is_none(), "listings never carry tokens");
    assert!(auth.create_session_cookie(&left[0]).is_err());
    auth.invalidate_all_user_sessions(&user.id).await.unwrap();
    assert!(
        auth.get_all_user_sessions(&user.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        auth.get_all_user_sessions("nobody").await,
        Err(Error::InvalidUserId)
    ));
}

// ---- decision 6: nothing secret in Debug output or logs --------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_logs_and_debug_output_never_show_a_password_or_token() {
    // Appendix A1: Lucia v1's debug mode logged the attempted password and session ids.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (auth, _) = counting_auth();
    let user = auth
        .create_user(Some(username_key("alice", Some("CANARY-PW-1"))), ())
        .await
        .unwrap();
    let _ = auth.use_key("username", "alice", Some("CANARY-PW-2")).await;
    let _ = auth.use_key("username", "alice", Some("CANARY-PW-1")).await;
    let session = auth.create_session(&user.id).await.unwrap();
    let token = session.token().unwrap().expose().to_owned();
    auth.validate_session(&token).await.unwrap();
    tracing::info!(session = ?session, key = ?auth.get_key("username", "alice").await.unwrap(), "debug dump");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("session created"),
        "logging is captured: {logs}"
    );
    for secret in [
        "CANARY-PW-1",
        "CANARY-PW-2",
        token.as_str(),
        session.id.as_str(),
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs: {logs}");
    }
    assert!(!format!("{session:?}").contains(&token));
}
