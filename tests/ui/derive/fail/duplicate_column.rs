use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser {
    email: String,
    #[auth(column = "email")]
    backup_email: Option<String>,
}

fn main() {}
