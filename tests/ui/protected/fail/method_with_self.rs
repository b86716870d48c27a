use lucia::protected;

struct Pages;

impl Pages {
    #[protected]
    async fn handler(&self) -> &'static str {
        "hello"
    }
}

fn main() {}
