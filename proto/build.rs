//! Compiles the gRPC contracts with protox (no system `protoc`) and keeps the
//! encoded descriptor set for server reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=roster");
    let files = [
        "roster/tenants/v1/tenants.proto",
        "roster/identity/v1/identity.proto",
        "roster/identity/v1/admin.proto",
        "roster/identity/v1/logs.proto",
        "roster/jobs/v1/jobs.proto",
        "roster/mapping/v1/mapping.proto",
        "roster/organizations/v1/organizations.proto",
        "roster/jobs/v1/digest.proto",
        "roster/testhooks/v1/testhooks.proto",
    ];
    let descriptors = protox::compile(files, ["."])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("roster_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
