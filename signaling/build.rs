// `sqlx::migrate!` embeds ./migrations at compile time; a new migration
// must rebuild the crate (sqlx's documented way on stable Rust).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
