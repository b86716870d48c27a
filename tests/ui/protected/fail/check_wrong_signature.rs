use lucia::{User, protected};

#[derive(Clone, lucia::AuthUser)]
struct MyUser {
    username: String,
}

fn is_admin(username: &str) -> bool {
    username == "admin"
}

#[protected(check = is_admin)]
async fn handler(user: User<MyUser>) -> String {
    user.username.clone()
}

fn main() {}
