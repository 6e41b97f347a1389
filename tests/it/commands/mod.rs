//! The typed command API against real servers: one module per command group, plus the audit
//! that checks every method's routing facts against the server's own command table.
//!
//! Each group module has:
//! - `built()`: every method of the group built once with [`coredis::commands::Build`] (which
//!   returns the command instead of sending it), with arguments the server accepts;
//! - a test calling [`audit::check`] on them (key positions against `COMMAND GETKEYS`, the
//!   read-only and blocking flags against `COMMAND INFO`);
//! - tests that call every method against a live server and assert its result, under the
//!   protocol of the run (`COREDIS_PROTOCOL`) — and both protocols where the reply shapes
//!   differ between RESP2 and RESP3.
//!
//! `coverage::every_data_command_has_a_method` compares the union of the groups' `built()` with
//! the server's `COMMAND DOCS`.

pub mod audit;
mod basics;
mod bitmap;
mod blocking;
mod cluster;
mod connection;
pub mod coverage;
mod generic;
mod geo;
mod hashes;
mod hyperloglog;
mod lists;
mod pubsub;
mod scan;
mod scripting;
pub mod sentinel;
mod server;
mod sets;
mod sorted_sets;
mod streams;
mod strings;
