//! Conversations over a real WebSocket with a real sled store: slots, memory, case status,
//! notifications, fallback.

mod common;

use common::{Client, TestServer, case_with_history};
use serde_json::Value;

async fn server_with_cases() -> TestServer {
    let server = TestServer::start().await;
    for r in [
        case_with_history("EAC2190012345", "I-130", "Case Was Approved", "2026-09-14"),
        case_with_history("IOE0912345678", "I-765", "Case Was Received", "2026-03-02"),
        case_with_history(
            "LIN2290054321",
            "I-485",
            "Request for Additional Evidence Was Sent",
            "2026-05-20",
        ),
    ] {
        server.store.upsert(r).await.unwrap();
    }
    server
}

fn text(reply: &Value) -> &str {
    reply["text"].as_str().unwrap()
}

/// The quick replies a reply offers.
fn offered(reply: &Value) -> Vec<&str> {
    reply["quick_replies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[tokio::test]
async fn asks_for_the_receipt_number_then_completes_the_question() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let asked = c.ask("what's the status of my case?").await;
    assert_eq!(asked["intent"], "case_status");
    assert!(text(&asked).contains("receipt number"), "{asked}");
    let answer = c.ask("it's eac 21 900 12345").await;
    assert_eq!(answer["intent"], "case_status");
    let t = text(&answer);
    for part in [
        "I-130",
        "EAC2190012345",
        "Case Was Approved",
        "2026-09-14",
        "Vermont Service Center",
    ] {
        assert!(t.contains(part), "missing {part} in {t}");
    }
    assert_eq!(answer["entities"][0]["kind"], "receipt_number");
    assert_eq!(answer["entities"][0]["value"], "EAC2190012345");
}

#[tokio::test]
async fn a_receipt_number_alone_gets_its_status() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c.ask("LIN2290054321").await;
    assert_eq!(answer["intent"], "case_status");
    assert!(text(&answer).contains("Request for Additional Evidence Was Sent"));
    assert!(text(&answer).contains("Nebraska Service Center"));
}

#[tokio::test]
async fn remembers_the_receipt_number_for_follow_ups() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    c.ask("my receipt number is IOE0912345678").await;
    let status = c.ask("so what's the status?").await;
    assert_eq!(status["intent"], "case_status");
    assert!(text(&status).contains("I-765"), "{status}");
    let updated = c.ask("and when was it last updated?").await;
    assert_eq!(updated["intent"], "case_updated");
    assert!(text(&updated).contains("2026-03-02"), "{updated}");
    let history = c.ask("show me the history").await;
    assert_eq!(history["intent"], "case_history");
    assert!(
        text(&history).contains("- 2026-03-02: Case Was Received"),
        "{history}"
    );
}

#[tokio::test]
async fn several_receipt_numbers_get_one_answer_each() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c
        .ask("status of EAC2190012345 and LIN2290054321 please")
        .await;
    let t = text(&answer);
    assert!(
        t.contains("Case Was Approved") && t.contains("Request for Additional Evidence Was Sent"),
        "{t}"
    );
    assert_eq!(answer["entities"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_unknown_case_is_not_found_and_shows_no_other_data() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c.ask("what's the status of WAC2190099999").await;
    let t = text(&answer);
    assert!(t.contains("couldn't find"), "{t}");
    for other in ["I-130", "I-765", "I-485", "Approved"] {
        assert!(!t.contains(other), "leaked {other}: {t}");
    }
}

#[tokio::test]
async fn an_unknown_prefix_is_pointed_out() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c.ask("check FAC9876543211").await;
    assert!(
        text(&answer).contains("FAC isn't a USCIS office prefix"),
        "{answer}"
    );
    assert_eq!(answer["entities"][0]["known_prefix"], false);
}

#[tokio::test]
async fn a_malformed_receipt_number_gets_what_is_wrong() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    c.ask("what's the status of my case").await;
    let answer = c.ask("EAC219001234").await;
    assert_eq!(answer["intent"], "case_status");
    assert!(text(&answer).to_lowercase().contains("digit"), "{answer}");
}

#[tokio::test]
async fn a_malformed_receipt_number_on_its_own_is_explained() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c.ask("EAC269000001").await;
    assert_eq!(answer["intent"], "case_status", "{answer}");
    assert!(text(&answer).to_lowercase().contains("digit"), "{answer}");
}

#[tokio::test]
async fn a_mistyped_receipt_number_is_explained_not_swapped_for_the_remembered_one() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    c.ask("status of EAC2190012345").await;
    let answer = c.ask("here is my receipt EAC219001234").await;
    let t = text(&answer);
    assert!(t.contains("9 digits"), "{answer}");
    for other in ["EAC2190012345", "I-130", "Approved"] {
        assert!(!t.contains(other), "answered about {other}: {t}");
    }
}

