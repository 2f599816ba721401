//! Identifier extraction and masking: what people paste into the chat, in every shape, and
//! what must never be taken for an identifier.

mod common;

use casebot::nlu::extract::{EntityKind, Problem, extract, office_for_prefix};
use casebot::nlu::mask::{mask_text, mask_value};
use common::TestServer;
use proptest::prelude::*;

use EntityKind::*;

/// The one entity found in `text`, as (kind, value, the text it covers).
fn only(text: &str) -> (EntityKind, String, &str) {
    let ex = extract(text);
    assert_eq!(ex.entities.len(), 1, "{text:?} -> {ex:?}");
    let e = &ex.entities[0];
    (e.kind, e.value.clone(), &text[e.start..e.end])
}

fn kinds(text: &str) -> Vec<EntityKind> {
    extract(text).entities.iter().map(|e| e.kind).collect()
}

#[test]
fn receipt_numbers_in_every_shape() {
    for (text, typed) in [
        ("EAC2190012345", "EAC2190012345"),
        ("my receipt is eac 21 900 12345 thanks", "eac 21 900 12345"),
        ("EAC-21-900-12345", "EAC-21-900-12345"),
        ("IOE-0912-345-678", "IOE-0912-345-678"),
        ("EAC*2190012345", "EAC*2190012345"),
        ("status of Eac.219.001.2345?", "Eac.219.001.2345"),
        ("(EAC2190012345)", "EAC2190012345"),
        ("case EAC 2190012345 2024", "EAC 2190012345"),
    ] {
        let (kind, value, span) = only(text);
        assert_eq!((kind, span), (ReceiptNumber, typed), "{text}");
        assert!(
            value.len() == 13 && value[..3].chars().all(|c| c.is_ascii_uppercase()),
            "{value}"
        );
    }
    assert_eq!(only("eac 21 900 12345").1, "EAC2190012345");
    assert_eq!(only("IOE-0912-345-678").1, "IOE0912345678");
}

#[test]
fn receipt_numbers_carry_their_office() {
    let ex = extract("YSC1890044628 and ZHN1234567890");
    assert_eq!(ex.entities[0].office, Some("Potomac Service Center"));
    assert_eq!(ex.entities[1].office, Some("Houston Asylum Office"));
    assert_eq!(office_for_prefix("lin"), Some("Nebraska Service Center"));
    assert_eq!(office_for_prefix("FAC"), None);
}

#[test]
fn an_unknown_prefix_is_still_a_receipt_number_without_office() {
    let ex = extract("my number is FAC9876543211");
    assert_eq!(ex.entities.len(), 1);
    assert_eq!(
        (ex.entities[0].kind, ex.entities[0].value.as_str()),
        (ReceiptNumber, "FAC9876543211")
    );
    assert_eq!(ex.entities[0].office, None);
    assert!(ex.near_misses.is_empty());
}

#[test]
fn letters_typed_for_digits_and_digits_for_letters_are_corrected() {
    for (text, value) in [
        ("YSC219OO12345", "YSC2190012345"),
        ("I0E0912345678", "IOE0912345678"),
        ("1OE0912345678", "IOE0912345678"),
        ("EAC2l9OO12345", "EAC2190012345"),
    ] {
        let ex = extract(text);
        let e = &ex.entities[0];
        assert_eq!(
            (e.kind, e.value.as_str(), e.corrected),
            (ReceiptNumber, value, true),
            "{text}"
        );
    }
    assert!(!extract("EAC2190012345").entities[0].corrected);
    // A corrected prefix must be a real office: 1OO... is not taken for anything.
    assert!(extract("1OX0912345678").entities.is_empty());
}

