//! Plain-language meaning and next step for the common case status titles of USCIS Case
//! Status Online, so a status reply can say what the title means for the person.

/// What a status means and what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusGuide {
    /// One sentence: what the status means.
    pub meaning: &'static str,
    /// One sentence: what the person should do next.
    pub next_step: &'static str,
}

const fn guide(meaning: &'static str, next_step: &'static str) -> StatusGuide {
    StatusGuide { meaning, next_step }
}

const WAIT: &str =
    "Nothing is needed from you right now; USCIS will write to you if it needs something.";
const E_REQUEST: &str =
    "If the notice does not arrive by the date USCIS gives, ask for it at www.uscis.gov/e-request.";

const RECEIVED: StatusGuide = guide(
    "USCIS received your application or petition and sent you a receipt notice explaining how it will be processed.",
    "Keep the receipt notice; if it has not arrived within about 30 days, contact the USCIS Contact Center.",
);
const BIOMETRICS: StatusGuide = guide(
    "USCIS scheduled an appointment to take your fingerprints, photo and signature and mailed you a notice.",
    "Go to the Application Support Center on the date shown, with the appointment notice and a photo ID; reschedule only for a good reason, before the appointment.",
);
const EVIDENCE_REQUESTED: StatusGuide = guide(
    "USCIS sent you a request explaining what evidence it needs, and will not act on your case until it gets it or the deadline passes.",
    "Send the requested evidence before the deadline on the notice; if the notice has not arrived, use www.uscis.gov/e-request.",
);
const INTERVIEW: StatusGuide = guide(
    "USCIS scheduled an interview for your case and is mailing you an interview notice.",
    "Follow the instructions on the interview notice, including the date, place and what to bring.",
);
const APPROVED: StatusGuide = guide(
    "USCIS approved your case and sent you an approval notice.",
    "Follow the instructions in the approval notice; if it does not arrive, use www.uscis.gov/e-request.",
);
const CARD_RETURNED: StatusGuide = guide(
    "The Post Office could not deliver your card and returned it to USCIS, which destroys it if the address is not updated in time.",
    "Update your address at www.uscis.gov/addresschange and ask for the card to be sent again through www.uscis.gov/e-request.",
);
const EXPEDITE: StatusGuide = guide(
    "USCIS recorded your request to speed up your case; expedite decisions are at USCIS's discretion.",
    "Watch for USCIS's answer; the expedite criteria are at www.uscis.gov/forms/expedite-criteria.",
);
const RECORD_UPDATED: StatusGuide = guide(
    "USCIS updated the personal details recorded on your case.",
    "Check that the new details are right; nothing else is needed.",
);

