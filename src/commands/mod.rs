//! One file per flow, each reading like its section of the spec.

pub mod batch;
pub mod c8y_token;
pub mod publish;
pub mod request;
pub mod serve;
pub mod subscribe;
pub mod tedge_cmd;
