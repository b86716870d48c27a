use lucia::AuthUser;

#[derive(Clone, AuthUser)]
struct MyUser {
    #[auth(column = "order")]
    sort_order: i32,
}

fn main() {}
