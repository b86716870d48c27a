use lucia::protected;

const LOGIN: &str = "/login";

#[protected(redirect = LOGIN)]
async fn handler() -> &'static str {
    "hello"
}

fn main() {}
