use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser {
    #[auth(column = "id")]
    external_id: String,
}

fn main() {}
