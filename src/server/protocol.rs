//! The WebSocket wire protocol: every frame the client and server exchange, as typed serde
//! structs. docs/protocol.md documents the same frames for integrators.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::nlu::Lang;

/// Version of the protocol announced in the `welcome` frame.
pub const PROTOCOL_VERSION: u32 = 1;

/// A frame the client sent, after validation.
#[derive(Debug, PartialEq)]
pub enum ClientFrame<'a> {
    /// A chat message to answer.
    Message {
        /// What the user typed (already checked to be non-empty).
        text: Cow<'a, str>,
        /// Client-chosen id echoed as `reply_to`.
        id: Option<Value>,
        /// Ask the server to include the ranked candidates in the reply.
        debug: bool,
        /// The language the person chose in the client, when it says.
        lang: Option<Lang>,
    },
    /// A vote on one reply: was it helpful? Answered with `feedback_received`.
    Feedback {
        /// The `id` of the reply voted on, as the server sent it.
        reply_to: String,
        /// True for thumbs up, false for thumbs down.
        helpful: bool,
    },
    /// An application-level keep-alive; answered with `pong`.
    Ping {
        /// Client-chosen id echoed as `reply_to`.
        id: Option<Value>,
    },
}

/// Why a client frame was refused. Each variant has a stable machine-readable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not valid JSON.
    InvalidJson,
    /// The frame is JSON but not an object.
    InvalidFrame,
    /// The object has no `type` field, or it is not a string.
    MissingType,
    /// The `type` is not one the server knows.
    UnknownType,
    /// A `message` frame without `text`.
    MissingText,
    /// `text` is present but not a string.
    InvalidText,
    /// `text` is empty or only white space.
    EmptyText,
    /// `text` is longer than the configured limit.
    TextTooLong,
    /// `id` is not a string or number, or is too long.
    InvalidId,
    /// `debug` is present but not `true` or `false`.
    InvalidDebug,
    /// `lang` is present but not a language casebot speaks (`en`, `es`).
    InvalidLang,
    /// A field (`type`, `text`, `id` or `debug`) appears more than once.
    DuplicateField,
    /// A binary WebSocket frame; only text frames carry JSON.
    BinaryNotSupported,
    /// A `feedback` frame without a string `reply_to` or a boolean `helpful`.
    InvalidFeedback,
    /// A `feedback` frame naming a reply this connection did not get recently.
    UnknownReply,
    /// Messages are arriving faster than the per-connection limit.
    RateLimited,
    /// The server could not answer because of an internal fault.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire, e.g. `empty_text`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidFrame => "invalid_frame",
            ErrorCode::MissingType => "missing_type",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::MissingText => "missing_text",
            ErrorCode::InvalidText => "invalid_text",
            ErrorCode::EmptyText => "empty_text",
            ErrorCode::TextTooLong => "text_too_long",
            ErrorCode::InvalidId => "invalid_id",
            ErrorCode::InvalidDebug => "invalid_debug",
            ErrorCode::InvalidLang => "invalid_lang",
            ErrorCode::DuplicateField => "duplicate_field",
            ErrorCode::BinaryNotSupported => "binary_not_supported",
            ErrorCode::InvalidFeedback => "invalid_feedback",
            ErrorCode::UnknownReply => "unknown_reply",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
        }
    }

    /// The human-readable sentence sent with this code.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "That frame is not valid JSON.",
            ErrorCode::InvalidFrame => "A frame must be a JSON object.",
            ErrorCode::MissingType => "A frame needs a \"type\" field with a string value.",
            ErrorCode::UnknownType => {
                "Unknown frame type; send {\"type\":\"message\",\"text\":\"...\"}."
            }
            ErrorCode::MissingText => "A message frame needs a \"text\" field.",
            ErrorCode::InvalidText => "The \"text\" field must be a string.",
            ErrorCode::EmptyText => "The message is empty; type a question.",
            ErrorCode::TextTooLong => "That message is too long; please shorten it.",
            ErrorCode::InvalidId => {
                "The \"id\" field must be a string or number of at most 128 characters."
            }
            ErrorCode::InvalidDebug => "The \"debug\" field must be true or false.",
            ErrorCode::InvalidLang => "The \"lang\" field must be \"en\" or \"es\".",
            ErrorCode::DuplicateField => "A field appears more than once in the frame.",
            ErrorCode::BinaryNotSupported => {
                "Binary frames are not supported; send JSON text frames."
            }
            ErrorCode::InvalidFeedback => {
                "A feedback frame needs \"reply_to\" (a reply's id) and \"helpful\" (true or false)."
            }
            ErrorCode::UnknownReply => {
                "That reply is not one of the recent answers on this connection; nothing was recorded."
            }
            ErrorCode::RateLimited => "You are sending messages too fast; please wait a moment.",
            ErrorCode::Internal => "Something went wrong on our side; please try again.",
        }
    }
}

