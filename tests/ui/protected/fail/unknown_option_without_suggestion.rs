use lucia::protected;

#[protected(admin_only)]
async fn handler() -> &'static str {
    "hello"
}

fn main() {}