#[test]
fn look_alikes_get_a_near_miss_saying_what_is_wrong() {
    for (text, problem) in [
        ("EAC219001234", Problem::DigitCount(9)),
        ("status of EAC 21900123456", Problem::DigitCount(11)),
        ("EA2190012345", Problem::LetterCount(2)),
        ("EACC2190012345", Problem::LetterCount(4)),
        ("EAC21900X2345", Problem::StrayLetter),
        ("my receipt number is 2190012345", Problem::NoLetters),
        ("mi número de recibo es 2190012345", Problem::NoLetters),
        ("EAC219OOOOO45", Problem::DigitsAreLetters),
    ] {
        let ex = extract(text);
        assert!(ex.entities.is_empty(), "{text} -> {ex:?}");
        assert_eq!(ex.near_misses.len(), 1, "{text} -> {ex:?}");
        assert_eq!(ex.near_misses[0].problem, problem, "{text}");
    }
}

#[test]
fn identifiers_are_found_in_spanish_sentences() {
    for (text, kind, value) in [
        (
            "mi número de recibo es EAC2190012345",
            ReceiptNumber,
            "EAC2190012345",
        ),
        (
            "numero de recibo: IOE 0912345678",
            ReceiptNumber,
            "IOE0912345678",
        ),
        ("mi número A es A012345678", ANumber, "A012345678"),
        ("número A 12345678", ANumber, "A012345678"),
        (
            "mi numero de extranjero es 012345678",
            ANumber,
            "A012345678",
        ),
        (
            "número de cuenta 1234 5678 9012",
            AccountNumber,
            "123456789012",
        ),
        ("¿qué es el formulario I-485?", FormNumber, "I-485"),
    ] {
        let ex = extract(text);
        assert!(
            ex.entities
                .iter()
                .any(|e| e.kind == kind && e.value == value),
            "{text} -> {ex:?}"
        );
    }
}

#[test]
fn a_numbers_are_padded_to_nine_digits() {
    for (text, value, typed) in [
        ("A12345678", "A012345678", "A12345678"),
        ("my A# 12345678", "A012345678", "12345678"),
        ("A-Number: 012345678", "A012345678", "012345678"),
        ("A-123-456-789", "A123456789", "A-123-456-789"),
        ("A 123 456 789", "A123456789", "A 123 456 789"),
        ("A-12-345-678", "A012345678", "A-12-345-678"),
        ("USCIS# 123-456-789", "A123456789", "123-456-789"),
        ("my alien number is 1234567", "A001234567", "1234567"),
        ("my a number is 12345678", "A012345678", "12345678"),
    ] {
        assert_eq!(only(text), (ANumber, value.to_string(), typed), "{text}");
    }
}

#[test]
fn account_numbers_need_the_word_account() {
    assert_eq!(
        only("my account no. is 1234 5678 9012"),
        (AccountNumber, "123456789012".to_string(), "1234 5678 9012")
    );
    assert_eq!(
        only("online account number: 0123-4567-8901").1,
        "012345678901"
    );
    assert!(
        extract("123456789012").entities.is_empty(),
        "a bare 12-digit number is ambiguous"
    );
    assert!(
        extract("my account number is 12345678901234")
            .entities
            .is_empty(),
        "14 digits is not one"
    );
}

#[test]
fn form_numbers_in_every_shape() {
    for (text, value) in [
        ("I485", "I-485"),
        ("i-485", "I-485"),
        ("N 400", "N-400"),
        ("n400", "N-400"),
        ("I-821D", "I-821D"),
        ("i-821d", "I-821D"),
        ("AR-11", "AR-11"),
        ("G-28", "G-28"),
        ("G-1145", "G-1145"),
        ("I-129F", "I-129F"),
        ("I\u{2013}130", "I-130"),
    ] {
        assert_eq!(only(text).0, FormNumber, "{text}");
        assert_eq!(only(text).1, value, "{text}");
    }
    let ex = extract("filed two I-485s");
    assert_eq!(ex.entities[0].value, "I-485");
    for text in ["A1", "I 5 times", "I 20", "X-485", "form I-0485", "rule 1a"] {
        assert!(kinds(text).is_empty(), "{text} -> {:?}", extract(text));
    }
}

