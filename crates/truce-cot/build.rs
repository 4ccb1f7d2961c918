//! Compiles the TAK protocol v1 `.proto` files with protox (pure Rust: no `protoc` needed) and
//! generates the prost types that `src/tak.rs` includes.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(["takmessage.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
