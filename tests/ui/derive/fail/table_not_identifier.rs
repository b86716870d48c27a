use lucia::AuthUser;

#[derive(Clone, AuthUser)]
#[auth(table = "public.users")]
struct MyUser {
    username: String,
}

fn main() {}