#[test]
fn phone_numbers_with_any_punctuation() {
    for text in [
        "1-800-375-5283",
        "(800) 375-5283",
        "+1 800 375 5283",
        "800.375.5283",
        "8003755283",
        "18003755283",
        "1 (800) 375-5283",
    ] {
        let (kind, value, _) = only(text);
        assert_eq!((kind, value.as_str()), (Phone, "+18003755283"), "{text}");
    }
    assert_eq!(only("+44 20 7946 0958").1, "+442079460958");
    assert_eq!(only("call (800) 375-5283 now").2, "(800) 375-5283");
}

#[test]
fn emails_keep_the_local_part_and_lowercase_the_domain() {
    assert_eq!(
        only("write to Jane.Doe+uscis@Example.ORG."),
        (
            Email,
            "Jane.Doe+uscis@example.org".into(),
            "Jane.Doe+uscis@Example.ORG"
        )
    );
    assert_eq!(
        only("12345678@x.com").0,
        Email,
        "digits in an address are part of it"
    );
    for text in ["@home", "a@b", "me@localhost", "x@.com"] {
        assert!(kinds(text).is_empty(), "{text}");
    }
}

#[test]
fn social_security_numbers_are_found_masked_and_nothing_else() {
    for text in [
        "my ssn is 123-45-6789",
        "123 45 6789",
        "social security 123456789",
    ] {
        let (kind, value, _) = only(text);
        assert_eq!((kind, value.as_str()), (Ssn, "***-**-****"), "{text}");
    }
}

#[test]
fn other_numbers_are_not_taken_for_identifiers() {
    for text in [
        "123456789",
        "123456789012",
        "my zip is 20500 or 20500-1234",
        "born 1990-05-17, filed 05/17/2024",
        "tracking 9205590153070156091024",
        "tracking 9205 5901 5307 0156 0910 24",
        "I paid $1,234,567.89 and 85% of 1234567",
        "a 1234567",
        "the 2190012345",
        "and 123456789",
        "version 1.2.3.4.5.6.7",
    ] {
        assert!(kinds(text).is_empty(), "{text} -> {:?}", extract(text));
    }
}

#[test]
fn entities_come_in_order_with_spans_on_the_text_as_typed() {
    let text = "Hi, I filed I-130 (EAC2190012345) — my A# is A12345678, reach me at jo@x.org";
    let ex = extract(text);
    let found: Vec<(EntityKind, &str)> = ex
        .entities
        .iter()
        .map(|e| (e.kind, &text[e.start..e.end]))
        .collect();
    assert_eq!(
        found,
        [
            (FormNumber, "I-130"),
            (ReceiptNumber, "EAC2190012345"),
            (ANumber, "A12345678"),
            (Email, "jo@x.org")
        ]
    );
}

#[test]
fn masked_values_keep_only_what_identifies_the_kind() {
    assert_eq!(mask_value(ReceiptNumber, "EAC2190012345"), "EAC*******345");
    assert_eq!(mask_value(ANumber, "A012345678"), "A******678");
    assert_eq!(mask_value(AccountNumber, "123456789012"), "********9012");
    assert_eq!(mask_value(Phone, "+18003755283"), "+1*******283");
    assert_eq!(mask_value(Email, "jane@example.org"), "j***@example.org");
    assert_eq!(mask_value(Ssn, "123-45-6789"), "***-**-****");
    assert_eq!(mask_value(FormNumber, "I-485"), "I-485");
}

#[test]
fn masked_text_hides_every_identifier_and_long_number() {
    let text = "EAC2190012345, ssn 123-45-6789, jane@example.org, 1 800 375 5283, bare 1234 5678 9012, EAC219001234, I-485";
    let masked = mask_text(text);
    assert_eq!(
        masked,
        "EAC*******345, ssn ***-**-****, j***@example.org, +1*******283, bare **** **** ****, EAC*********, I-485"
    );
    assert_eq!(mask_text("héllo wörld 42"), "héllo wörld 42");
}

/// Formats digits the way people do: grouped with a separator, in any case.
fn formatted(digits: &str, groups: &[usize], sep: &str) -> String {
    let mut out = String::new();
    let mut at = 0;
    for &n in groups {
        if at >= digits.len() {
            break;
        }
        let end = (at + n).min(digits.len());
        if at > 0 {
            out.push_str(sep);
        }
        out.push_str(&digits[at..end]);
        at = end;
    }
    if at < digits.len() {
        out.push_str(sep);
        out.push_str(&digits[at..]);
    }
    out
}

