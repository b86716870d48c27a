use lucia::protected;

#[protected]
struct Handler;

fn main() {}
