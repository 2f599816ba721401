//! The subcommands of the `casebot` binary, one module each.

pub mod chat;
pub mod content;
pub mod import;
pub mod load;
pub mod serve;