const OFFICE_CODES: [&str; 20] = [
    "EAC", "VSC", "WAC", "CSC", "LIN", "NSC", "SRC", "TSC", "MSC", "NBC", "YSC", "IOE", "ZAR",
    "ZCH", "ZHN", "ZLA", "ZMI", "ZNK", "ZNY", "ZSF",
];

proptest! {
    #[test]
    fn formatted_receipt_numbers_canonicalize_back(
        office in proptest::sample::select(&OFFICE_CODES[..]),
        digits in "[0-9]{10}",
        groups in proptest::collection::vec(1usize..6, 1..5),
        sep in proptest::sample::select(vec!["", " ", "-", ".", "*", " - "]),
        lower in any::<bool>(),
        lead in proptest::sample::select(vec!["", "my receipt number is ", "status ", "("]),
    ) {
        let prefix = if lower { office.to_lowercase() } else { office.to_string() };
        let text = format!("{lead}{prefix}{sep}{} please", formatted(&digits, &groups, sep));
        let ex = extract(&text);
        prop_assert_eq!(ex.entities.len(), 1, "{} -> {:?}", text, ex);
        prop_assert_eq!(ex.entities[0].kind, ReceiptNumber);
        prop_assert_eq!(&ex.entities[0].value, &format!("{office}{digits}"));
        prop_assert_eq!(ex.entities[0].start, lead.len());
    }

    #[test]
    fn formatted_a_numbers_canonicalize_back(
        digits in "[1-9][0-9]{6,8}",
        // Any grouping but the 3-2-4 of a Social Security number, which always wins.
        groups in proptest::sample::select(vec![vec![3, 3, 3], vec![2, 3, 3], vec![1, 3, 3], vec![9], vec![4, 5], vec![3, 6]]),
        sep in proptest::sample::select(vec!["", "-", " "]),
        label in proptest::sample::select(vec!["A", "A# ", "A-Number: ", "alien number ", "USCIS# "]),
    ) {
        let text = format!("{label}{}", formatted(&digits, &groups, sep));
        let (kind, value, _) = only(&text);
        prop_assert_eq!(kind, ANumber);
        prop_assert_eq!(value, format!("A{digits:0>9}"));
    }

    #[test]
    fn formatted_account_numbers_canonicalize_back(
        digits in "[0-9]{12}",
        sep in proptest::sample::select(vec!["", " ", "-"]),
    ) {
        let text = format!("my USCIS online account number is {}", formatted(&digits, &[4, 4, 4], sep));
        let (kind, value, _) = only(&text);
        prop_assert_eq!((kind, value), (AccountNumber, digits));
    }

    #[test]
    fn bare_digit_strings_of_other_lengths_are_never_identifiers(
        digits in "[0-9]{1,30}".prop_filter("not 10 or 11 digits (phones)", |d| d.len() != 10 && d.len() != 11),
        lead in proptest::sample::select(vec!["", "number ", "the code is ", "receipt ", "case "]),
    ) {
        let text = format!("{lead}{digits}");
        let ex = extract(&text);
        prop_assert!(ex.entities.is_empty(), "{} -> {:?}", text, ex);
    }

    #[test]
    fn any_text_is_safe(text in any::<String>()) {
        let ex = extract(&text);
        let mut last = 0;
        for e in &ex.entities {
            prop_assert!(e.start >= last && e.start < e.end && e.end <= text.len());
            prop_assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
            last = e.end;
        }
        for m in &ex.near_misses {
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        }
        mask_text(&text);
    }

    #[test]
    fn identifier_like_text_is_safe(text in "[A-Za-z0-9 #:.*()+@-]{0,60}") {
        let ex = extract(&text);
        let mut last = 0;
        for e in &ex.entities {
            prop_assert!(e.start >= last && e.start < e.end && e.end <= text.len(), "{} -> {:?}", text, ex);
            last = e.end;
        }
        let masked = mask_text(&text);
        for e in ex.entities.iter().filter(|e| matches!(e.kind, ReceiptNumber | ANumber | AccountNumber)) {
            prop_assert!(!masked.contains(&text[e.start..e.end]), "{} -> {}", text, masked);
        }
    }
}

