use lucia::protected;

#[protected(bearer, bearer)]
async fn handler() -> &'static str {
    "hello"
}

fn main() {}