/// A refused client frame: the code plus the client id if one could be read.
#[derive(Debug, PartialEq)]
pub struct FrameError {
    /// What was wrong.
    pub code: ErrorCode,
    /// The frame's `id`, when it was readable, so clients can match the error.
    pub id: Option<Value>,
}

#[derive(Deserialize)]
struct RawFrame<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    debug: bool,
    #[serde(borrow, default)]
    lang: Option<Cow<'a, str>>,
    #[serde(default)]
    reply_to: Option<Value>,
    #[serde(default)]
    helpful: Option<Value>,
}

use crate::config::MAX_ID_CHARS;

/// The fields a client frame may carry; a frame naming one twice is refused.
const FIELDS: [&str; 7] = ["type", "text", "id", "debug", "lang", "reply_to", "helpful"];

/// Decodes and validates one text frame from a client.
///
/// The fast path deserializes straight into borrowed fields; only a frame that fails it is
/// parsed again as a generic JSON value to say precisely what is wrong.
pub fn parse_client_frame(raw: &str, max_text_chars: usize) -> Result<ClientFrame<'_>, FrameError> {
    let frame: RawFrame<'_> = match serde_json::from_str(raw) {
        Ok(frame) => frame,
        Err(_) => return Err(diagnose(raw)),
    };
    let id = match frame.id {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= MAX_ID_CHARS => Some(Value::String(s)),
        Some(Value::Number(n)) => Some(Value::Number(n)),
        Some(_) => {
            return Err(FrameError {
                code: ErrorCode::InvalidId,
                id: None,
            });
        }
    };
    let fail = |code| {
        Err(FrameError {
            code,
            id: id.clone(),
        })
    };
    match frame.kind.as_ref() {
        "message" => {
            let Some(text) = frame.text else {
                return fail(ErrorCode::MissingText);
            };
            if text.trim().is_empty() {
                return fail(ErrorCode::EmptyText);
            }
            if text.len() > max_text_chars && text.chars().count() > max_text_chars {
                return fail(ErrorCode::TextTooLong);
            }
            let lang = match frame.lang.as_deref().map(Lang::from_code) {
                None => None,
                Some(Some(lang)) => Some(lang),
                Some(None) => return fail(ErrorCode::InvalidLang),
            };
            Ok(ClientFrame::Message {
                text,
                id,
                debug: frame.debug,
                lang,
            })
        }
        "ping" => Ok(ClientFrame::Ping { id }),
        "feedback" => match (frame.reply_to, frame.helpful) {
            (Some(Value::String(reply_to)), Some(Value::Bool(helpful)))
                if !reply_to.is_empty() && reply_to.chars().count() <= MAX_ID_CHARS =>
            {
                Ok(ClientFrame::Feedback { reply_to, helpful })
            }
            _ => fail(ErrorCode::InvalidFeedback),
        },
        _ => fail(ErrorCode::UnknownType),
    }
}

