//! The PostgreSQL case store: connection pool, embedded migrations, writes with the change
//! log, and the listener that brings other nodes' changes to this node's feed.

mod listen;
mod migrate;
mod pool;
mod store;
mod unanswered;
mod write;

pub use migrate::MIGRATIONS;
pub use store::PgStore;
pub use unanswered::PgUnanswered;
