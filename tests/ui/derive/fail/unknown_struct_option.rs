use lucia::AuthUser;

#[derive(Clone, AuthUser)]
#[auth(tabel = "users")]
struct MyUser {
    username: String,
}

fn main() {}
