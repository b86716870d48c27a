use lucia::{Session, protected};

#[protected]
async fn handler(first: Session, second: Session) -> String {
    format!("{} {}", first.user_id, second.user_id)
}

fn main() {}