#[tokio::test]
async fn a_mistyped_receipt_number_given_as_a_statement_is_explained() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c.ask("my receipt number is LIN229005432").await;
    assert_eq!(answer["intent"], "case_status", "{answer}");
    assert!(text(&answer).contains("9 digits"), "{answer}");
}

#[tokio::test]
async fn a_valid_and_a_mistyped_receipt_number_both_get_an_answer() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c.ask("status of EAC2190012345 and LIN22900543").await;
    let t = text(&answer);
    assert!(t.contains("Case Was Approved"), "{t}");
    assert!(t.contains("8 digits"), "{t}");
}

#[tokio::test]
async fn letters_read_as_digits_are_pointed_out_in_the_answer() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c.ask("status of EAC219OO12345").await;
    let t = text(&answer);
    assert!(t.contains("Case Was Approved"), "{t}");
    assert!(t.contains("letter O as a zero"), "{t}");
    let plain = c.ask("status of EAC2190012345").await;
    assert!(!text(&plain).contains("letter O"), "{plain}");
}

#[tokio::test]
async fn what_a_status_means_is_answered_for_the_remembered_case() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let asked = c.ask("what does my status mean").await;
    assert_eq!(asked["intent"], "case_meaning");
    assert!(text(&asked).contains("receipt number"), "{asked}");
    let answer = c.ask("LIN2290054321").await;
    assert_eq!(answer["intent"], "case_meaning", "{answer}");
    assert!(
        text(&answer).contains("Request for Additional Evidence Was Sent"),
        "{answer}"
    );
    c.ask("status of IOE0912345678").await;
    let follow_up = c.ask("what does that status mean?").await;
    assert_eq!(follow_up["intent"], "case_meaning", "{follow_up}");
    assert!(
        text(&follow_up).contains("Case Was Received"),
        "{follow_up}"
    );
}

#[tokio::test]
async fn any_form_number_is_described_even_one_the_content_never_names() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    for (question, name) in [
        ("what's an i-129f for", "Fiancé"),
        ("what is form I-912", "Fee Waiver"),
        ("what does the I-730 do", "Refugee/Asylee Relative"),
    ] {
        let answer = c.ask(question).await;
        assert_eq!(answer["intent"], "form_info", "{question}: {answer}");
        assert!(text(&answer).contains(name), "{question}: {answer}");
    }
}

#[tokio::test]
async fn a_lost_green_card_gets_the_replacement_form() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c.ask("i lost my green card, how do i get a new one").await;
    assert_eq!(answer["intent"], "replace-green-card", "{answer}");
    assert!(text(&answer).contains("I-90"), "{answer}");
}

#[tokio::test]
async fn articles_use_what_the_person_said_earlier() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let general = c
        .ask("what do the letters at the start of a receipt number mean?")
        .await;
    assert_eq!(general["intent"], "receipt-number-prefixes", "{general}");
    assert!(!text(&general).contains("Yours"), "{general}");
    assert!(!text(&general).contains('{'), "{general}");
    c.ask("status of LIN2290054321").await;
    let personal = c
        .ask("what do the letters at the start of a receipt number mean?")
        .await;
    assert_eq!(personal["intent"], "receipt-number-prefixes", "{personal}");
    assert!(
        text(&personal).contains(
            "Yours, **LIN** (from LIN2290054321), stands for the **Nebraska Service Center**"
        ),
        "{personal}"
    );
    c.ask("my a number is A12345678").await;
    let padded = c.ask("how do i write my a-number on a form").await;
    assert!(text(&padded).contains("**A012345678**."), "{padded}");
}

#[tokio::test]
async fn an_a_number_where_a_receipt_is_needed_is_explained() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    c.ask("check my case status").await;
    let answer = c.ask("A# 12345678").await;
    assert!(text(&answer).contains("A-number"), "{answer}");
    assert!(text(&answer).contains("receipt number"), "{answer}");
}

#[tokio::test]
async fn a_question_asked_beside_a_receipt_number_is_answered_with_the_look_up_offered() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c
        .ask("my receipt number is EAC2190012345, how do i change my address after moving")
        .await;
    assert_eq!(answer["intent"], "change-of-address", "{answer}");
    let offered = answer["quick_replies"].as_array().unwrap();
    assert_eq!(offered[0], "Check my case status", "{answer}");
    // The number was remembered: taking the offer looks that case up.
    let looked_up = c.ask("Check my case status").await;
    assert_eq!(looked_up["intent"], "case_status");
    assert!(
        text(&looked_up).contains("Case Was Approved"),
        "{looked_up}"
    );
}

