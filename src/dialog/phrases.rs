//! Every sentence the dialog says that does not come from a content file, in one place, so
//! the wording can be reviewed (and translated) without reading the logic. Templates use
//! the same `{placeholder}` syntax as content responses and are filled by
//! [`super::render::fill`].

/// The greeting a new chat starts with.
pub const GREETING: &str = "Hi! I'm casebot, a virtual assistant for immigration case questions. Ask me about your online account, receipt numbers, or the status of your case.";
/// The greeting of a chat resumed after a reconnection.
pub const WELCOME_BACK: &str = "Welcome back!";

/// The fallback when nothing comes close.
pub const FALLBACK: &str = "Sorry, I didn't get that. I can help with your USCIS online account, receipt numbers and case status. Could you rephrase, or pick a topic below?";
/// The fallback above "did you mean" suggestions.
pub const FALLBACK_WITH_SUGGESTIONS: &str =
    "Sorry, I'm not sure I understood. Did you mean one of these?";
/// A topic another organization handles (`{topic}`), when nothing close can be suggested.
pub const ELSEWHERE: &str = "That sounds like a question about {topic}, which I can't help with. I answer questions about USCIS online accounts, receipt numbers and case status.";
/// A topic another organization handles (`{topic}`), above suggestions.
pub const ELSEWHERE_WITH_SUGGESTIONS: &str = "That sounds like a question about {topic}, which I can't help with. If you meant your USCIS account or case, one of these may help:";
/// The answer to a message holding a Social Security number.
pub const PRIVACY_WARNING: &str = "For your safety, please don't share your Social Security number here. I don't need it to help you, and I haven't kept it. You can ask me about your case with your receipt number instead.";

/// The starter menu, offered with the greeting and when nothing closer can be suggested.
pub const STARTER_MENU: [&str; 3] = [
    "Check my case status",
    "What is an online account number?",
    "Talk to a person",
];
/// The quick reply offered with the privacy warning.
pub const CHECK_STATUS: &str = "Check my case status";
/// The quick reply offered when no case was found.
pub const TALK_TO_A_PERSON: &str = "Talk to a person";
/// The quick reply offered when the chat follows no case.
pub const NOTIFY_ME: &str = "Notify me about changes";

/// Asking for a slot the intent declares no question for (`{entity}`).
pub const ASK_FOR_ENTITY: &str = "Could you give me the {entity}?";

/// The per-chat or per-address look-up limit was reached.
pub const LOOKUPS_PAUSED: &str = "You've looked up many different cases in a short time, so I've paused look-ups for this chat. Please try again in a few minutes.";
/// The case store cannot be reached.
pub const STORE_UNAVAILABLE: &str =
    "I can't reach the case records right now. Please try again in a moment.";
/// Letters read as digits in the receipt number looked up (`{receipt_number}`).
pub const READ_LETTERS_AS_DIGITS: &str = "(I read some letters you typed as digits, such as the letter O as a zero, so I looked up {receipt_number}.)";
/// Before the explanation of a second, mistyped number (`{problem}`).
pub const ABOUT_THE_OTHER_NUMBER: &str = "About the other number you typed: {problem}";
/// More receipt numbers in one message than are answered (`{answered}`, `{left}`).
pub const TOO_MANY_RECEIPTS: &str =
    "I answered the first {answered}; ask me about the other {left} separately.";
/// No case has this receipt number (`{receipt_number}`).
pub const NOT_FOUND: &str = "I couldn't find a case with receipt number {receipt_number}. Please check it against your receipt notice: it's three letters followed by ten digits.";
/// Added to [`NOT_FOUND`] when the prefix is unknown (`{prefix}`).
pub const NOT_FOUND_UNKNOWN_PREFIX: &str = "Also, {prefix} isn't a USCIS office prefix I know, so the first three letters may be mistyped.";
/// Added to [`NOT_FOUND`] when letters were read as digits.
pub const NOT_FOUND_CORRECTED: &str =
    "(I read some letters as digits, such as the letter O as a zero.)";
/// After what is wrong with a mistyped receipt number (`{problem}`).
pub const RETYPE: &str = "{problem} Could you check it and type it again?";
/// An A-number given where a receipt number is needed.
pub const A_NUMBER_IS_NOT_A_RECEIPT: &str = "That looks like an A-number (Alien Registration Number), which identifies you, not a case. To look up a case I need its receipt number: three letters and ten digits, like EAC2190012345, printed on your receipt notice.";
/// An online account number given where a receipt number is needed.
pub const ACCOUNT_NUMBER_IS_NOT_A_RECEIPT: &str = "That looks like your USCIS online account number, which identifies your account, not a case. To look up a case I need its receipt number: three letters and ten digits, like EAC2190012345.";
/// A receipt prefix with no known office (`{prefix}`), where `{office}` would go.
pub const UNKNOWN_PREFIX_OFFICE: &str =
    "office behind the prefix {prefix}, which I don't recognize";
/// A prefix that is not a known office (`{prefix}`), asked about directly.
pub const UNKNOWN_PREFIX: &str = "{prefix} isn't a USCIS office prefix I know. Check the first three letters on your receipt notice; common ones are EAC, WAC, LIN, SRC, MSC, NBC, YSC and IOE.";
/// A status with no plain-language explanation, where `{meaning}` would go.
pub const NO_STATUS_MEANING: &str = "I don't have a plain-language explanation of this status; its full text on Case Status Online describes it.";

/// The chat follows no case, asked to stop following.
pub const NOT_FOLLOWING_TO_STOP: &str =
    "You don't have any case notifications turned on in this chat.";
/// The chat follows no case, asked which.
pub const NOT_FOLLOWING: &str = "You aren't following any case in this chat. Say **notify me about** and a receipt number to start.";

/// A form the forms table does not describe (`{form_number}`).
pub const UNKNOWN_FORM: &str = "I don't have details about form {form_number}. The USCIS forms page lists every form and its instructions.";
/// The link offered with form answers: title and address.
pub const FORMS_LINK: (&str, &str) = ("USCIS forms", "https://www.uscis.gov/forms");

/// A followed case changed (`{form}`, `{receipt_number}`, `{status}`, `{updated}`).
pub const NOTIFICATION: &str =
    "Update on your {form} ({receipt_number}): the status is now **{status}** as of {updated}.";
