use lucia::protected;

#[protected(redirect = "/login", bearer)]
async fn handler() -> &'static str {
    "hello"
}

fn main() {}
