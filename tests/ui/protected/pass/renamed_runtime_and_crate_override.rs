//! The macro through an app's own `auth` module and through a `crate = "..."` override.

mod auth {
    pub use lucia::{Session, User, protected};
}

mod reexport {
    pub use lucia as runtime;
}

#[derive(Clone, lucia::AuthUser)]
struct MyUser {
    username: String,
}

#[auth::protected]
async fn plain(session: auth::Session) -> String {
    session.user_id
}

#[auth::protected(crate = "reexport::runtime", fresh = "1h30m", check = is_named)]
async fn overridden(user: auth::User<MyUser>) -> String {
    user.username.clone()
}

fn is_named(user: &auth::User<MyUser>) -> bool {
    !user.username.is_empty()
}

fn main() {
    let _ = axum::Router::<()>::new()
        .route("/plain", axum::routing::get(plain))
        .route("/overridden", axum::routing::get(overridden));
}
