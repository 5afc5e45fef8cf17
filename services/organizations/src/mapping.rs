//! The mapping service: each provider's organization- and role-mapping
//! configuration, the rules that apply it to a user ([`resolve`], pure), their
//! application inside a tenant transaction ([`place`]), and the remapping that
//! follows group changes.

pub mod apply;
pub mod config;
pub mod explain;
pub mod place;
pub mod refs;
pub mod remap;
pub mod resolve;