/// Status titles (normalized as by [`key`]) and their guides.
const GUIDES: &[(&str, StatusGuide)] = &[
    ("case was received", RECEIVED),
    (
        "case was received and a receipt notice was emailed",
        guide(
            "USCIS received your case, sent you a receipt notice, and is processing it at one of its offices.",
            WAIT,
        ),
    ),
    (
        "case accepted by the uscis lockbox",
        guide(
            "The USCIS lockbox accepted your filing and mailed you a notice describing how it will be processed.",
            WAIT,
        ),
    ),
    (
        "fees were waived",
        guide("USCIS received your case and waived the filing fee.", WAIT),
    ),
    (
        "fingerprint fee was received",
        guide(
            "USCIS accepted your fingerprint fee and an office is working on your case.",
            "Watch your mail for a biometrics appointment notice.",
        ),
    ),
    ("biometrics appointment was scheduled", BIOMETRICS),
    (
        "fingerprint and biometrics appointment was scheduled",
        BIOMETRICS,
    ),
    (
        "case was updated to show fingerprints were taken",
        guide("Your fingerprints were taken and added to your case.", WAIT),
    ),
    (
        "request for additional evidence was sent",
        EVIDENCE_REQUESTED,
    ),
    ("request for initial evidence was sent", EVIDENCE_REQUESTED),
    (
        "response to uscis request for evidence was received",
        guide(
            "USCIS received your response to its request for evidence and has started working on your case again.",
            "Wait for a decision; USCIS will contact you if it needs anything else.",
        ),
    ),
    (
        "case is being actively reviewed by uscis",
        guide(
            "An officer is reviewing your case.",
            "Nothing is needed unless USCIS sends you a request; you can compare with the published processing times at egov.uscis.gov/processing-times.",
        ),
    ),
    (
        "case is ready to be scheduled for an interview",
        guide(
            "USCIS is ready to schedule an interview for your case.",
            "Wait for the interview notice, which USCIS will send you.",
        ),
    ),
    ("interview was scheduled", INTERVIEW),
    ("interview was rescheduled", INTERVIEW),
    (
        "interview was completed and my case must be reviewed",
        guide(
            "Your interview is done and your case is being reviewed before a decision.",
            "Wait; USCIS will mail you a notice when it decides or takes another action.",
        ),
    ),
    (
        "case was transferred and a new office has jurisdiction",
        guide(
            "Your case was moved to another USCIS office, which now handles it; the notice explains why.",
            "Follow the transfer notice; the processing times of the new office now apply.",
        ),
    ),
    ("case was approved", APPROVED),
    (
        "case was approved and my decision was emailed",
        guide(
            "USCIS approved your case and emailed you the approval notice.",
            "Follow the instructions in the approval notice.",
        ),
    ),
    (
        "new card is being produced",
        guide(
            "USCIS ordered your new card and will mail it to the address it has for you.",
            "Make sure USCIS has your current address (www.uscis.gov/addresschange).",
        ),
    ),
    (
        "card was mailed to me",
        guide(
            "USCIS mailed your card to the address it has for you.",
            "If the card does not arrive by the date USCIS gives, ask about it at www.uscis.gov/e-request.",
        ),
    ),
    (
        "card was picked up by the united states postal service",
        guide(
            "The Postal Service picked up your card for delivery, and the status text gives a tracking number.",
            "Track the delivery on USPS.com; if the card does not arrive, use www.uscis.gov/e-request.",
        ),
    ),
    (
        "card was delivered to me by the post office",
        guide(
            "The Post Office delivered your card; the status text gives the tracking number.",
            "If you did not get it, check with your post office using the tracking number, then use www.uscis.gov/e-request.",
        ),
    ),
    ("card was returned to uscis", CARD_RETURNED),
    (
        "card is being returned to uscis by post office",
        CARD_RETURNED,
    ),
    (
        "notice was returned to uscis because the post office could not deliver it",
        guide(
            "A notice about your case came back to USCIS undelivered, which can seriously affect your case.",
            "Update your address and request a copy of the notice right away at www.uscis.gov/e-request.",
        ),
    ),
    (
        "notice explaining uscis actions was mailed",
        guide(
            "USCIS mailed you a notice about an action it intends to take on your case.",
            "Read the notice and respond as it asks, by its deadline.",
        ),
    ),
    (
        "case was denied",
        guide(
            "USCIS denied your case and sent you a notice explaining why and what options you have.",
            "Read the denial notice; it explains options such as an appeal or motion on Form I-290B.",
        ),
    ),
    (
        "case was rejected because it was improperly filed",
        guide(
            "USCIS rejected your filing as improperly filed and returned it to you with the fee.",
            "Correct the problem the rejection notice describes and file again.",
        ),
    ),
    ("name was updated", RECORD_UPDATED),
    ("date of birth was updated", RECORD_UPDATED),
    ("expedite request received", EXPEDITE),
    (
        "expedite request approved",
        guide("USCIS agreed to speed up your case.", WAIT),
    ),
    (
        "expedite request denied",
        guide(
            "USCIS decided not to speed up your case; it continues in normal order.",
            "Your case keeps being processed; you can follow it with the published processing times.",
        ),
    ),
    (
        "request to reschedule my appointment was received",
        guide(
            "USCIS received your request to reschedule and an office is reviewing it.",
            "Wait for the new appointment notice.",
        ),
    ),
    (
        "duplicate notice was mailed",
        guide(
            "USCIS mailed you a copy of a notice about your case.",
            E_REQUEST,
        ),
    ),
    (
        "withdrawal acknowledgement notice was sent",
        guide(
            "USCIS processed your request to withdraw the case and sent you a notice.",
            "Nothing else is needed for this case.",
        ),
    ),
    (
        "fee will be refunded",
        guide(
            "USCIS will refund the fee to the person who paid it.",
            "Wait for the refund; questions about it go to the USCIS Contact Center at 1-800-375-5283.",
        ),
    ),
    (
        "case was sent to the department of state",
        guide(
            "USCIS sent your case to the Department of State for visa processing abroad.",
            "Further steps come from the National Visa Center or the consulate; contact them with questions.",
        ),
    ),
    (
        "correspondence was received and uscis is reviewing it",
        guide(
            "USCIS received something you sent about your case and is reviewing it.",
            WAIT,
        ),
    ),
    (
        "case is on hold because of pending litigation",
        guide(
            "Your case is paused because of a court case that affects it.",
            WAIT,
        ),
    ),
    (
        "case status",
        guide(
            "USCIS cannot give information about this case online right now.",
            "Contact the USCIS Contact Center at 1-800-375-5283 (TTY 1-800-767-1833).",
        ),
    ),
];

