use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser {
    id: String,
    username: String,
}

fn main() {}
