use lucia::protected;

#[protected(redirect = "//evil.example/login")]
async fn handler() -> &'static str {
    "hello"
}

fn main() {}