#[tokio::test]
async fn replies_carry_the_entities_of_every_message() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let text = "I filed I-485, receipt eac 21 900 12345, my A# 12345678";
    let reply = client.ask(text).await;
    let entities = reply["entities"].as_array().expect("entities").clone();
    let got: Vec<(&str, &str, &str)> = entities
        .iter()
        .map(|e| {
            let (start, end) = (
                e["start"].as_u64().unwrap() as usize,
                e["end"].as_u64().unwrap() as usize,
            );
            (
                e["kind"].as_str().unwrap(),
                e["value"].as_str().unwrap(),
                &text[start..end],
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("form_number", "I-485", "I-485"),
            ("receipt_number", "EAC2190012345", "eac 21 900 12345"),
            ("a_number", "A012345678", "12345678"),
        ]
    );

    let reply = client.ask("my ssn is 123-45-6789").await;
    assert!(
        !reply.to_string().contains("6789"),
        "an SSN is never echoed: {reply}"
    );
    server.stop().await.expect("server stops");
}

/// Identifiers typed with other separators, other scripts' digits, full-width forms or
/// invisible characters: found with their ASCII value and the span as typed.
#[test]
fn identifiers_are_read_by_what_their_characters_mean() {
    let fw = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap(),
                _ => c,
            })
            .collect()
    };
    let digits_from = |zero: u32, s: &str| -> String {
        s.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(zero + d).unwrap(),
                None => c,
            })
            .collect()
    };
    let cases: Vec<(String, EntityKind, &str)> = vec![
        // Social Security numbers with any one separator between the groups.
        ("123/45/6789".into(), Ssn, "***-**-****"),
        ("123_45_6789".into(), Ssn, "***-**-****"),
        ("123,45,6789".into(), Ssn, "***-**-****"),
        ("123:45:6789".into(), Ssn, "***-**-****"),
        ("123~45~6789".into(), Ssn, "***-**-****"),
        ("123 45-6789".into(), Ssn, "***-**-****"),
        ("123\u{2212}45\u{2212}6789".into(), Ssn, "***-**-****"),
        ("123\u{ad}45\u{ad}6789".into(), Ssn, "***-**-****"),
        ("123\u{200b}45\u{200b}6789".into(), Ssn, "***-**-****"),
        ("123\u{200d}45\u{200d}6789".into(), Ssn, "***-**-****"),
        ("123\u{2010}45\u{2011}6789".into(), Ssn, "***-**-****"),
        ("123\u{3000}45\u{3000}6789".into(), Ssn, "***-**-****"),
        ("123\u{30fb}45\u{30fb}6789".into(), Ssn, "***-**-****"),
        (fw("123-45-6789"), Ssn, "***-**-****"),
        (digits_from(0x660, "123-45-6789"), Ssn, "***-**-****"),
        (
            digits_from(0x6F0, "123\u{2212}45\u{2212}6789"),
            Ssn,
            "***-**-****",
        ),
        (digits_from(0x966, "123 45 6789"), Ssn, "***-**-****"),
        // A-numbers and receipt numbers in full-width and other scripts' digits.
        (fw("A12345678"), ANumber, "A012345678"),
        (
            format!("A{}", digits_from(0x660, "123456789")),
            ANumber,
            "A123456789",
        ),
        (
            format!("A-number {}", digits_from(0x6F0, "12345678")),
            ANumber,
            "A012345678",
        ),
        (fw("EAC2190012345"), ReceiptNumber, "EAC2190012345"),
        (fw("eac-21-900-12345"), ReceiptNumber, "EAC2190012345"),
        (
            format!("EAC{}", digits_from(0x660, "2190012345")),
            ReceiptNumber,
            "EAC2190012345",
        ),
        (
            format!("IOE{}", digits_from(0xFF10, "0912345678")),
            ReceiptNumber,
            "IOE0912345678",
        ),
        (
            "EAC\u{200b}2190012345".into(),
            ReceiptNumber,
            "EAC2190012345",
        ),
        // Account numbers split by invisible characters.
        (
            "account number 1234\u{200b}5678\u{200b}9012".into(),
            AccountNumber,
            "123456789012",
        ),
        (fw("account 1234 5678 9012"), AccountNumber, "123456789012"),
        // Internationalized and split e-mail addresses.
        ("jos\u{e9}@correo.es".into(), Email, "jos\u{e9}@correo.es"),
        (
            "m\u{fc}ller@B\u{fc}cher.de".into(),
            Email,
            "m\u{fc}ller@b\u{fc}cher.de",
        ),
        (
            "\u{7528}\u{6237}@\u{4f8b}\u{5b50}.\u{4e2d}\u{56fd}".into(),
            Email,
            "\u{7528}\u{6237}@\u{4f8b}\u{5b50}.\u{4e2d}\u{56fd}",
        ),
        (
            "jo\u{200b}hn.smith@exam\u{200b}ple.com".into(),
            Email,
            "john.smith@example.com",
        ),
        (fw("jane@example.org"), Email, "jane@example.org"),
    ];
    for (typed, kind, value) in &cases {
        let text = format!("mine: {typed} thanks");
        let ex = extract(&text);
        assert_eq!(ex.entities.len(), 1, "{text:?} -> {ex:?}");
        let e = &ex.entities[0];
        assert_eq!((e.kind, e.value.as_str()), (*kind, *value), "{text:?}");
        // The label before a bare number is not part of its span.
        let account = fw("account ");
        let span = ["A-number ", "account number ", &account]
            .iter()
            .find_map(|label| typed.strip_prefix(label))
            .unwrap_or(typed);
        assert_eq!(&text[e.start..e.end], span, "{text:?} span");
        let masked = mask_text(&text);
        assert!(
            masked.starts_with("mine: ") && masked.ends_with(" thanks"),
            "{masked}"
        );
        assert!(!masked.contains(typed.as_str()), "{text:?} -> {masked}");
        if *kind != Email {
            assert!(
                masked.chars().filter(|c| c.is_numeric()).count() <= 4,
                "{text:?} -> {masked}"
            );
        }
    }
}

