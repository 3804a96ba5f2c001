//! The only place Paho types live: `paho.rs` calls Paho C, `connect.rs`
//! turns settings into a connected `Session`, `session.rs` is what the
//! commands use, `properties.rs` and `reason.rs` speak MQTT 5's terms.

pub mod connect;
mod paho;
pub mod properties;
pub mod reason;
pub mod session;
pub mod topic;

pub use connect::{connect, connect_tapped};
pub use paho::{Failed, Flow, Subscription, Tap, Will};
pub use session::{Incoming, Limits, Outgoing, Session};
