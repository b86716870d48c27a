use lucia::AuthUser;

#[derive(Clone, Copy, AuthUser)]
union MyUser {
    age: i32,
    score: f32,
}

fn main() {}