/// Says what is wrong with a frame the fast path refused. Checks run in a fixed order, so
/// a frame with several faults always gets the same code.
fn diagnose(raw: &str) -> FrameError {
    let fail = |code| FrameError { code, id: None };
    let value: Value = match serde_json::from_str(raw) {
        Ok(v) => v,
        Err(_) => return fail(ErrorCode::InvalidJson),
    };
    let Value::Object(map) = value else {
        return fail(ErrorCode::InvalidFrame);
    };
    // A generic JSON map keeps the last of duplicate keys, so they are counted on the raw
    // text; the fast path refused the frame for them.
    if let Ok(TopLevelKeys(true)) = serde_json::from_str::<TopLevelKeys>(raw) {
        return fail(ErrorCode::DuplicateField);
    }
    let id = match map.get("id") {
        Some(v @ (Value::String(_) | Value::Number(_))) => Some(v.clone()),
        _ => None,
    };
    let code = match map.get("type") {
        Some(Value::String(t)) if t == "message" || t == "ping" => {
            let id_ok = match map.get("id") {
                None | Some(Value::Null | Value::Number(_)) => true,
                Some(Value::String(s)) => s.chars().count() <= MAX_ID_CHARS,
                Some(_) => false,
            };
            match map.get("text") {
                None | Some(Value::Null) if t == "message" => ErrorCode::MissingText,
                Some(v) if !v.is_string() && !v.is_null() => ErrorCode::InvalidText,
                _ if !id_ok => ErrorCode::InvalidId,
                _ if map.get("debug").is_some_and(|d| !d.is_boolean()) => ErrorCode::InvalidDebug,
                _ if map
                    .get("lang")
                    .is_some_and(|l| !l.is_string() && !l.is_null()) =>
                {
                    ErrorCode::InvalidLang
                }
                _ => ErrorCode::InvalidFrame,
            }
        }
        Some(Value::String(t)) if t == "feedback" => match map.get("id") {
            None | Some(Value::Null | Value::Number(_) | Value::String(_)) => {
                ErrorCode::InvalidFeedback
            }
            Some(_) => ErrorCode::InvalidId,
        },
        Some(Value::String(_)) => ErrorCode::UnknownType,
        _ => ErrorCode::MissingType,
    };
    FrameError { code, id }
}

pub use crate::domain::Link;

/// Reads a JSON object's top-level keys; true when one of [`FIELDS`] appears twice.
struct TopLevelKeys(bool);

impl<'de> Deserialize<'de> for TopLevelKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = TopLevelKeys;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<TopLevelKeys, A::Error> {
                let mut seen = [false; FIELDS.len()];
                let mut duplicate = false;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    if let Some(i) = FIELDS.iter().position(|f| *f == key) {
                        duplicate |= std::mem::replace(&mut seen[i], true);
                    }
                }
                Ok(TopLevelKeys(duplicate))
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

/// One identifier found in the user's message, as sent on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireEntity {
    /// `receipt_number`, `a_number`, `account_number`, `form_number`, `phone` or `email`.
    pub kind: String,
    /// Canonical value (see docs/protocol.md).
    pub value: String,
    /// Byte offset of the first byte in the message text.
    pub start: usize,
    /// Byte offset one past the last byte in the message text.
    pub end: usize,
    /// For receipt numbers: the office the prefix stands for, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub office: Option<String>,
    /// For receipt numbers: whether the prefix is a known USCIS office.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub known_prefix: Option<bool>,
    /// Set when the value was corrected from what was typed (for example the letter O for 0).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub corrected: bool,
}

/// A ranked candidate, included in replies when the client asked for `debug`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Intent or article id.
    pub id: String,
    /// Confidence in [0, 1].
    pub score: f32,
}

/// The answer to one `message` frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Reply {
    /// The server's id of this reply, which a `feedback` frame names.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// The `id` of the message this answers (null when the message had none).
    pub reply_to: Option<Value>,
    /// The language of the answer (`en`, `es`).
    #[serde(default)]
    pub lang: String,
    /// The answer, in a small Markdown subset (links, lists, emphasis).
    pub text: String,
    /// Id of the intent or article that answered; null for the fallback.
    pub intent: Option<String>,
    /// How sure the matcher is, in [0, 1].
    pub confidence: f32,
    /// Every identifier found in the message.
    pub entities: Vec<WireEntity>,
    /// Suggested next messages; the widget shows them as buttons that send their text.
    pub quick_replies: Vec<String>,
    /// Links shown under the answer.
    pub links: Vec<Link>,
    /// Top candidates with scores, only when the message asked for `debug`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub candidates: Option<Vec<Candidate>>,
    /// Set while a live agent holds the chat: the message went to this agent, and the
    /// reply is empty (the assistant stays quiet).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub agent: Option<String>,
}

