//! The facts the rest of casebot shares, with no I/O and no dependency on any other module:
//! case records and how a new version merges into a stored one, the forms table, and the
//! small value types
//! content, dialog and protocol exchange.
//!
//! Dependencies point one way: `server` → `dialog` → `nlu` → `domain`, and `store` →
//! `domain`. Nothing here imports from another casebot module.

pub mod case;
pub mod forms;
pub mod identifiers;

use serde::{Deserialize, Serialize};

/// A link shown under an answer: written in content files, sent in reply frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Text of the link.
    pub title: String,
    /// Absolute URL.
    pub url: String,
}
