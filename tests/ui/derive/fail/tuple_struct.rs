use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser(String, bool);

fn main() {}