#[test]
fn ordinary_text_in_any_form_stays_readable() {
    for text in [
        "filed on 2026/11/30 at 10:30, form I-130",
        "\u{ff12}\u{ff10}\u{ff12}\u{ff16}/\u{ff11}\u{ff11}/\u{ff13}\u{ff10} \u{ff11}\u{ff10}:\u{ff13}\u{ff10}",
        "\u{0662}\u{0660}\u{0662}\u{0666}/\u{0661}\u{0661}/\u{0663}\u{0660}",
        "pages 12\u{2013}34, 5\u{2212}3 = 2, caf\u{e9}\u{200d}\u{1f600} \u{bf}qu\u{e9}?",
        "1,234,567 people",
    ] {
        assert_eq!(mask_text(text), text, "{text:?}");
        assert!(
            kinds(text).iter().all(|k| *k == FormNumber),
            "{text:?} -> {:?}",
            extract(text)
        );
    }
}

#[test]
fn long_runs_of_digits_in_any_form_are_masked() {
    for (text, masked) in [
        (
            "\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}\u{0667}\u{0668}",
            "********",
        ),
        (
            "\u{ff11}\u{ff12}\u{ff13}\u{ff14} \u{ff15}\u{ff16}\u{ff17}\u{ff18}",
            "**** ****",
        ),
        ("1234\u{a0}5678\u{a0}9012", "****\u{a0}****\u{a0}****"),
        (
            "1234\u{200b}5678\u{200b}9012",
            "****\u{200b}****\u{200b}****",
        ),
    ] {
        assert_eq!(mask_text(text), masked, "{text:?}");
    }
}
