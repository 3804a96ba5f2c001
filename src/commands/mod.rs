//! One file per flow, each reading like its section of the spec.

pub mod c8y_token;
pub mod publish;
pub mod request;
pub mod serve;