/// A change to a case the session follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The language of `text` (`en`, `es`).
    #[serde(default)]
    pub lang: String,
    /// Canonical receipt number of the case that changed.
    pub receipt_number: String,
    /// Its new status title.
    pub status: String,
    /// Form of the case, e.g. `I-130`.
    pub form: String,
    /// Date of the update (ISO 8601).
    pub updated: String,
    /// A sentence for the user.
    pub text: String,
}

/// Every frame the server sends. Clients read them back with [`ServerFrame::from_json`];
/// a client that only matches answers to its ids can read a [`ServerFrameHead`] instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame on every connection.
    Welcome {
        /// Token to resume this session with `/ws?session=TOKEN`.
        session: String,
        /// True when an earlier session was resumed.
        resumed: bool,
        /// True when the client asked to resume a session that is unknown or expired.
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        resume_failed: bool,
        /// Protocol version.
        protocol: u32,
        /// The language of the session (`en`, `es`).
        #[serde(default)]
        lang: String,
        /// Greeting text for a new session.
        text: String,
        /// Suggested first questions.
        quick_replies: Vec<String>,
    },
    /// The answer to a message.
    Reply(Reply),
    /// A followed case changed.
    Notification(Notification),
    /// A frame could not be taken.
    Error {
        /// Stable machine-readable code.
        code: ErrorCode,
        /// Human-readable sentence.
        message: String,
        /// The offending frame's `id`, when readable.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        reply_to: Option<Value>,
    },
    /// Answer to a client `ping`.
    Pong {
        /// The ping's `id`.
        reply_to: Option<Value>,
    },
    /// The chat waits for a live agent; sent again whenever the line moves.
    Queued {
        /// Place in line, from 1.
        position: usize,
        /// Seconds waited so far.
        wait_seconds: u64,
    },
    /// A live agent took the chat; from now on messages go to the agent.
    AgentJoined {
        /// The agent's name.
        name: String,
    },
    /// The agent wrote.
    AgentMessage {
        /// What the agent wrote.
        text: String,
        /// The agent's name.
        name: String,
    },
    /// The agent is typing.
    AgentTyping {
        /// The agent's name.
        name: String,
    },
    /// The agent left the chat; the assistant answers again.
    AgentLeft {},
    /// No agent could take the chat (none online any more, or the wait ran out): the
    /// contact center's numbers and hours instead, in the chat's language.
    AgentUnavailable {
        /// The answer, in Markdown.
        text: String,
    },
    /// A `feedback` frame was taken.
    FeedbackReceived {
        /// The id of the reply voted on.
        reply_to: String,
        /// The vote, as received.
        helpful: bool,
    },
}

impl ServerFrame {
    /// An error frame for `code`.
    pub fn error(code: ErrorCode, reply_to: Option<Value>) -> Self {
        ServerFrame::Error {
            code,
            message: code.message().to_string(),
            reply_to,
        }
    }

    /// The frame as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server frames always serialize")
    }

    /// Reads a frame the server sent. A frame of a type this version does not know is an
    /// error; [`ServerFrameHead`] tells it apart from a malformed one.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The `type` of a server frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerFrameKind {
    /// [`ServerFrame::Welcome`].
    Welcome,
    /// [`ServerFrame::Reply`].
    Reply,
    /// [`ServerFrame::Notification`].
    Notification,
    /// [`ServerFrame::Error`].
    Error,
    /// [`ServerFrame::Pong`].
    Pong,
    /// [`ServerFrame::FeedbackReceived`].
    FeedbackReceived,
    /// A type this version does not know (sent by a newer server).
    #[serde(other)]
    Other,
}

/// The type and `reply_to` of a server frame, borrowed from its text without reading the
/// rest: what a client needs to match answers to the string ids it sent, at a fraction of
/// the cost of a whole [`ServerFrame`] (the load client reads every reply this way).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerFrameHead<'a> {
    /// The frame's `type`.
    #[serde(rename = "type")]
    pub kind: ServerFrameKind,
    /// `reply_to` when the frame answers a frame with a string `id`. A numeric `reply_to`
    /// does not fit this view: clients that send numeric ids read a whole [`ServerFrame`].
    #[serde(default, borrow, deserialize_with = "borrowed_option")]
    pub reply_to: Option<Cow<'a, str>>,
}

