//! Handing chats to live agents: who is signed in, the chats waiting in line, which agent
//! holds which chat, and each chat's transcript. Frames for the person go through the
//! session registry (so a resumed connection gets them), frames for an agent through the
//! agent's own queue. Nothing here waits: every call takes the lock, changes the state and
//! pushes frames with `try_send`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::metrics::{self, WaitEnd};
use super::protocol::ServerFrame;
use super::sessions::{Outbound, SessionRegistry};
use crate::nlu::Lang;
use crate::nlu::mask::mask_text;

/// Most lines kept of one chat's transcript (the latest).
const MAX_LINES: usize = 200;
/// Most chats whose transcript is kept; the oldest is forgotten first.
const MAX_TRANSCRIPTS: usize = 10_000;
/// Longest preview of a waiting chat shown to agents, in characters.
const PREVIEW_CHARS: usize = 80;
/// Frames an agent's connection may have waiting before more are dropped.
pub const AGENT_QUEUE: usize = 256;

/// Who wrote a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The person in the chat.
    Person,
    /// casebot.
    Assistant,
    /// A live agent.
    Agent,
}

/// One message of a chat, as it was written (identifiers included: agents see them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Who wrote it.
    pub from: Speaker,
    /// What was written.
    pub text: String,
    /// The agent's name, on an agent's line.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
}

/// A chat waiting in line, as agents see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waiting {
    /// The chat's id on the agent side (never the session token).
    pub chat: String,
    /// Place in line, from 1.
    pub position: usize,
    /// The chat's language (`en`, `es`).
    pub lang: String,
    /// Seconds waited so far.
    pub wait_seconds: u64,
    /// The person's latest message before asking, identifiers masked.
    pub preview: String,
    /// True while the person has no connection open (they may still come back).
    #[serde(default)]
    pub away: bool,
}

/// A frame the server sends to an agent on `/agent/ws`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentFrame {
    /// The token was accepted.
    SignedIn {
        /// The name the person will see.
        name: String,
    },
    /// The chats waiting for an agent, first in line first; sent whenever the line changes.
    Queue {
        /// The waiting chats.
        chats: Vec<Waiting>,
    },
    /// The chat this agent took, with everything said in it so far.
    Transcript {
        /// The chat.
        chat: String,
        /// Its language.
        lang: String,
        /// The messages, oldest first.
        messages: Vec<Line>,
    },
    /// The person wrote in a chat this agent holds.
    Message {
        /// The chat.
        chat: String,
        /// What the person wrote.
        text: String,
    },
    /// The person of a chat this agent holds closed their last connection (they may
    /// come back with their session).
    PersonLeft {
        /// The chat.
        chat: String,
    },
    /// The person of a chat this agent holds is connected again.
    PersonBack {
        /// The chat.
        chat: String,
    },
    /// The person of a chat this agent held stayed away past the resume window: their
    /// session is over, and so is the chat (the agent no longer holds it).
    PersonGone {
        /// The chat.
        chat: String,
    },
    /// A frame could not be taken.
    Error {
        /// Stable machine-readable code.
        code: String,
        /// Human-readable sentence for the agent.
        message: String,
    },
}

impl AgentFrame {
    /// The frame as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("agent frames always serialize")
    }

    /// An error frame.
    pub fn error(code: &str, message: &str) -> Self {
        AgentFrame::Error {
            code: code.to_string(),
            message: message.to_string(),
        }
    }
}

/// A frame an agent sends on `/agent/ws`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentRequest {
    /// The first frame: the agent token and the name the person will see.
    AgentHello {
        /// `CASEBOT_AGENT_TOKEN`.
        token: String,
        /// The agent's display name.
        name: String,
    },
    /// Take a waiting chat.
    Take {
        /// The chat.
        chat: String,
    },
    /// Write to the person.
    Say {
        /// The chat.
        chat: String,
        /// The text.
        text: String,
    },
    /// Tell the person the agent is typing.
    Typing {
        /// The chat.
        chat: String,
    },
    /// Give the chat back to the assistant.
    HandBack {
        /// The chat.
        chat: String,
    },
    /// End the conversation with the person; the assistant answers again.
    Close {
        /// The chat.
        chat: String,
    },
}

/// What asking for a person did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// The chat joined the line under this id.
    New(String),
    /// The chat was in line already; its place was sent again.
    Already,
    /// No agent is online (or an agent holds the chat already).
    NoAgent,
}

/// Why an agent's request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No such chat, or it is no longer waiting.
    NoSuchChat,
    /// Another agent holds the chat, or this one does not.
    NotYours,
}

