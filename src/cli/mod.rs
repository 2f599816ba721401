//! The subcommands of the `casebot` binary, one module each, and the HTTP client they
//! share with the tests.

pub mod admin_api;
pub mod chat;
pub mod content;
pub mod eval;
pub mod export;
pub mod http;
pub mod import;
pub mod load;
pub mod report;
pub mod serve;
pub mod store_args;
