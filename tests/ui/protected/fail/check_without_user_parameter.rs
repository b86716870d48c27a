use lucia::{Session, User, protected};

#[derive(Clone, lucia::AuthUser)]
struct MyUser {
    is_admin: bool,
}

fn is_admin(user: &User<MyUser>) -> bool {
    user.is_admin
}

#[protected(check = is_admin)]
async fn handler(session: Session) -> String {
    session.user_id
}

fn main() {}