impl Refused {
    /// The code sent in the agent's `error` frame.
    pub fn code(self) -> &'static str {
        match self {
            Refused::NoSuchChat => "no_such_chat",
            Refused::NotYours => "not_yours",
        }
    }
}

struct Agent {
    name: String,
    tx: mpsc::Sender<AgentFrame>,
}

struct Chat {
    token: String,
    lang: Lang,
    since: Instant,
    preview: String,
    /// The contact center answer, for when no agent comes.
    contact: String,
    owner: Option<u64>,
    /// Since when the person has had no connection open.
    away: Option<Instant>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    agents: HashMap<u64, Agent>,
    chats: HashMap<String, Chat>,
    by_token: HashMap<String, String>,
    line: Vec<String>,
    transcripts: HashMap<String, VecDeque<Line>>,
    kept: VecDeque<String>,
}

/// The live agent side of a server.
pub struct Handoff {
    enabled: bool,
    inner: Mutex<Inner>,
}

impl Handoff {
    /// The agent side, on when `enabled` (an agent token is configured).
    pub fn new(enabled: bool) -> Self {
        Handoff {
            enabled,
            inner: Mutex::default(),
        }
    }

    /// True when agents can sign in.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a line to the transcript of the chat of session `token` (kept only while the
    /// agent side is on).
    pub fn record(&self, token: &str, from: Speaker, text: &str, name: Option<&str>) {
        if !self.enabled {
            return;
        }
        let mut inner = self.lock();
        let inner = &mut *inner;
        if !inner.transcripts.contains_key(token) {
            if inner.kept.len() >= MAX_TRANSCRIPTS
                && let Some(oldest) = inner.kept.pop_front()
            {
                inner.transcripts.remove(&oldest);
            }
            inner.kept.push_back(token.to_string());
        }
        let lines = inner.transcripts.entry(token.to_string()).or_default();
        if lines.len() >= MAX_LINES {
            lines.pop_front();
        }
        lines.push_back(Line {
            from,
            text: text.to_string(),
            name: name.map(str::to_string),
        });
    }

    /// When an agent holds the chat of session `token`: records `text`, passes it to the
    /// agent and returns the agent's name. `None` when the assistant should answer.
    pub fn relay(&self, token: &str, text: &str) -> Option<String> {
        let name = {
            let inner = self.lock();
            let chat_id = inner.by_token.get(token)?;
            let chat = inner.chats.get(chat_id)?;
            let agent = inner.agents.get(&chat.owner?)?;
            let _ = agent.tx.try_send(AgentFrame::Message {
                chat: chat_id.clone(),
                text: text.to_string(),
            });
            agent.name.clone()
        };
        self.record(token, Speaker::Person, text, None);
        Some(name)
    }

    /// Puts the chat of session `token` in line when an agent is online; `contact` is the
    /// answer to send if none takes it in time.
    pub fn enqueue(
        &self,
        token: &str,
        lang: Lang,
        contact: String,
        registry: &SessionRegistry,
    ) -> Enqueued {
        let mut inner = self.lock();
        if inner.agents.is_empty() {
            metrics::handoff_requested(false);
            return Enqueued::NoAgent;
        }
        if let Some(id) = inner.by_token.get(token) {
            if inner.chats.get(id).is_some_and(|c| c.owner.is_some()) {
                return Enqueued::NoAgent;
            }
            announce(&inner, registry);
            return Enqueued::Already;
        }
        inner.next += 1;
        let id = format!("c{}", inner.next);
        let preview = inner
            .transcripts
            .get(token)
            .and_then(|lines| {
                let mut said = lines.iter().rev().filter(|l| l.from == Speaker::Person);
                let asking = said.next();
                said.next().or(asking)
            })
            .map(|l| mask_text(&l.text).chars().take(PREVIEW_CHARS).collect())
            .unwrap_or_default();
        inner.chats.insert(
            id.clone(),
            Chat {
                token: token.to_string(),
                lang,
                since: Instant::now(),
                preview,
                contact,
                owner: None,
                away: None,
            },
        );
        metrics::handoff_requested(true);
        inner.by_token.insert(token.to_string(), id.clone());
        inner.line.push(id.clone());
        tracing::info!(chat = %id, waiting = inner.line.len(), "a chat asked for a person");
        announce(&inner, registry);
        Enqueued::New(id)
    }

    /// Gives up on chat `id` if it is still waiting: the person gets the contact center's
    /// answer. True when it was waiting.
    pub fn expire(&self, id: &str, registry: &SessionRegistry) -> bool {
        let mut inner = self.lock();
        let waiting = inner.chats.get(id).is_some_and(|c| c.owner.is_none());
        if waiting {
            let chat = forget(&mut inner, id).expect("a waiting chat");
            metrics::handoff_wait_ended(WaitEnd::Expired, chat.since.elapsed());
            tracing::info!(chat = %id, "no agent took the chat in time");
            push(registry, &chat.token, unavailable(chat.contact));
            announce(&inner, registry);
        }
        waiting
    }

