use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser;

fn main() {}
