use lucia::protected;

#[protected(redirect = "https://evil.example/login")]
async fn handler() -> &'static str {
    "hello"
}

fn main() {}