/// Normalizes a status title: lower case, apostrophes dropped, whitespace collapsed.
fn key(status: &str) -> String {
    let cleaned: String = status
        .chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`'))
        .flat_map(char::to_lowercase)
        .collect();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches('.')
        .to_string()
}

/// Looks up the guide for a status title (case-insensitive, tolerant of apostrophe,
/// spacing and `And`/`and` variants).
pub fn explain(status: &str) -> Option<StatusGuide> {
    let key = key(status);
    GUIDES
        .iter()
        .find(|(title, _)| *title == key)
        .map(|(_, g)| *g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_found_whatever_their_case_or_apostrophes() {
        let rfe = explain("Response To USCIS' Request For Evidence Was Received").expect("known");
        assert_eq!(
            explain("Response To USCIS Request For Evidence Was Received"),
            Some(rfe)
        );
        assert_eq!(
            explain("response to uscis’ request for evidence was received"),
            Some(rfe)
        );
        assert_eq!(
            explain("Request For Initial Evidence Was Sent"),
            explain("Request for Initial Evidence Was Sent")
        );
        assert_eq!(
            explain("Case Was Received And A Receipt Notice Was Emailed"),
            explain("Case Was Received and A Receipt Notice Was Emailed")
        );
        assert!(explain("  Case   is Ready to Be Scheduled for An Interview ").is_some());
    }

    #[test]
    fn unknown_titles_have_no_guide() {
        assert_eq!(explain("Case Was Teleported"), None);
        assert_eq!(explain(""), None);
    }

    #[test]
    fn every_guide_is_one_sentence_each() {
        for (title, g) in GUIDES {
            assert_eq!(key(title), *title, "table keys are normalized");
            for text in [g.meaning, g.next_step] {
                assert!(text.ends_with('.'), "{title}: {text}");
                assert!(
                    !text.trim_end_matches('.').contains(". "),
                    "{title}: one sentence: {text}"
                );
            }
        }
    }

    #[test]
    fn the_demo_statuses_all_have_a_guide() {
        let demo = include_str!("../../data/demo-cases.jsonl");
        for line in demo.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            for entry in v["history"].as_array().unwrap() {
                let status = entry["status"].as_str().unwrap();
                assert!(explain(status).is_some(), "no guide for {status:?}");
            }
        }
    }
}
