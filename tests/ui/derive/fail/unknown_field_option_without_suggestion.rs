use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser {
    #[auth(nullable)]
    username: String,
}

fn main() {}