#[tokio::test]
async fn a_receipt_number_with_a_status_question_or_a_word_or_two_is_looked_up() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    for message in [
        "whats the status of EAC2190012345",
        "EAC2190012345 approved?",
        "my receipt number is EAC2190012345",
        "how can i check my case status? my receipt number is EAC2190012345",
    ] {
        let answer = c.ask(message).await;
        assert_eq!(answer["intent"], "case_status", "{message}: {answer}");
        assert!(text(&answer).contains("Case Was Approved"), "{answer}");
    }
}

#[tokio::test]
async fn a_second_question_in_another_sentence_is_offered() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c
        .ask(
            "I filed paper I-130 for my wife, how do i add it to my online account? and where \
             do i find my online account number",
        )
        .await;
    let offered = offered(&answer);
    let (answered, other) = if answer["intent"] == "add-paper-case" {
        (
            "add-paper-case",
            "Where do I find my USCIS online account number?",
        )
    } else {
        (
            "where-to-find-account-number",
            "How do I add a paper-filed case to my online account?",
        )
    };
    assert_eq!(answer["intent"], answered, "{answer}");
    assert_eq!(offered.first(), Some(&other), "{answer}");
}

#[tokio::test]
async fn what_a_receipt_numbers_letters_mean_is_answered_for_the_number_given() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c
        .ask("whats EAC mean in my receipt number EAC2290112345")
        .await;
    assert_eq!(answer["intent"], "case_office", "{answer}");
    assert!(text(&answer).contains("Vermont"), "{answer}");
}

#[tokio::test]
async fn a_status_question_with_an_account_number_asks_for_the_receipt_number() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c
        .ask("my account number is 123456789012, what's my status")
        .await;
    assert_eq!(answer["intent"], "case_status", "{answer}");
    let t = text(&answer);
    assert!(t.contains("receipt number"), "{t}");
    assert!(
        t.contains("account number"),
        "it says why that number cannot find a case: {t}"
    );
}

#[tokio::test]
async fn a_long_worried_story_that_falls_back_is_offered_its_closest_topics() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let story = "Hi, I filed my I-130 for my husband back in March and I have been checking every \
                 single day and it still says case was received, I'm so worried that something is \
                 wrong, we have a baby on the way and I don't know who to call or what to do \
                 anymore. Please help";
    let answer = c.ask(story).await;
    let offered = offered(&answer);
    let starters = [
        "Check my case status",
        "What is an online account number?",
        "Talk to a person",
    ];
    assert!(
        offered.iter().any(|q| !starters.contains(q)),
        "a story gets its closest topics, not only the starter menu: {answer}"
    );
}

#[tokio::test]
async fn the_person_can_change_the_subject_while_asked_for_a_slot() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    c.ask("what is the status of my case").await;
    let answer = c.ask("actually, can I talk to a person?").await;
    assert_eq!(answer["intent"], "talk_to_person");
}

#[tokio::test]
async fn out_of_scope_questions_fall_back() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    for q in [
        "what's the weather in boston tomorrow",
        "give me a recipe for lasagna",
        "who won the world series",
    ] {
        let answer = c.ask(q).await;
        assert_eq!(answer["intent"], Value::Null, "{q} -> {answer}");
        assert!(!answer["quick_replies"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn questions_about_other_services_are_told_so_not_answered_as_uscis_ones() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let ours = c.ask("how do i reset my password").await;
    assert_eq!(ours["intent"], "forgot-password", "{ours}");
    let theirs = c.ask("how do i reset my gmail password").await;
    assert_eq!(theirs["intent"], Value::Null, "{theirs}");
    assert!(
        text(&theirs).contains("about email accounts, which I can't help with"),
        "{theirs}"
    );
    // In case the person meant their USCIS account, the closest topic is offered.
    let offered = theirs["quick_replies"].as_array().unwrap();
    assert!(
        offered
            .iter()
            .any(|q| q.as_str().unwrap().contains("password")),
        "{theirs}"
    );
    for (q, topic) in [
        ("my iphone is locked, how do I unlock it", "phones"),
        ("how long does it take to renew a passport", "passports"),
        ("where do i check my tax refund status", "taxes"),
    ] {
        let reply = c.ask(q).await;
        assert_eq!(reply["intent"], Value::Null, "{q} -> {reply}");
        assert!(text(&reply).contains(topic), "{q} -> {reply}");
    }
}

#[tokio::test]
async fn naming_another_service_next_to_a_uscis_one_still_gets_the_uscis_answer() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let card = c
        .ask("i lost my passport and my green card, how do i replace the card")
        .await;
    assert_eq!(card["intent"], "replace-green-card", "{card}");
    let case = c
        .ask("my bank needs proof, what's the status of EAC2190012345")
        .await;
    assert_eq!(case["intent"], "case_status", "{case}");
    assert!(text(&case).contains("Case Was Approved"), "{case}");
}

#[tokio::test]
async fn debug_replies_explain_themselves() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    c.send_raw(r#"{"type":"message","text":"talk to a person","id":"d","debug":true}"#)
        .await;
    let reply = c.recv().await;
    assert_eq!(reply["candidates"][0]["id"], "talk_to_person");
    assert!(reply["candidates"][0]["score"].as_f64().unwrap() > 0.5);
    assert!(c.ask("talk to a person").await.get("candidates").is_none());
}

#[tokio::test]
async fn a_social_security_number_is_refused_and_never_echoed() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let answer = c.ask("my ssn is 123-45-6789").await;
    let raw = answer.to_string();
    assert!(
        !raw.contains("123-45-6789") && !raw.contains("6789"),
        "{raw}"
    );
    assert!(text(&answer).contains("Social Security"), "{raw}");
}

