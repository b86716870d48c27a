use lucia::AuthUser;

#[derive(Clone, AuthUser)]
#[auth(table = "users", table = "accounts")]
struct MyUser {
    username: String,
}

fn main() {}
