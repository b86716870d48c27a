use lucia::{Session, protected};

#[protected]
fn handler(session: Session) -> String {
    session.user_id
}

fn main() {}
