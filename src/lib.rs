//! # casebot
//!
//! casebot is a virtual-assistant chat service for immigration case questions. People type
//! into a chat widget; casebot answers from intent rules and a FAQ knowledge base that
//! non-programmers edit, pulls case identifiers out of free text, and answers case-status
//! questions from an embedded case store.
//!
//! ## Map of the crate
//!
//! One message flows through these modules:
//!
//! ```text
//! WebSocket frame ─► server::session   (decode, limits, session state)
//!                      │ text
//!                      ▼
//!                  nlu::Nlu::parse     (pure, synchronous: normalize, extract, rank)
//!                      │ Parse
//!                      ▼
//!                  dialog::respond     (slots, memory, case lookups) ─► Reply + effects
//!                      │
//!                      ▼
//!                  server::session     (sends frames, applies subscriptions)
//! ```
//!
//! * [`config`]: options, environment variables and defaults.
//! * [`server`]: the HTTP router, WebSocket sessions, wire protocol, admin API, widget.
//! * [`nlu`]: normalization, identifier extraction, content files, the matcher.
//! * [`dialog`]: per-session dialog state and the reply pipeline.
//! * [`store`]: the sled-backed case store and JSON Lines import.
//! * [`reload`]: watching content folders and swapping in new content atomically.
//! * [`cli`]: the `chat`, `check`, `test`, `import` and `load` subcommands.
//! * [`logging`]: tracing setup.
#![deny(missing_docs)]

pub mod cli;
pub mod config;
pub mod dialog;
pub mod domain;
pub mod limit;
pub mod logging;
pub mod nlu;
pub mod reload;
pub mod server;
pub mod store;

pub use config::ServeConfig;
pub use server::{AppState, app, run};
