use lucia::protected;

#[protected(redirct = "/login")]
async fn handler() -> &'static str {
    "hello"
}

fn main() {}