    /// Signs an agent in; returns its number and the queue it should show.
    pub fn sign_in(&self, name: &str, tx: mpsc::Sender<AgentFrame>) -> u64 {
        let mut inner = self.lock();
        inner.next += 1;
        let id = inner.next;
        let _ = tx.try_send(AgentFrame::Queue {
            chats: waiting(&inner),
        });
        inner.agents.insert(
            id,
            Agent {
                name: name.to_string(),
                tx,
            },
        );
        metrics::agent_online(true);
        tracing::info!(
            agent = id,
            online = inner.agents.len(),
            "an agent signed in"
        );
        id
    }

    /// Signs agent `agent` out: its chats go back to the assistant, and when it was the last
    /// agent online, the chats in line get the contact center's answer.
    pub fn sign_out(&self, agent: u64, registry: &SessionRegistry) {
        let mut inner = self.lock();
        if inner.agents.remove(&agent).is_some() {
            metrics::agent_online(false);
        }
        let held: Vec<String> = inner
            .chats
            .iter()
            .filter(|(_, c)| c.owner == Some(agent))
            .map(|(id, _)| id.clone())
            .collect();
        for id in held {
            if let Some(chat) = forget(&mut inner, &id) {
                push(registry, &chat.token, ServerFrame::AgentLeft {});
            }
        }
        if inner.agents.is_empty() {
            for id in inner.line.clone() {
                if let Some(chat) = forget(&mut inner, &id) {
                    metrics::handoff_wait_ended(WaitEnd::NoAgentLeft, chat.since.elapsed());
                    push(registry, &chat.token, unavailable(chat.contact));
                }
            }
        }
        tracing::info!(agent, online = inner.agents.len(), "an agent signed out");
        announce(&inner, registry);
    }

    /// Agent `agent` takes waiting chat `id`: the person is told, the agent gets the
    /// transcript, and the chat leaves every agent's queue.
    pub fn take(&self, agent: u64, id: &str, registry: &SessionRegistry) -> Result<(), Refused> {
        let mut inner = self.lock();
        let Some(chat) = inner.chats.get(id) else {
            return Err(Refused::NoSuchChat);
        };
        if chat.owner.is_some() {
            return Err(Refused::NotYours);
        }
        let (token, lang) = (chat.token.clone(), chat.lang);
        let Some(me) = inner.agents.get(&agent) else {
            return Err(Refused::NotYours);
        };
        let name = me.name.clone();
        let messages = inner
            .transcripts
            .get(&token)
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default();
        let _ = me.tx.try_send(AgentFrame::Transcript {
            chat: id.to_string(),
            lang: lang.code().to_string(),
            messages,
        });
        if let Some(chat) = inner.chats.get_mut(id) {
            chat.owner = Some(agent);
            metrics::handoff_wait_ended(WaitEnd::Taken, chat.since.elapsed());
        }
        inner.line.retain(|c| c != id);
        tracing::info!(chat = %id, agent, "an agent took a chat");
        push(registry, &token, ServerFrame::AgentJoined { name });
        announce(&inner, registry);
        Ok(())
    }

    /// The session token and agent name of chat `id` when agent `agent` holds it.
    fn held(&self, agent: u64, id: &str) -> Result<(String, String), Refused> {
        let inner = self.lock();
        let chat = inner.chats.get(id).ok_or(Refused::NoSuchChat)?;
        if chat.owner != Some(agent) {
            return Err(Refused::NotYours);
        }
        let name = inner
            .agents
            .get(&agent)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        Ok((chat.token.clone(), name))
    }

    /// Agent `agent` writes `text` to the person of chat `id`.
    pub fn say(
        &self,
        agent: u64,
        id: &str,
        text: &str,
        registry: &SessionRegistry,
    ) -> Result<(), Refused> {
        let (token, name) = self.held(agent, id)?;
        if tracing::enabled!(tracing::Level::DEBUG) {
            tracing::debug!(chat = %id, agent, text = %mask_text(text), "an agent wrote");
        }
        self.record(&token, Speaker::Agent, text, Some(&name));
        push(
            registry,
            &token,
            ServerFrame::AgentMessage {
                text: text.to_string(),
                name,
            },
        );
        Ok(())
    }

