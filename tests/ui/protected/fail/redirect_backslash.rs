use lucia::protected;

#[protected(redirect = "/\\evil.example")]
async fn handler() -> &'static str {
    "hello"
}

fn main() {}
