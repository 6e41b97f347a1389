//! The integration tests, in one binary so the suite compiles once. Each module was a test
//! binary of its own before; `util` holds what several of them use.
//!
//! The tests start their own servers with `coredis-test-support` (binary from
//! `$COREDIS_SERVER_BIN`). Clients speak the protocol named by `$COREDIS_PROTOCOL` (`3`, the
//! default, or `2`) unless a test is about one protocol in particular: see [`util::protocol`].

mod acl;
mod cache;
mod cluster;
mod commands;
mod faults;
mod handshake;
mod hardening;
mod harness;
mod hermetic;
mod mux;
mod node;
mod pipeline;
mod pubsub;
mod replicas;
mod retry;
mod script;
mod sentinel_client;
mod session;
mod soak;
mod streams_consumer;
mod tls_pem;
mod transaction;
mod util;
