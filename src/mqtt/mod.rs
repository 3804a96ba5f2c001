//! The only place Paho types live: connecting, the session and its events.

pub mod connect;