/// Reads an optional string without copying it when it has no escapes; serde's `borrow`
/// alone copies a `Cow` that is wrapped in an `Option`.
fn borrowed_option<'de: 'a, 'a, D>(deserializer: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'a>>::deserialize(deserializer)?.map(|b| b.0))
}

impl<'a> ServerFrameHead<'a> {
    /// Reads the head of a frame the server sent.
    pub fn from_json(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(raw: &str) -> ErrorCode {
        parse_client_frame(raw, 100).unwrap_err().code
    }

    #[test]
    fn accepts_a_message_with_id() {
        let frame = parse_client_frame(r#"{"type":"message","text":"hi","id":"a1"}"#, 100).unwrap();
        assert_eq!(
            frame,
            ClientFrame::Message {
                text: "hi".into(),
                id: Some(Value::String("a1".into())),
                debug: false,
                lang: None,
            }
        );
    }

    #[test]
    fn names_each_kind_of_bad_frame() {
        assert_eq!(code("{not json"), ErrorCode::InvalidJson);
        assert_eq!(code("[1,2]"), ErrorCode::InvalidFrame);
        assert_eq!(code(r#"{"text":"hi"}"#), ErrorCode::MissingType);
        assert_eq!(code(r#"{"type":5,"text":"hi"}"#), ErrorCode::MissingType);
        assert_eq!(
            code(r#"{"type":"shout","text":"hi"}"#),
            ErrorCode::UnknownType
        );
        assert_eq!(code(r#"{"type":"message"}"#), ErrorCode::MissingText);
        assert_eq!(
            code(r#"{"type":"message","text":42}"#),
            ErrorCode::InvalidText
        );
        assert_eq!(
            code(r#"{"type":"message","text":"  \n "}"#),
            ErrorCode::EmptyText
        );
        assert_eq!(
            code(r#"{"type":"message","text":"hi","id":{"a":1}}"#),
            ErrorCode::InvalidId
        );
        let long = format!(r#"{{"type":"message","text":"{}"}}"#, "x".repeat(101));
        assert_eq!(code(&long), ErrorCode::TextTooLong);
        assert_eq!(
            code(r#"{"type":"message","text":"hi","debug":"yes"}"#),
            ErrorCode::InvalidDebug
        );
        assert_eq!(
            code(r#"{"type":"ping","debug":1}"#),
            ErrorCode::InvalidDebug
        );
        assert_eq!(
            code(r#"{"type":"message","text":"hi","text":"ho"}"#),
            ErrorCode::DuplicateField
        );
        assert_eq!(
            code(r#"{"type":"message","type":"message","text":"hi"}"#),
            ErrorCode::DuplicateField
        );
        assert_eq!(code(r#"{"type":"ping","text":5}"#), ErrorCode::InvalidText);
    }

    #[test]
    fn reads_feedback_and_names_a_bad_one() {
        assert_eq!(
            parse_client_frame(
                r#"{"type":"feedback","reply_to":"r1","helpful":false}"#,
                100
            )
            .unwrap(),
            ClientFrame::Feedback {
                reply_to: "r1".into(),
                helpful: false
            }
        );
        for bad in [
            r#"{"type":"feedback","reply_to":"r1"}"#,
            r#"{"type":"feedback","helpful":true}"#,
            r#"{"type":"feedback","reply_to":7,"helpful":true}"#,
            r#"{"type":"feedback","reply_to":"r1","helpful":"no"}"#,
            r#"{"type":"feedback","reply_to":"","helpful":true}"#,
            r#"{"type":"feedback","reply_to":"r1","helpful":true,"text":5}"#,
        ] {
            assert_eq!(code(bad), ErrorCode::InvalidFeedback, "{bad}");
        }
        assert_eq!(
            code(r#"{"type":"feedback","reply_to":"r1","reply_to":"r2","helpful":true}"#),
            ErrorCode::DuplicateField
        );
    }

    #[test]
    fn other_repeated_keys_are_ignored_like_other_unknown_fields() {
        let frame = parse_client_frame(r#"{"type":"message","text":"hi","x":1,"x":2}"#, 100);
        assert!(matches!(frame, Ok(ClientFrame::Message { .. })));
    }

    /// Every code, listed through a match so a new variant cannot be forgotten here.
    fn every_code() -> Vec<ErrorCode> {
        use ErrorCode::*;
        let all = vec![
            InvalidJson,
            InvalidFrame,
            MissingType,
            UnknownType,
            MissingText,
            InvalidText,
            EmptyText,
            TextTooLong,
            InvalidId,
            InvalidDebug,
            InvalidLang,
            DuplicateField,
            BinaryNotSupported,
            InvalidFeedback,
            UnknownReply,
            RateLimited,
            Internal,
        ];
        for code in &all {
            match code {
                InvalidJson | InvalidFrame | MissingType | UnknownType | MissingText
                | InvalidText | EmptyText | TextTooLong | InvalidId | InvalidDebug
                | InvalidLang | DuplicateField | BinaryNotSupported | InvalidFeedback
                | UnknownReply | RateLimited | Internal => {}
            }
        }
        all
    }

    #[test]
    fn every_code_is_documented_in_the_protocol() {
        let doc = include_str!("../../docs/protocol.md");
        for code in every_code() {
            let name = serde_json::to_value(code).unwrap();
            let row = format!("| `{}` |", name.as_str().unwrap());
            assert!(doc.contains(&row), "docs/protocol.md has no row {row}");
        }
    }

    #[test]
    fn keeps_the_id_on_errors_when_it_can() {
        let err = parse_client_frame(r#"{"type":"message","text":"","id":7}"#, 100).unwrap_err();
        assert_eq!(err.id, Some(Value::from(7)));
        let err = parse_client_frame(r#"{"type":"message","text":[],"id":"x"}"#, 100).unwrap_err();
        assert_eq!(err.id, Some(Value::from("x")));
    }

    #[test]
    fn every_code_reads_back_and_names_itself_as_on_the_wire() {
        for code in every_code() {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire.as_str(), Some(code.as_str()));
            assert_eq!(serde_json::from_value::<ErrorCode>(wire).unwrap(), code);
        }
    }

    /// One frame of every kind with the JSON it must be sent as, listed through a match so a
    /// new variant cannot be forgotten here.
    fn every_frame() -> Vec<(ServerFrame, Value)> {
        let reply = Reply {
            id: Some("1f-3".into()),
            reply_to: Some(Value::from("m1")),
            lang: "en".into(),
            text: "Your I-130 is at **Case Was Received**.".into(),
            intent: Some("case_status".into()),
            confidence: 0.97,
            entities: vec![WireEntity {
                kind: "receipt_number".into(),
                value: "EAC2190012345".into(),
                start: 27,
                end: 40,
                office: Some("Vermont Service Center".into()),
                known_prefix: Some(true),
                corrected: false,
            }],
            quick_replies: vec!["Show the history".into()],
            links: vec![Link {
                title: "Case status online".into(),
                url: "https://egov.uscis.gov/".into(),
            }],
            candidates: None,
            agent: None,
        };
        let all = vec![
            (
                ServerFrame::Welcome {
                    session: "9f0c2b7de4a14c6b8d3e0f1a2b3c4d5e".into(),
                    resumed: false,
                    resume_failed: false,
                    protocol: PROTOCOL_VERSION,
                    lang: "en".into(),
                    text: "Hi!".into(),
                    quick_replies: vec!["Check my case status".into()],
                },
                json!({"type": "welcome", "session": "9f0c2b7de4a14c6b8d3e0f1a2b3c4d5e",
                       "resumed": false, "protocol": 1, "lang": "en", "text": "Hi!",
                       "quick_replies": ["Check my case status"]}),
            ),
            (
                ServerFrame::Welcome {
                    session: "0123456789abcdef0123456789abcdef".into(),
                    resumed: false,
                    resume_failed: true,
                    protocol: PROTOCOL_VERSION,
                    lang: "es".into(),
                    text: "Hi!".into(),
                    quick_replies: vec![],
                },
                json!({"type": "welcome", "session": "0123456789abcdef0123456789abcdef",
                       "resumed": false, "resume_failed": true, "protocol": 1, "lang": "es", "text": "Hi!",
                       "quick_replies": []}),
            ),
            (
                ServerFrame::Reply(reply.clone()),
                json!({"type": "reply", "id": "1f-3", "reply_to": "m1", "lang": "en",
                       "text": "Your I-130 is at **Case Was Received**.",
                       "intent": "case_status", "confidence": 0.97,
                       "entities": [{"kind": "receipt_number", "value": "EAC2190012345",
                                     "start": 27, "end": 40,
                                     "office": "Vermont Service Center", "known_prefix": true}],
                       "quick_replies": ["Show the history"],
                       "links": [{"title": "Case status online",
                                  "url": "https://egov.uscis.gov/"}]}),
            ),
            (
                ServerFrame::Reply(Reply {
                    reply_to: None,
                    intent: None,
                    confidence: 0.25,
                    candidates: Some(vec![Candidate {
                        id: "greeting".into(),
                        score: 0.25,
                    }]),
                    ..Reply::default()
                }),
                json!({"type": "reply", "reply_to": null, "lang": "", "text": "", "intent": null,
                       "confidence": 0.25, "entities": [], "quick_replies": [], "links": [],
                       "candidates": [{"id": "greeting", "score": 0.25}]}),
            ),
            (
                ServerFrame::Notification(Notification {
                    lang: "en".into(),
                    receipt_number: "EAC2190012345".into(),
                    status: "Case Was Approved".into(),
                    form: "I-130".into(),
                    updated: "2026-11-20".into(),
                    text: "Update on your I-130 (EAC2190012345).".into(),
                }),
                json!({"type": "notification", "lang": "en", "receipt_number": "EAC2190012345",
                       "status": "Case Was Approved", "form": "I-130", "updated": "2026-11-20",
                       "text": "Update on your I-130 (EAC2190012345)."}),
            ),
            (
                ServerFrame::error(ErrorCode::EmptyText, Some(Value::from("m2"))),
                json!({"type": "error", "code": "empty_text",
                       "message": "The message is empty; type a question.", "reply_to": "m2"}),
            ),
            (
                ServerFrame::error(ErrorCode::InvalidJson, None),
                json!({"type": "error", "code": "invalid_json",
                       "message": "That frame is not valid JSON."}),
            ),
            (
                ServerFrame::Pong {
                    reply_to: Some(Value::from(7)),
                },
                json!({"type": "pong", "reply_to": 7}),
            ),
            (
                ServerFrame::Pong { reply_to: None },
                json!({"type": "pong", "reply_to": null}),
            ),
            (
                ServerFrame::Queued {
                    position: 2,
                    wait_seconds: 14,
                },
                json!({"type": "queued", "position": 2, "wait_seconds": 14}),
            ),
            (
                ServerFrame::AgentJoined { name: "Ana".into() },
                json!({"type": "agent_joined", "name": "Ana"}),
            ),
            (
                ServerFrame::AgentMessage {
                    text: "Hello!".into(),
                    name: "Ana".into(),
                },
                json!({"type": "agent_message", "text": "Hello!", "name": "Ana"}),
            ),
            (
                ServerFrame::AgentTyping { name: "Ana".into() },
                json!({"type": "agent_typing", "name": "Ana"}),
            ),
            (ServerFrame::AgentLeft {}, json!({"type": "agent_left"})),
            (
                ServerFrame::AgentUnavailable {
                    text: "Call us.".into(),
                },
                json!({"type": "agent_unavailable", "text": "Call us."}),
            ),
            (
                ServerFrame::Reply(Reply {
                    reply_to: Some(Value::from("m3")),
                    lang: "en".into(),
                    agent: Some("Ana".into()),
                    ..Reply::default()
                }),
                json!({"type": "reply", "reply_to": "m3", "lang": "en", "text": "", "intent": null,
                       "confidence": 0.0, "entities": [], "quick_replies": [], "links": [],
                       "agent": "Ana"}),
            ),
            (
                ServerFrame::FeedbackReceived {
                    reply_to: "r3".into(),
                    helpful: false,
                },
                json!({"type": "feedback_received", "reply_to": "r3", "helpful": false}),
            ),
        ];
        for (frame, _) in &all {
            match frame {
                ServerFrame::Welcome { .. }
                | ServerFrame::Reply(_)
                | ServerFrame::Notification(_)
                | ServerFrame::Error { .. }
                | ServerFrame::Pong { .. }
                | ServerFrame::Queued { .. }
                | ServerFrame::AgentJoined { .. }
                | ServerFrame::AgentMessage { .. }
                | ServerFrame::AgentTyping { .. }
                | ServerFrame::AgentLeft {}
                | ServerFrame::AgentUnavailable { .. }
                | ServerFrame::FeedbackReceived { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_server_frame_is_sent_as_documented_and_reads_back() {
        for (frame, wire) in every_frame() {
            let text = frame.to_json();
            let sent: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(sent, wire, "{frame:?}");
            assert_eq!(ServerFrame::from_json(&text).unwrap(), frame, "{text}");
            let head = ServerFrameHead::from_json(&text);
            let reply_to = match &frame {
                ServerFrame::Reply(r) => r.reply_to.clone(),
                ServerFrame::Error { reply_to, .. } | ServerFrame::Pong { reply_to } => {
                    reply_to.clone()
                }
                ServerFrame::FeedbackReceived { reply_to, .. } => {
                    Some(Value::String(reply_to.clone()))
                }
                _ => None,
            };
            match reply_to {
                Some(Value::Number(_)) => assert!(head.is_err(), "{text}"),
                other => assert_eq!(
                    head.unwrap().reply_to.as_deref(),
                    other.as_ref().and_then(Value::as_str)
                ),
            }
        }
    }

    #[test]
    fn the_documented_server_frames_read_back_unchanged() {
        let doc = include_str!("../../docs/protocol.md");
        let section = doc
            .split("## Server → client")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("a server section");
        let mut kinds = Vec::new();
        for block in section.split("```json").skip(1) {
            let example = block.split("```").next().unwrap();
            let frame =
                ServerFrame::from_json(example).unwrap_or_else(|e| panic!("{e}: {example}"));
            let again: Value = serde_json::from_str(&frame.to_json()).unwrap();
            assert_eq!(again, serde_json::from_str::<Value>(example).unwrap());
            kinds.push(ServerFrameHead::from_json(example).unwrap().kind);
        }
        use ServerFrameKind::*;
        assert_eq!(kinds, [Welcome, Reply, Notification, Error]);
    }

    #[test]
    fn the_documented_live_agent_frames_read_back_unchanged() {
        let doc = include_str!("../../docs/protocol.md");
        let section = doc
            .split("### What the person's client gets")
            .nth(1)
            .and_then(|s| s.split("\n### ").next())
            .expect("a live agents section");
        let mut read = 0;
        for block in section.split("```json").skip(1) {
            let example = block.split("```").next().unwrap();
            let frame =
                ServerFrame::from_json(example).unwrap_or_else(|e| panic!("{e}: {example}"));
            let again: Value = serde_json::from_str(&frame.to_json()).unwrap();
            assert_eq!(again, serde_json::from_str::<Value>(example).unwrap());
            read += 1;
        }
        assert_eq!(
            read, 6,
            "queued, agent_joined, _message, _typing, _left, _unavailable"
        );
    }

    #[test]
    fn a_head_is_borrowed_and_tolerates_unknown_types() {
        let text = r#"{"type":"reply","reply_to":"c1-2","text":"hi","entities":[]}"#;
        let head = ServerFrameHead::from_json(text).unwrap();
        assert_eq!(head.kind, ServerFrameKind::Reply);
        assert!(matches!(head.reply_to, Some(Cow::Borrowed("c1-2"))));
        let newer = ServerFrameHead::from_json(r#"{"type":"typing","reply_to":"x"}"#).unwrap();
        assert_eq!(newer.kind, ServerFrameKind::Other);
        assert!(ServerFrame::from_json(r#"{"type":"typing","reply_to":"x"}"#).is_err());
        assert!(ServerFrameHead::from_json(r#"{"reply_to":"x"}"#).is_err());
    }
}
