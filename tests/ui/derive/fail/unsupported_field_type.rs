use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser {
    username: String,
    avatar: Vec<u8>,
}

fn main() {}
