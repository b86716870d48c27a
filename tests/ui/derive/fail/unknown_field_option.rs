use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser {
    #[auth(colum = "user_name")]
    username: String,
}

fn main() {}
