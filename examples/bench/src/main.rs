//! The load benchmark. Run it with `cargo run --release -p lucia-bench`.
fn main() {}
