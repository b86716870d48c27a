use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser {
    #[auth(column = "user name; drop table auth_user")]
    username: String,
}

fn main() {}
