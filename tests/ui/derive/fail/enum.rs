use lucia::AuthUser;

#[derive(Clone, AuthUser)]
enum MyUser {
    Admin { username: String },
    Member { username: String },
}

fn main() {}
