use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser {
    #[auth(column = "2fa_enabled")]
    two_factor: bool,
}

fn main() {}
