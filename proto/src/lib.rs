//! Roster's gRPC contracts: code generated from `roster/<svc>/v1/*.proto`, and
//! the descriptor set that server reflection serves. Nothing else lives here.

/// The control plane: tenants and providers.
pub mod tenants {
    /// Version 1.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("roster.tenants.v1");
    }
}

/// Users and groups.
pub mod identity {
    /// Version 1.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("roster.identity.v1");
    }
}

/// Durable scheduled work, and the directory sync digest settings.
pub mod jobs {
    /// Version 1.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("roster.jobs.v1");
    }
}

/// Provider mappings: organizations and roles of provisioned users.
pub mod mapping {
    /// Version 1.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("roster.mapping.v1");
    }
}

/// The organization tree, the roles catalogue, users' placements and roles.
pub mod organizations {
    /// Version 1.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("roster.organizations.v1");
    }
}

/// Test-build hooks: the tenant clock shift and injected job faults.
pub mod testhooks {
    /// Version 1.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("roster.testhooks.v1");
    }
}

/// The encoded `FileDescriptorSet` of every Roster proto, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/roster_descriptor.bin"));

pub mod scim_json;