    /// Agent `agent` is typing in chat `id`.
    pub fn typing(&self, agent: u64, id: &str, registry: &SessionRegistry) -> Result<(), Refused> {
        let (token, name) = self.held(agent, id)?;
        push(registry, &token, ServerFrame::AgentTyping { name });
        Ok(())
    }

    /// Agent `agent` lets go of chat `id` (hand back or close): the assistant answers again.
    pub fn release(&self, agent: u64, id: &str, registry: &SessionRegistry) -> Result<(), Refused> {
        self.held(agent, id)?;
        let mut inner = self.lock();
        if let Some(chat) = forget(&mut inner, id) {
            tracing::info!(chat = %id, agent, "an agent handed a chat back");
            push(registry, &chat.token, ServerFrame::AgentLeft {});
        }
        Ok(())
    }

    /// The person of session `token` closed their last connection (`away`) or opened one
    /// again: the agent holding the chat is told, and a waiting chat shows it in the line.
    /// Returns when the person left, when this call found them newly away, for
    /// [`Handoff::person_gone`].
    pub fn person_away(
        &self,
        token: &str,
        away: bool,
        registry: &SessionRegistry,
    ) -> Option<Instant> {
        if !self.enabled {
            return None;
        }
        let mut inner = self.lock();
        let id = inner.by_token.get(token).cloned()?;
        let chat = inner.chats.get_mut(&id)?;
        if chat.away.is_some() == away {
            return None;
        }
        chat.away = away.then(Instant::now);
        let left = chat.away;
        match chat.owner {
            Some(owner) => {
                if let Some(agent) = inner.agents.get(&owner) {
                    let frame = if away {
                        AgentFrame::PersonLeft { chat: id }
                    } else {
                        AgentFrame::PersonBack { chat: id }
                    };
                    let _ = agent.tx.try_send(frame);
                }
            }
            None => announce(&inner, registry),
        }
        left
    }

    /// The person of session `token`, away since `left`, did not come back within the
    /// resume window: a waiting chat leaves the line, and the agent holding the chat is told
    /// and no longer holds it. Nothing happens if the person came back since.
    pub fn person_gone(&self, token: &str, left: Instant, registry: &SessionRegistry) {
        let mut inner = self.lock();
        let Some(id) = inner.by_token.get(token).cloned() else {
            return;
        };
        if inner.chats.get(&id).is_none_or(|c| c.away != Some(left)) {
            return;
        }
        let chat = forget(&mut inner, &id).expect("a chat of this token");
        match chat.owner {
            Some(owner) => {
                if let Some(agent) = inner.agents.get(&owner) {
                    let _ = agent
                        .tx
                        .try_send(AgentFrame::PersonGone { chat: id.clone() });
                }
                tracing::info!(chat = %id, agent = owner, "the person of a held chat did not come back");
            }
            None => {
                metrics::handoff_wait_ended(WaitEnd::Left, chat.since.elapsed());
                tracing::info!(chat = %id, "a person left the line");
                announce(&inner, registry);
            }
        }
    }

    /// Number of agents signed in.
    pub fn agents_online(&self) -> usize {
        self.lock().agents.len()
    }
}

/// Removes chat `id` from the line and the indexes.
fn forget(inner: &mut Inner, id: &str) -> Option<Chat> {
    let chat = inner.chats.remove(id)?;
    inner.by_token.remove(&chat.token);
    inner.line.retain(|c| c != id);
    Some(chat)
}

/// The chats in line, as agents see them.
fn waiting(inner: &Inner) -> Vec<Waiting> {
    inner
        .line
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let chat = inner.chats.get(id)?;
            Some(Waiting {
                chat: id.clone(),
                position: i + 1,
                lang: chat.lang.code().to_string(),
                wait_seconds: chat.since.elapsed().as_secs(),
                preview: chat.preview.clone(),
                away: chat.away.is_some(),
            })
        })
        .collect()
}

/// Tells every agent the line and every waiting person their place in it.
fn announce(inner: &Inner, registry: &SessionRegistry) {
    let chats = waiting(inner);
    for agent in inner.agents.values() {
        let _ = agent.tx.try_send(AgentFrame::Queue {
            chats: chats.clone(),
        });
    }
    for w in &chats {
        if let Some(chat) = inner.chats.get(&w.chat) {
            push(
                registry,
                &chat.token,
                ServerFrame::Queued {
                    position: w.position,
                    wait_seconds: w.wait_seconds,
                },
            );
        }
    }
}

fn unavailable(text: String) -> ServerFrame {
    ServerFrame::AgentUnavailable { text }
}

fn push(registry: &SessionRegistry, token: &str, frame: ServerFrame) {
    registry.push(token, Outbound::Frame(Box::new(frame)));
}