#[tokio::test]
async fn followers_get_a_notification_when_the_case_changes() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let sub = c.ask("notify me about IOE0912345678").await;
    assert_eq!(sub["intent"], "subscribe", "{sub}");
    server
        .store
        .upsert(case_with_history(
            "IOE0912345678",
            "I-765",
            "Case Was Approved",
            "2026-11-20",
        ))
        .await
        .unwrap();
    let note = c.recv().await;
    assert_eq!(note["type"], "notification");
    assert_eq!(note["receipt_number"], "IOE0912345678");
    assert_eq!(note["status"], "Case Was Approved");

    let stop = c.ask("stop notifications").await;
    assert_eq!(stop["intent"], "unsubscribe");
    server
        .store
        .upsert(case_with_history(
            "IOE0912345678",
            "I-765",
            "Card Was Mailed To Me",
            "2026-11-24",
        ))
        .await
        .unwrap();
    assert_eq!(
        c.ask("hi").await["intent"],
        "greeting",
        "no notification arrives before the reply"
    );
}

#[tokio::test]
async fn the_person_can_ask_which_cases_they_follow() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let none = c.ask("which cases am i following?").await;
    assert_eq!(none["intent"], "subscriptions", "{none}");
    assert!(text(&none).contains("aren't following"), "{none}");
    c.ask("notify me about EAC2190012345 and LIN2290054321")
        .await;
    c.ask("stop notifications for EAC2190012345").await;
    let listed = c.ask("which cases am i following?").await;
    assert!(text(&listed).contains("- LIN2290054321"), "{listed}");
    assert!(!text(&listed).contains("EAC2190012345"), "{listed}");
}

#[tokio::test]
async fn a_resumed_session_gets_the_notifications_it_missed() {
    let server = server_with_cases().await;
    let mut c = server.client().await;
    let token = c.token();
    c.ask("LIN2290054321").await;
    c.ask("notify me about changes").await;
    c.ws.close(None).await.unwrap();
    drop(c);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    server
        .store
        .upsert(case_with_history(
            "LIN2290054321",
            "I-485",
            "Case Was Approved",
            "2026-11-21",
        ))
        .await
        .unwrap();
    let mut back = Client::connect(&format!("{}?session={token}", server.ws_url())).await;
    assert_eq!(back.welcome["resumed"], true);
    let missed = back.recv().await;
    assert_eq!(missed["type"], "notification");
    assert_eq!(missed["receipt_number"], "LIN2290054321");
}

#[tokio::test]
async fn guessing_many_receipt_numbers_is_refused() {
    let server = TestServer::start_with(|c| c.limits.lookups_per_window = 3).await;
    let mut c = server.client().await;
    for n in 0..3 {
        let answer = c.ask(&format!("EAC219000000{n}")).await;
        assert!(text(&answer).contains("couldn't find"), "{answer}");
    }
    let refused = c.ask("EAC2190000009").await;
    assert!(text(&refused).contains("many different cases"), "{refused}");
    let again = c.ask("EAC2190000001").await;
    assert!(
        text(&again).contains("couldn't find"),
        "a number already looked up is still answered: {again}"
    );
}

#[tokio::test]
async fn guessing_from_many_sessions_of_one_address_is_refused_too() {
    let server = TestServer::start_with(|c| {
        c.limits.lookups_per_window = 10;
        c.limits.lookups_per_address = 3;
    })
    .await;
    for n in 0..3 {
        let mut fresh = server.client().await;
        let answer = fresh.ask(&format!("EAC219000001{n}")).await;
        assert!(text(&answer).contains("couldn't find"), "{answer}");
    }
    let mut another = server.client().await;
    let refused = another.ask("EAC2190000019").await;
    assert!(text(&refused).contains("many different cases"), "{refused}");
}
