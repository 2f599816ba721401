//! Realistic chat messages shared by the pipeline benchmark and the latency example.

/// Realistic chat messages: FAQ questions, case look-ups, small talk, out of scope.
#[allow(dead_code)]
pub const MESSAGES: &[&str] = &[
    "hi",
    "what is my uscis online account number and where do i find it",
    "i forgot my pasword and now my acount is locked",
    "what's the status of EAC2190012345?",
    "eac 21 900 12345",
    "how do i change my address after moving",
    "can i reschedule my biometrics appointment",
    "whats the difference between a receipt number and an a-number",
    "talk to a person",
    "what's the weather in boston tomorrow",
    "I filed my I-485 last year and I was wondering how long processing takes these days",
    "notify me about changes",
];

