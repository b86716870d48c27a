//! The main example app. Run it with `cargo run -p lucia-example`.
fn main() {}
