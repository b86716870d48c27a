use lucia::protected;

#[protected(fresh = "10 minutes")]
async fn handler() -> &'static str {
    "hello"
}

fn main() {}
