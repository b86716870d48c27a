use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser<T> {
    username: String,
    extra: T,
}

fn main() {}
